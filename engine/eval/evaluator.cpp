#include "eval/evaluator.h"

#include "metric/builtin.h"

#include <spdlog/fmt/fmt.h>

#include <cmath>
#include <exception>
#include <map>
#include <mutex>

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

namespace {

// Puts results back in dataset order as they finish and sums the totals in
// that order, so neither depends on which thread finished first.
class OrderedResults {
public:
    OrderedResults(EvalReport &report, const std::function<void(ExampleResult &&)> &sink)
        : m_report(report), m_sink(sink)
    {}

    // Every index arrives exactly once: with its result, or empty when the
    // example did not run.
    void arrive(std::size_t index, std::optional<ExampleResult> result)
    {
        std::lock_guard lock(m_mutex);
        m_waiting.emplace(index, std::move(result));
        for (auto next = m_waiting.find(m_next); next != m_waiting.end(); next = m_waiting.find(m_next)) {
            if (next->second)
                deliver(std::move(*next->second));
            m_waiting.erase(next);
            ++m_next;
        }
    }

private:
    void deliver(ExampleResult &&r)
    {
        ++m_report.ran;
        m_report.usage.add(r.prediction.usage);
        if (r.error) {
            ++m_report.errors;
        } else {
            ++m_report.scored;
            m_report.scoreSum += *r.score;
        }
        if (m_sink)
            m_sink(std::move(r));
        else
            m_report.results.push_back(std::move(r));
    }

    EvalReport &m_report;
    const std::function<void(ExampleResult &&)> &m_sink;
    std::mutex m_mutex;
    std::map<std::size_t, std::optional<ExampleResult>> m_waiting;
    std::size_t m_next = 0;
};

} // namespace

EvalReport Evaluator::run(const Program &program, const std::vector<Example> &examples) const
{
    const std::size_t n = examples.size();
    // maxErrors <= 0 means no limit.
    const std::size_t maxErrors = m_options.maxErrors > 0 ? static_cast<std::size_t>(m_options.maxErrors) : 0;
    std::atomic<std::size_t> errorCount{0};
    std::atomic<int> stop{NotStopped};
    EvalReport report;
    report.total = n;
    OrderedResults ordered(report, m_options.sink);

    // Jobs start in index order; one that finds the run stopped hands over no result.
    auto job = [&](std::size_t index) {
        if (stop.load() != NotStopped) {
            ordered.arrive(index, std::nullopt);
            return;
        }
        // Read the counter itself, not only the flag: another job may have
        // counted the last allowed error and not yet raised the flag.
        if (maxErrors > 0 && errorCount.load() >= maxErrors) {
            int expected = NotStopped;
            stop.compare_exchange_strong(expected, StopMaxErrors);
            ordered.arrive(index, std::nullopt);
            return;
        }
        if (m_options.cancel && m_options.cancel->load()) {
            int expected = NotStopped;
            stop.compare_exchange_strong(expected, StopCancelled);
            ordered.arrive(index, std::nullopt);
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
        ordered.arrive(index, std::move(r));
    };
    parallelFor(m_options.pool, n, m_options.threads, job);

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

std::string firstWrongStage(const std::vector<StageTrace> &stages, const Fields &labels, const std::string &failedStage,
                            const std::vector<StageTrace> *passing)
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
