#include "eval/evaluator.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <thread>

namespace prism {

namespace {

enum StopCode : int {
    NotStopped = 0,
    StopMaxErrors = 1,
    StopCancelled = 2,
};

} // namespace

Evaluator::Evaluator(Lm &lm, const Adapter &adapter, const Metric &metric, EvalOptions options)
    : m_lm(lm), m_adapter(adapter), m_metric(metric), m_options(std::move(options))
{
}

EvalReport Evaluator::run(const Program &program, const std::vector<Example> &examples) const
{
    const std::size_t n = examples.size();
    // maxErrors <= 0 means no limit.
    const std::size_t maxErrors = m_options.maxErrors > 0 ? static_cast<std::size_t>(m_options.maxErrors) : 0;
    std::vector<std::optional<ExampleResult>> slots(n);
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> errorCount{0};
    std::atomic<int> stop{NotStopped};

    auto evaluateOne = [&](std::size_t index) {
        ExampleResult r;
        r.index = index;
        r.example = examples[index];
        try {
            r.prediction = runProgram(program, r.example.inputs(), m_lm, m_adapter, m_options.call);
            r.lmCalls = r.prediction.usage.calls;
            if (r.prediction.error) {
                r.error = r.prediction.error;
            } else {
                auto scored = m_metric.score(r.example, r.prediction);
                if (!scored) {
                    r.error = scored.error();
                } else if (!std::isfinite(scored->score) || scored->score < 0.0 || scored->score > 1.0) {
                    r.error = Error::make(ErrorKind::Script, "the metric returned " + std::to_string(scored->score) +
                                                                 ", outside [0, 1]");
                } else {
                    r.score = scored->score;
                    r.feedback = scored->feedback;
                }
            }
        } catch (const std::exception &e) {
            // A bug must not take the worker thread (and the process) down.
            r.error = Error::make(ErrorKind::Internal, std::string("exception while evaluating: ") + e.what());
        }
        return r;
    };

    auto worker = [&] {
        for (;;) {
            if (stop.load() != NotStopped)
                return;
            // Read the counter itself, not only the flag: another worker may
            // have counted the last allowed error and not yet raised the flag.
            if (maxErrors > 0 && errorCount.load() >= maxErrors) {
                int expected = NotStopped;
                stop.compare_exchange_strong(expected, StopMaxErrors);
                return;
            }
            if (m_options.cancel && m_options.cancel->load()) {
                int expected = NotStopped;
                if (next.load() < n)
                    stop.compare_exchange_strong(expected, StopCancelled);
                return;
            }
            const std::size_t index = next.fetch_add(1);
            if (index >= n)
                return;
            ExampleResult r = evaluateOne(index);
            if (r.error)
                errorCount.fetch_add(1);
            if (m_options.onResult)
                m_options.onResult(r);
            slots[index] = std::move(r);
        }
    };

    const std::size_t threadCount = std::clamp<std::size_t>(static_cast<std::size_t>(std::max(1, m_options.threads)), 1,
                                                            std::max<std::size_t>(n, 1));
    if (threadCount == 1) {
        worker();
    } else {
        std::vector<std::thread> pool;
        pool.reserve(threadCount);
        for (std::size_t i = 0; i < threadCount; ++i)
            pool.emplace_back(worker);
        for (auto &t : pool)
            t.join();
    }

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

} // namespace prism
