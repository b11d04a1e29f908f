#pragma once

#include "core/result.h"
#include "core/study.h"
#include "optimize/optimizer.h"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace prism {

// DSPy's AUTO_RUN_SETTINGS.
struct AutoPreset {
    const char *name;
    int n;       // demo sets and instruction candidates
    int valSize; // the valset is subsampled to this
};
// light {6, 100}, medium {12, 300}, heavy {18, 1000}; nullptr for another name.
const AutoPreset *autoPreset(const std::string &name);

// DSPy's MIN_MINIBATCH_SIZE: auto mode minibatches only a valset larger than this.
constexpr int kAutoMinibatchThreshold = 50;

// DSPy's num_demos_in_context: task demos shown to the proposer per
// instruction proposal (and labeled grounding demos in zero-shot mode).
inline constexpr std::size_t kProposerDemos = 3;
// create_dataset_summary: at most this many dataset descriptor calls (one per
// view_data_batch_size rows), then one summarizer call.
inline constexpr int kMaxDescriptorCalls = 10;
// MIPROv2's bootstrapped sets stop looking for traces after this many training
// examples without one success (BootstrapSettings::giveUpAfter): two chunks of
// traces, or four tries per wanted demo when more are wanted.
inline int bootstrapPatience(int maxBootstrappedDemos)
{
    return maxBootstrappedDemos * 4 > 16 ? maxBootstrappedDemos * 4 : 16;
}

// num_trials = int(max(2 * V * log2(n), 1.5 * n)), V = number of predictors,
// doubled unless zero-shot (an instruction and a demo variable per predictor).
int autoNumTrials(int n, int numPredictors, bool zeroShot);

// MIPROv2's effective settings, from the study's knobs and the program.
struct MiproSettings {
    bool autoMode = true;
    std::string autoName;          // light | medium | heavy; empty in manual mode
    int numTrials = 0;             // search trials, not counting the baseline and full evaluations
    int numFewshotCandidates = 0;  // demo sets per predictor (none in zero-shot mode)
    int numInstructCandidates = 0; // instruction candidates per predictor, the original included
    std::optional<int> valSize;    // auto: the valset is subsampled to at most this
    bool zeroShot = false;         // max_bootstrapped_demos == max_labeled_demos == 0: no demo dimension
    bool labeledOnly = false;      // max_bootstrapped_demos == 0 < max_labeled_demos: labeled sets only
};

// Whether MIPROv2's trials score minibatches (with full evaluations now and
// then) for a validation set of valRows rows after the preset's subsample:
// auto mode decides by kAutoMinibatchThreshold, manual mode by the minibatch
// knob, and either needs more rows than minibatch_size.
bool miproUsesMinibatches(const OptimizerConfig &config, const MiproSettings &settings, std::size_t valRows);

// Checks the knobs as DSPy's compile() does (auto mode excludes num_trials
// and num_candidates; manual mode needs both, and the error suggests a
// num_trials), plus ranges DSPy does not check. Config errors name the knob.
Result<MiproSettings> resolveMiproSettings(const OptimizerConfig &config, int numPredictors);

// The one check of optimizer settings before a run exists (`prism optimize`,
// RunController::start, the Run page's Start): the name, every knob's range,
// and for miprov2 the auto / manual rules of resolveMiproSettings. A Config
// error whose message starts with the key ("optimizer.num_trials is missing:
// ... a good value is about 10"), so a bad setting never creates a run.
Result<void> validateOptimizerSettings(const OptimizerConfig &config, std::size_t numPredictors);
// The same for a program: it must have a stage the optimizer may change (not
// every stage frozen), and the presets count only those stages, as DSPy counts
// only the predictors of sub-modules not yet compiled.
Result<void> validateOptimizerFor(const OptimizerConfig &config, const Program &program);

// GEPA's auto presets (DSPy's AUTO_RUN_SETTINGS for GEPA): the candidate
// count n of light 6, medium 12, heavy 18; 0 for another name.
int gepaAutoCandidates(const std::string &autoName);
// DSPy's GEPA.auto_budget with its defaults (minibatch 35, full evaluations
// every 5 trials): the metric calls a MIPROv2-like run of n candidates would
// make on a validation set of valSize rows.
long long gepaAutoBudget(int numPredictors, int numCandidates, std::size_t valSize);

// A GEPA run's metric-call budget for its splits (after the valset is
// chosen): auto's formula, max_metric_calls, or max_full_evals x (train + val).
struct GepaBudget {
    long long maxMetricCalls = 0;
    std::string basis; // "auto light", "max_metric_calls", "max_full_evals 3"
};
GepaBudget gepaBudget(const OptimizerConfig &config, int numPredictors, std::size_t trainSize, std::size_t valSize);

// The optimizer a study's config names: labeled (LabeledFewShot), bootstrap
// (BootstrapFewShot), random_search (BootstrapFewShotWithRandomSearch),
// miprov2 (MiproV2) or gepa (Gepa), after validateOptimizerSettings.
Result<std::unique_ptr<Optimizer>> createOptimizer(const OptimizerConfig &config);

} // namespace prism
