#pragma once

#include "optimize/bootstrap_fewshot.h"
#include "optimize/optimizer.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace prism {

struct RandomSearchSettings {
    // max_bootstrapped_demos (the largest shuffled bootstrap), max_labeled_demos,
    // max_rounds, metric_threshold and the seed, as BootstrapFewShot reads them.
    BootstrapSettings bootstrap;
    int numCandidatePrograms = kRandomSearchCandidates; // shuffled bootstraps after the three fixed candidates
    std::optional<double> stopAtScore;                  // percent; unset = score every candidate
};

// One candidate program of the search, before it is built.
struct SearchCandidate {
    int seed = 0;     // DSPy's: -3 zero-shot, -2 labeled, -1 unshuffled bootstrap, 0.. shuffled bootstraps
    std::string kind; // zero-shot | labeled | unshuffled | shuffled
    std::vector<std::size_t> order; // bootstrap candidates: the trainset indices in the order tried
    int quota = 0;                  // bootstrap candidates: traces wanted
};

// The candidates in DSPy's order: zero-shot (the student without demos),
// labeled (LabeledFewShot's demos for the seed), the unshuffled bootstrap
// (BootstrapFewShot's for the seed: max_bootstrapped_demos traces in
// trainset order), then numCandidatePrograms bootstraps, each on the
// trainset shuffled by its own stream of the seed with a size drawn uniformly
// in [1, max_bootstrapped_demos] (0 when that is 0: a labeled set of its own).
std::vector<SearchCandidate> randomSearchCandidates(const RandomSearchSettings &settings, std::size_t trainSize);

// DSPy's BootstrapFewShotWithRandomSearch: every candidate is scored on the
// valset (the trainset when there is none, as DSPy does); the best wins, a
// tie going to the earliest; stop_at_score ends the search at the first
// candidate that reaches it.
//
// Cheaper than DSPy where it does not change the result: one teacher serves
// every bootstrap (a trace of an example is computed once and shared by every
// candidate that tries it), a (program, example) pair is scored once (equal
// candidates cost nothing), and candidates are scored together in parallel.
// With stop_at_score they are built and scored one at a time, so no call is
// spent beyond the candidate that stops the search. Trial k+1 is candidate k
// (config "<predictor>:i0.d<k>", as MIPROv2 numbers its demo sets); the
// candidates do not depend on the thread count.
class BootstrapFewShotWithRandomSearch final : public Optimizer {
public:
    explicit BootstrapFewShotWithRandomSearch(RandomSearchSettings settings = {});
    // max_bootstrapped_demos, max_labeled_demos, max_rounds, metric_threshold,
    // num_candidates (num_candidate_programs; unset = 16), stop_at_score, seed.
    explicit BootstrapFewShotWithRandomSearch(const OptimizerConfig &config);

    const char *name() const override { return "random_search"; }
    Result<OptimizeResult> compile(const Program &student, const std::vector<Example> &trainset,
                                   const std::vector<Example> &valset, OptimizeContext &context) override;

private:
    RandomSearchSettings m_settings;
};

} // namespace prism
