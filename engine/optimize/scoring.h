#pragma once

// What the optimizers share to run and score programs: a traced program run
// with an exact call count, a call counter per
// role, the memo of (program, example) scores, the shrinkage ranking, and the
// trial runner that emits trial events.
#include "adapter/predict.h"
#include "core/json.h"
#include "core/worker_pool.h"
#include "eval/evaluator.h"
#include "optimize/optimizer.h"

#include <atomic>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace prism {

struct TracedRun {
    Prediction prediction;          // all stages' outputs; error says which stage failed
    std::vector<StageTrace> stages; // the stages that completed
    int lmCalls = 0;                // every LM call, failed tries and JSON fallbacks included
};

// runProgram, keeping each stage's inputs and outputs (bootstrapped demos are
// made of them) and counting every LM call.
TracedRun runTraced(const Program &program, const Fields &inputs, Lm &lm, const Adapter &adapter,
                    const CallOptions &options);

// A budget or a cancel refused the call: that is a reason to stop the run,
// not a result of the program.
bool isStopError(const Error &error);

// Counts the calls made through it by request role. A refused call (budget,
// cancel) is not counted; a cache hit is counted apart.
class CountingLm final : public Lm {
public:
    explicit CountingLm(Lm &inner) : m_inner(inner) {}
    Result<ChatResponse> complete(const ChatRequest &request) override;
    std::string describe() const override { return m_inner.describe(); }

    std::map<std::string, RoleCalls> byRole() const;
    long long calls(const std::string &role) const;
    // The first budget or cancel refusal, as the model said it (callers
    // wrap messages with where the call was made).
    std::optional<Error> firstStopError() const;

private:
    Lm &m_inner;
    mutable std::mutex m_mutex;
    std::map<std::string, RoleCalls> m_byRole;
    std::optional<Error> m_firstStop;
};

// The stop reason of a run stopped by `error`: the budget's own message (as
// the first of `lms` that saw it reported it), or "cancelled".
StopReason stopReasonOf(const Error &error, std::initializer_list<const CountingLm *> lms);

// Adds b's counts into a.
void addCalls(std::map<std::string, RoleCalls> &a, const std::map<std::string, RoleCalls> &b);

// A stable content hash of a program (instructions, fields, demos): two
// configs that build the same program share their scores.
std::string programFingerprint(const Program &program);

// Percent with 2 decimals, as DSPy's Evaluate reports a mean in [0, 1].
double toPercent(double mean);

// Ranking for full evaluation. A config's estimate is the posterior mean with
// shrinkage toward the mean of every score seen so far:
//   (sum of its per-example scores + m * priorMean) / (count + m)
// so a config seen on few examples is pulled toward the average, and a lucky
// minibatch does not outrank a config measured on many examples.
struct RankCandidate {
    double sum = 0.0; // per-example scores in [0, 1]
    int count = 0;    // examples scored
};
constexpr double kShrinkageWeight = 10.0;
double shrinkageEstimate(const RankCandidate &candidate, double priorMean, double weight = kShrinkageWeight);
// Index of the candidate with the highest estimate (the earliest on a tie);
// -1 when the list is empty.
int pickByShrinkage(const std::vector<RankCandidate> &candidates, double priorMean, double weight = kShrinkageWeight);

// One predictor's choice in a config: instruction candidate and demo set
// (no demo set in zero-shot mode).
// "classify:i2.d3", predictors joined by "|".
std::string configKeyOf(const std::vector<ConfigChoice> &choices);

// One evaluation of one config on a list of validation examples.
struct TrialSpec {
    int number = 0;
    std::string kind = "full"; // minibatch | full
    std::vector<ConfigChoice> config;
    std::string configKey; // "classify:i2.d3"
    Program program;
    std::vector<std::size_t> examples; // validation indices
    std::optional<int> searchTrial;    // TrialStartedEvent::searchTrial
};

struct TrialOutcome {
    // A budget or cancel stopped it before every example was scored: no
    // result and no trial_finished event.
    bool interrupted = false;
    std::optional<Error> stopError;
    bool failed = false;
    std::string failure;         // the cause, when failed
    std::optional<double> score; // percent (2 decimals) over the scored examples
    std::size_t scored = 0;
    std::size_t errors = 0;
    long long newCalls = 0;
    long long memoHits = 0;
    std::vector<std::pair<std::size_t, std::optional<double>>> results; // (index, score) in spec order
};

// Scores trials against one validation set with a memo keyed by (program
// fingerprint, example index): a pair is scored once and reused by every
// later minibatch and full evaluation. Errors are memoized too (a
// deterministic failure would fail again); budget and cancel refusals are not.
class TrialRunner {
public:
    TrialRunner(const std::vector<Example> &valset, Lm &lm, const Adapter &adapter, const Metric &metric,
                const OptimizeContext &context, CallOptions call);

