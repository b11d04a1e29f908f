#pragma once

#include "core/program.h"
#include "core/result.h"
#include "core/study.h"
#include "metric/judge.h"
#include "metric/metric.h"

#include <cstdint>
#include <memory>
#include <string>

namespace prism {

inline constexpr int kDefaultMetricTimeoutMs = 1000;
// How much one call may grow the process's resident memory before it is
// stopped: far above what a metric needs, far below what a machine has.
inline constexpr int kMetricMemoryLimitMiB = 512;

// The name scripts are reported under: "metric.js line 3: ReferenceError: ...".
inline constexpr const char *kMetricScriptName = "metric.js";

// A metric written in JavaScript:
//
//     function metric(example, pred, trace) {
//         return {score: pred.answer === example.answer ? 1 : 0, feedback: "..."};
//     }
//
// example holds the row's values (inputs and labels), pred the program's
// outputs, as plain JS values (strings, numbers, booleans, arrays); trace is
// null. The function returns a number in [0, 1], a boolean, or {score, feedback}.
//
// Sandbox: a bare QJSEngine with the ECMAScript standard library only (no
// console, no Qt object, no XMLHttpRequest, no import/require): no file,
// network or process access. Each call has a time limit; a watchdog interrupts
// the engine when it is exceeded. QJSEngine is not thread-safe, so each thread
// that scores gets its own engine (created lazily, the script compiled in it),
// which makes score() safe to call from many threads at once. Globals a script
// changes are therefore per thread: a metric must not count on state between calls.
// Changes a script makes to the built-ins (Object.prototype.x = 1) are that
// engine's too: they stay for the metric's next calls on the same thread,
// never reach another metric, and are gone after a call that was stopped
// (timed out or over the memory limit), which leaves a fresh engine.
//
// Memory: a call (or the top-level code) that grows the process's resident
// memory by more than kMetricMemoryLimitMiB is stopped. The built-ins that
// work in native code for a length the script picks (Array.prototype.fill
// and join, Array.from, String.prototype.repeat, padStart, padEnd) refuse
// more than 2^24 elements / 2^26 characters with a RangeError, since the
// time limit cannot interrupt native code.
//
// Every failure is an Error of kind Script naming the line where JS knows it.
// Needs a QCoreApplication (QJSEngine refuses to start without one): the
// studio has one, other programs create a ScriptingRuntime first.
class JsMetric final : public Metric {
public:
    ~JsMetric() override;

    Result<MetricResult> score(const Example &example, const Prediction &prediction) const override;
    std::string describe() const override;

    // Engines built by score() in this process so far, over every JsMetric
    // (one per thread and metric, or again after a stopped call): a measure
    // of engine reuse for benchmarks.
    static long long scoringEnginesBuilt();

    const std::string &source() const { return m_source; }
    int timeoutMs() const { return m_timeoutMs; }

private:
    friend Result<std::unique_ptr<Metric>> makeJsMetric(const std::string &source, int timeoutMs);
    JsMetric(std::string source, int timeoutMs);

    std::string m_source;
    int m_timeoutMs = kDefaultMetricTimeoutMs;
    std::uint64_t m_id = 0;             // key of this metric's per-thread engines
    std::shared_ptr<const int> m_alive; // per-thread engines of a dead metric are dropped
};

// Compiles the script once on the calling thread and checks that it defines
// metric(): a syntax error comes back with its line, as do errors thrown by
// top-level code. timeoutMs limits every call (and the top-level code); >= 1.
Result<std::unique_ptr<Metric>> makeJsMetric(const std::string &source, int timeoutMs = kDefaultMetricTimeoutMs);

// The metric of a study: kind "script" -> JsMetric, "composite" and "judge"
// -> the engine's makeMetric (a judge metric needs `judge`, see
// run/study_judge.h). The studio and the CLI use this instead of makeMetric.
Result<std::unique_ptr<Metric>> makeStudyMetric(const MetricSpec &spec, const Program &program,
                                                std::shared_ptr<const Judge> judge = nullptr,
                                                int scriptTimeoutMs = kDefaultMetricTimeoutMs);

// A starting script for the program's outputs: one comparison per output field
// chosen by its type (exact for enums, set overlap for lists, tolerance for
// floats, case-insensitive for strings), feedback naming what was wrong.
std::string jsMetricTemplate(const Program &program);

// True when JS metrics can run in this process (a QCoreApplication exists).
bool scriptingAvailable();

// For programs without a Qt application (the CLI): creates a
// QCoreApplication when none exists and destroys it again. Construct it on
// the main thread before any JsMetric, and keep it alive while metrics run.
class ScriptingRuntime {
public:
    ScriptingRuntime();
    ~ScriptingRuntime();
    ScriptingRuntime(const ScriptingRuntime &) = delete;
    ScriptingRuntime &operator=(const ScriptingRuntime &) = delete;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace prism
