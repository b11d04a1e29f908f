#pragma once

#include "core/clock.h"
#include "core/result.h"

#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace prism {

// Limits for a run or an evaluation; an empty optional is no limit.
struct Budget {
    std::optional<long long> maxCalls;  // LM requests started (cache hits are free)
    std::optional<long long> maxTokens; // prompt + completion tokens reported
    std::optional<double> maxDollars;
    std::optional<double> maxWallSeconds;

    bool unlimited() const { return !maxCalls && !maxTokens && !maxDollars && !maxWallSeconds; }
};

// Decides whether another LM request may start. Thread-safe: a budget of N
// calls never lets more than N start, however many threads race. Once a limit
// is reached nothing new starts, in-flight calls finish and are recorded, and
// the first reason is kept. Wall time is read from an injected Clock.
class BudgetTracker {
public:
    // The wall clock starts now, on clock (null means systemClock()).
    explicit BudgetTracker(Budget budget = {}, std::shared_ptr<Clock> clock = nullptr);

    // Reserves one call. Budget error ("budget reached: 20 calls") when a limit is reached.
    Result<void> tryStartCall();
    // Tokens and dollars of a finished call; unknown amounts add nothing.
    void record(std::optional<long long> tokens, std::optional<double> dollars);
    // Restarts the wall clock (the tracker starts it at construction).
    void restartClock();

    const Budget &budget() const { return m_budget; }
    bool exhausted() const;
    // "budget: 20 calls reached"; empty while nothing was refused.
    std::string stopReason() const;
    long long callsStarted() const;
    long long tokensUsed() const;
    double dollarsUsed() const;
    double elapsedSeconds() const;

private:
    std::optional<std::string> limitReachedLocked() const;

    const Budget m_budget;
    const std::shared_ptr<Clock> m_clock;
    mutable std::mutex m_mutex;
    Clock::TimePoint m_start;
    long long m_calls = 0;
    long long m_tokens = 0;
    double m_dollars = 0.0;
    std::string m_stopReason;
};

} // namespace prism
