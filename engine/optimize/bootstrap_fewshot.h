#pragma once

#include "adapter/predict.h"
#include "core/rng.h"
#include "optimize/optimizer.h"
#include "optimize/scoring.h"

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace prism {

struct BootstrapSettings {
    int maxBootstrappedDemos = 4;
    int maxLabeledDemos = 16;
    int maxRounds = 1;
    // A trace counts when its score >= this; unset = a fully correct trace
    // (score >= 1.0). DSPy uses Python truthiness without a threshold, which
    // accepts any partial credit; a threshold of 0 is a real threshold here.
    std::optional<double> metricThreshold;
    std::uint64_t seed = 0;
    // Stop bootstrapping once this many training examples were traced (every
    // round) without one success: a teacher that cannot solve the task would
    // be paid for every row for nothing. 0 = walk every set to its end.
    int giveUpAfter = 0;
};

// Runs the teacher over training examples and keeps the successful traces,
// for BootstrapFewShot and for MIPROv2's demo sets.
//
// The teacher is the student with up to maxLabeledDemos labeled demos (a
// seeded sample; the student's own demos when maxLabeledDemos is 0), minus
// the example being run. A trace of (example, round) is computed once and
// reused by every set that asks for it. Sets advance in lockstep, in chunks
// of at most 8 examples and never more than a set can still accept; a chunk's
// missing traces run in parallel, and successes are accepted in the set's
// order until its quota is full. So the demos do not depend on the thread
// count. Every LM call has role "bootstrap"; round r > 0 retries a failed
// example at temperature 1.0 with rollout r.
class Bootstrapper {
public:
    Bootstrapper(const Program &student, const std::vector<Example> &trainset, BootstrapSettings settings,
                 Lm &teacherLm, const Adapter &adapter, const Metric &metric, CallOptions call, int threads,
                 const std::atomic<bool> *cancel, WorkerPool *pool = nullptr);

    struct SetRequest {
        std::vector<std::size_t> order; // trainset indices, in the order to try them
        int quota = 0;                  // traces wanted
    };
    // The trainset indices of the accepted traces of each set, in order. A
    // budget or cancel refusal stops it with that error.
    Result<std::vector<std::vector<std::size_t>>> run(const std::vector<SetRequest> &sets);

    // The demos of each predictor: the accepted traces' stages (augmented),
    // then labeled demos sampled with rng from the examples that gave no
    // accepted trace, up to maxLabeledDemos in all.
    std::vector<std::vector<Demo>> demos(const std::vector<std::size_t> &accepted, int maxLabeled, Rng &rng) const;

    const Program &teacher() const { return m_teacher; }
    int errors() const { return m_errors; }
    // The first error of a trace (not a budget or cancel), for a warning.
    const std::optional<Error> &firstError() const { return m_firstError; }
    long long attempts() const { return static_cast<long long>(m_traces.size()); }
    // True when run() stopped early under giveUpAfter: no trace succeeded.
    bool gaveUp() const { return m_gaveUp; }

private:
    struct Trace {
        bool success = false;
        std::vector<StageTrace> stages;
        std::optional<Error> error;
    };
    Trace runOne(std::size_t example, int round) const;
    // The round whose trace succeeded, if any among the rounds computed.
    std::optional<int> successRound(std::size_t example) const;
    // giveUpAfter reached: that many examples traced, none succeeded.
    bool hopeless() const;

    Program m_student;
    const std::vector<Example> &m_trainset;
    BootstrapSettings m_settings;
    Lm &m_lm;
    const Adapter &m_adapter;
    const Metric &m_metric;
    CallOptions m_call;
    int m_threads = 1;
    const std::atomic<bool> *m_cancel = nullptr;
    WorkerPool *m_pool = nullptr; // the run's; null = threads of its own per batch

    Program m_teacher;
    std::vector<std::vector<std::size_t>> m_teacherSources; // per predictor: trainset index of each labeled demo
    std::map<std::pair<std::size_t, int>, Trace> m_traces;  // (example, round)
    int m_errors = 0;
    std::optional<Error> m_firstError;
    bool m_gaveUp = false;
};

// DSPy's BootstrapFewShot: demos = successful teacher traces on the trainset
// (in order, up to max_bootstrapped_demos), then labeled demos up to
// max_labeled_demos. The teacher model is OptimizeContext::teacherLm.
class BootstrapFewShot final : public Optimizer {
public:
    explicit BootstrapFewShot(BootstrapSettings settings = {});
    // max_bootstrapped_demos, max_labeled_demos, max_rounds, metric_threshold, seed.
    explicit BootstrapFewShot(const OptimizerConfig &config);

    const char *name() const override { return "bootstrap"; }
    Result<OptimizeResult> compile(const Program &student, const std::vector<Example> &trainset,
                                   const std::vector<Example> &valset, OptimizeContext &context) override;

private:
    BootstrapSettings m_settings;
};

} // namespace prism
