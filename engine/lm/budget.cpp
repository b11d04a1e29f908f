#include "lm/budget.h"

#include <spdlog/fmt/fmt.h>

namespace prism {

namespace {

// "0.5" rather than "0.500000"; dollars keep cents.
std::string shortNumber(double value)
{
    return fmt::format("{:g}", value);
}

} // namespace

BudgetTracker::BudgetTracker(Budget budget, std::shared_ptr<Clock> clock)
    : m_budget(budget), m_clock(clock ? std::move(clock) : systemClock()), m_start(m_clock->now())
{}

std::optional<std::string> BudgetTracker::limitReachedLocked() const
{
    if (m_budget.maxCalls && m_calls >= *m_budget.maxCalls)
        return fmt::format("{} calls", *m_budget.maxCalls);
    if (m_budget.maxTokens && m_tokens >= *m_budget.maxTokens)
        return fmt::format("{} tokens", *m_budget.maxTokens);
    if (m_budget.maxDollars && m_dollars >= *m_budget.maxDollars)
        return fmt::format("${:.2f}", *m_budget.maxDollars);
    if (m_budget.maxWallSeconds) {
        const double elapsed = Clock::seconds(m_clock->now() - m_start);
        if (elapsed >= *m_budget.maxWallSeconds)
            return shortNumber(*m_budget.maxWallSeconds) + " s wall time";
    }
    return std::nullopt;
}

Result<void> BudgetTracker::tryStartCall()
{
    std::lock_guard lock(m_mutex);
    if (auto reached = limitReachedLocked()) {
        if (m_stopReason.empty())
            m_stopReason = "budget: " + *reached + " reached";
        return Error::make(ErrorKind::Budget, "budget reached: " + *reached);
    }
    ++m_calls;
    return {};
}

void BudgetTracker::record(std::optional<long long> tokens, std::optional<double> dollars)
{
    std::lock_guard lock(m_mutex);
    if (tokens)
        m_tokens += *tokens;
    if (dollars)
        m_dollars += *dollars;
}

void BudgetTracker::restartClock()
{
    std::lock_guard lock(m_mutex);
    m_start = m_clock->now();
}

bool BudgetTracker::exhausted() const
{
    std::lock_guard lock(m_mutex);
    return !m_stopReason.empty() || limitReachedLocked().has_value();
}

std::string BudgetTracker::stopReason() const
{
    std::lock_guard lock(m_mutex);
    return m_stopReason;
}

long long BudgetTracker::callsStarted() const
{
    std::lock_guard lock(m_mutex);
    return m_calls;
}

long long BudgetTracker::tokensUsed() const
{
    std::lock_guard lock(m_mutex);
    return m_tokens;
}

double BudgetTracker::dollarsUsed() const
{
    std::lock_guard lock(m_mutex);
    return m_dollars;
}

double BudgetTracker::elapsedSeconds() const
{
    std::lock_guard lock(m_mutex);
    return Clock::seconds(m_clock->now() - m_start);
}

} // namespace prism