    // Emits trial_started for every spec, scores every pair not in the memo in
    // parallel (a pair shared by two specs is scored once), stores the new
    // results, calls context.onExampleResult once per (config key, example)
    // not handed over before (in spec and example order),
    // then emits trial_finished for every spec that was not interrupted.
    // A trial fails when more than context.maxErrors of its examples (or all
    // of them) errored; the cause names the count and the first error.
    std::vector<TrialOutcome> run(const std::vector<TrialSpec> &specs);

    struct Tally {
        double sum = 0.0;
        int scored = 0;
        int errors = 0;
    };
    Tally tally(const std::string &fingerprint) const;
    // The memoized score of (program fingerprint, validation index); empty
    // when that pair errored or was not scored.
    std::optional<double> memoScore(const std::string &fingerprint, std::size_t index) const;
    // Mean of every memoized score, over all configs; 0 when there is none.
    double globalMean() const;
    long long memoHits() const { return m_memoHits; }
    long long newCalls() const { return m_newCalls; }
    const std::vector<Example> &valset() const { return m_valset; }

private:
    struct Entry {
        std::optional<double> score;
        std::optional<Error> error;
        int lmCalls = 0;
        std::shared_ptr<const ExampleResult> result; // for onExampleResult under another config key
    };
    // One (spec, example) pair to score.
    struct ScoringJob {
        std::size_t spec = 0;
        std::size_t example = 0;
    };
    void publish(EventPayload payload) const;
    // Puts new results into the memo in job order; returns the first budget or
    // cancel refusal, which is not memoized.
    std::optional<Error> memoize(const std::vector<ScoringJob> &jobs,
                                 std::vector<std::optional<ExampleResult>> &results,
                                 const std::vector<std::string> &fingerprints);
    void notifyExampleResults(const std::vector<TrialSpec> &specs, const std::vector<std::string> &fingerprints);
    // The spec's outcome from the memo; emits trial_finished unless interrupted.
    TrialOutcome finishTrial(const TrialSpec &spec, const std::string &fingerprint, const std::vector<bool> &owned,
                             const std::optional<Error> &stopError);

    const std::vector<Example> &m_valset;
    Lm &m_lm;
    const Adapter &m_adapter;
    const Metric &m_metric;
    const OptimizeContext &m_context;
    CallOptions m_call;
    std::map<std::pair<std::string, std::size_t>, Entry> m_memo;
    std::map<std::string, Tally> m_tallies;
    std::set<std::pair<std::string, std::size_t>> m_notified; // (config key, example) handed to onExampleResult
    double m_globalSum = 0.0;
    long long m_globalCount = 0;
    long long m_memoHits = 0;
    long long m_newCalls = 0;
};

// For the optimizers that compile without a search (LabeledFewShot,
// BootstrapFewShot): scores the student (trial 1, config "<p>:i0.d0") and the
// compiled result.program (trial 2, "<p>:i0.d1") on the whole valset, with
// trial, full-eval and best events, and fills the result's scores, notes and
// "evaluation" calls. The compiled program is returned even when it scores
// lower (a note says so). Nothing happens for an empty valset.
void scoreAgainstStudent(const Program &student, const std::vector<Example> &valset, const OptimizeContext &context,
                         OptimizeResult &result);

// The trainset split in two when a study has no validation set: a seeded
// shuffle (stream "valset-split"), the first half (rounded down) becomes the
// validation set; both halves keep the trainset's order. MIPROv2 and GEPA
// split the same way. A Data error names the optimizer when there are fewer
// than 2 examples.
struct TrainValSplit {
    std::vector<Example> train;
    std::vector<Example> val;
};
Result<TrainValSplit> splitOffValidation(const std::vector<Example> &trainset, std::uint64_t seed,
                                         const char *optimizer);

// The rows an optimizer learns from and the rows it selects on: the given
// valset when there is one (a Data error when the trainset is then empty),
// else the trainset split by splitOffValidation.
Result<TrainValSplit> trainAndValidation(const std::vector<Example> &trainset, const std::vector<Example> &valset,
                                         std::uint64_t seed, const char *optimizer);

// Latches a cancel request into `stop` (an earlier stop is kept); true when
// the run is stopping for any reason.
bool latchCancel(std::optional<StopReason> &stop, const OptimizeContext &context);

// The options of a task-model call of role `role` (evaluation, minibatch,
// bootstrap...): the run's task temperature and max tokens.
CallOptions taskCallOptions(const OptimizeContext &context, std::string role);

// A demo set's kind for demo_set_ready: empty, bootstrapped (a trace among
// its demos) or labeled.
std::string demoSetKind(const std::vector<Demo> &demos);

// A Config error when every stage of the program is frozen: nothing for
// `optimizer` to change.
Result<void> checkTunable(const Program &program, const std::string &optimizer);

// Demo sets per predictor (one set each) with each frozen predictor's own
// demos put back, so a frozen stage leaves an optimizer as it came in.
void keepFrozenDemos(const Program &student, std::vector<std::vector<Demo>> &demos);

// Emits an event when the context has a sink.
void emitEvent(const OptimizeContext &context, EventPayload payload);

} // namespace prism
