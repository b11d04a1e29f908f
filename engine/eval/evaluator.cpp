#include "eval/evaluator.h"

#include "metric/builtin.h"

#include <spdlog/fmt/fmt.h>

#include <cmath>
#include <exception>

namespace prism {

namespace {

enum StopCode : int {
    NotStopped = 0,
    StopMaxErrors = 1,
    StopCancelled = 2,
};

} // namespace

ExampleResult evaluateExample(const Program &program, const Example &example, std::size_t index, Lm &lm,
                              const Adapter &adapter, const Metric &metric, const CallOptions &options,
                              ProgramTrace *trace)
{
    ExampleResult r;
    r.index = index;
    r.example = example;
    try {
        ProgramTrace calls;
        ProgramTrace &t = trace ? *trace : calls;
        r.prediction = runProgram(program, example.inputs(), lm, adapter, options, &t);
        r.lmCalls = t.lmCalls;
        if (r.prediction.error) {
            r.error = r.prediction.error;
            return r;
        }
        Result<MetricResult> scored = metric.score(example, r.prediction);
        if (!scored) {
            r.error = scored.error();
        } else if (!std::isfinite(scored->score) || scored->score < 0.0 || scored->score > 1.0) {
            r.error =
                Error::make(ErrorKind::Script, fmt::format("the metric returned {}, outside [0, 1]", scored->score));
        } else {
            r.score = scored->score;
            r.feedback = scored->feedback;
        }
    } catch (const std::exception &e) {
        // A bug must not take the worker thread (and the process) down.
        r.error = Error::make(ErrorKind::Internal, std::string("exception while scoring: ") + e.what());
    }
    return r;
}

Evaluator::Evaluator(Lm &lm, const Adapter &adapter, const Metric &metric, EvalOptions options)
    : m_lm(lm), m_adapter(adapter), m_metric(metric), m_options(std::move(options))
{}

EvalReport Evaluator::run(const Program &program, const std::vector<Example> &examples) const
{
    const std::size_t n = examples.size();
    // maxErrors <= 0 means no limit.
    const std::size_t maxErrors = m_options.maxErrors > 0 ? static_cast<std::size_t>(m_options.maxErrors) : 0;
    std::vector<std::optional<ExampleResult>> slots(n);
    std::atomic<std::size_t> errorCount{0};
    std::atomic<int> stop{NotStopped};

    // Jobs start in index order; one that finds the run stopped leaves its slot empty.
    auto job = [&](std::size_t index) {
        if (stop.load() != NotStopped)
            return;
        // Read the counter itself, not only the flag: another job may have
        // counted the last allowed error and not yet raised the flag.
        if (maxErrors > 0 && errorCount.load() >= maxErrors) {
            int expected = NotStopped;
            stop.compare_exchange_strong(expected, StopMaxErrors);
            return;
        }
        if (m_options.cancel && m_options.cancel->load()) {
            int expected = NotStopped;
            stop.compare_exchange_strong(expected, StopCancelled);
            return;
        }
        ProgramTrace trace;
        ExampleResult r = evaluateExample(program, examples[index], index, m_lm, m_adapter, m_metric, m_options.call,
                                          m_options.keepStages ? &trace : nullptr);
        if (m_options.keepStages)
            r.stages = std::move(trace.stages);
        if (r.error)
            errorCount.fetch_add(1);
        if (m_options.onResult)
            m_options.onResult(r);
        slots[index] = std::move(r);
    };
    parallelFor(m_options.pool, n, m_options.threads, job);

    // Totals are summed in dataset order, so they do not depend on which thread finished first.
    EvalReport report;
    report.total = n;
    for (auto &slot : slots) {
        if (!slot)
            continue;
        report.usage.add(slot->prediction.usage);
        if (slot->error) {
            ++report.errors;
        } else {
            ++report.scored;
            report.scoreSum += *slot->score;
        }
        report.results.push_back(std::move(*slot));
    }
    if (report.scored > 0)
        report.scorePercent = std::round(10000.0 * report.scoreSum / static_cast<double>(report.scored)) / 100.0;
    const int stopCode = stop.load();
    report.stoppedEarly = stopCode != NotStopped;
    report.stopReason = stopCode == StopMaxErrors ? "max_errors" : stopCode == StopCancelled ? "cancelled" : "";
    return report;
}

std::string failedStageOf(const std::optional<Error> &error)
{
    const std::string prefix = "stage '";
    if (!error || error->message.rfind(prefix, 0) != 0)
        return {};
    const std::size_t end = error->message.find('\'', prefix.size());
    return end == std::string::npos ? std::string() : error->message.substr(prefix.size(), end - prefix.size());
}

std::string firstWrongStage(const std::vector<StageTrace> &stages, const Fields &labels,
                            const std::string &failedStage, const std::vector<StageTrace> *passing)
{
    auto passingOutputs = [passing](const std::string &predictor) -> const Fields * {
        if (!passing)
            return nullptr;
        for (const StageTrace &stage : *passing)
            if (stage.predictor == predictor)
                return &stage.outputs;
        return nullptr;
    };
    for (const StageTrace &stage : stages) {
        const Fields *good = passingOutputs(stage.predictor);
        for (const auto &[field, value] : stage.outputs.items()) {
            if (const Value *label = labels.find(field)) {
                if (exactMatch(*label, value) < 1.0)
                    return stage.predictor;
                continue;
            }
            if (field == "reasoning" || !good)
                continue;
            if (const Value *expected = good->find(field); expected && exactMatch(*expected, value) < 1.0)
                return stage.predictor;
        }
    }
    return failedStage;
}

} // namespace prism
