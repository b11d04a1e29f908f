#pragma once

#include "core/result.h"
#include "optimize/search/sampler.h"
#include "optimize/search/search_space.h"

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

namespace prism {

// Ask/tell bookkeeping of one search, modelled on optuna.Study: the caller
// asks for a config, evaluates it however it likes (in parallel with other
// asks), then tells the value or the failure. Larger values are better.
//
// Determinism: trial n's draws come from Rng::forNumberedStream(seed, n), so
// the asks depend only on the seed and the history at the time of asking.
// A study rebuilt from stored trials (addCompleted / addFailed in number
// order) continues exactly as the original would have.
//
// Not thread-safe: call from one thread (the run's engine thread).
class SearchStudy {
public:
    SearchStudy(SearchSpace space, std::unique_ptr<Sampler> sampler, std::uint64_t seed);

    // A new Pending trial: the oldest enqueued config if any, else the
    // sampler's proposal given every trial so far (pending ones included).
    SearchTrial ask();
    // Completes a Pending trial. A non-finite value marks it Failed instead,
    // as Optuna does with NaN. Fails on an unknown or already finished trial.
    Result<void> tell(int number, double value);
    // Marks a Pending trial Failed; samplers then ignore it.
    Result<void> fail(int number);

    // The next ask() returns this config (first in, first out).
    Result<void> enqueue(Config config);
    // Records an already evaluated trial, e.g. the baseline MIPROv2 scores
    // before the search, or a stored trial when resuming. Returns its number.
    Result<int> addCompleted(Config config, double value);
    Result<int> addFailed(Config config);
    // Restores a trial that was asked but not told before a restart.
    Result<int> addPending(Config config);

    const SearchSpace &space() const { return m_space; }
    const Sampler &sampler() const { return *m_sampler; }
    std::uint64_t seed() const { return m_seed; }
    // In number order; trial n is trials()[n].
    const std::vector<SearchTrial> &trials() const { return m_trials; }
    // nullptr for an unknown number.
    const SearchTrial *trial(int number) const;
    int count(SearchTrialState state) const;
    int pendingEnqueued() const { return static_cast<int>(m_queue.size()); }
    // The Complete trial with the highest value; the earliest on a tie.
    std::optional<SearchTrial> bestTrial() const;

private:
    Result<SearchTrial *> pendingTrial(int number, const char *action);

    SearchSpace m_space;
    std::unique_ptr<Sampler> m_sampler;
    std::uint64_t m_seed = 0;
    std::vector<SearchTrial> m_trials;
    std::deque<Config> m_queue;
};

} // namespace prism
