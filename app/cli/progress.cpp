#include "cli.h"

#include "run/run_state.h"

#include <spdlog/fmt/fmt.h>

#include <cstdio>

namespace prism::cli {

ProgressLine::ProgressLine(std::size_t total, bool enabled) : m_total(total), m_enabled(enabled && total > 0) {}

void ProgressLine::advance()
{
    if (!m_enabled)
        return;
    std::lock_guard<std::mutex> lock(m_mutex);
    ++m_done;
    std::fprintf(stderr, "\reval %zu/%zu", m_done, m_total);
    std::fflush(stderr);
}

void ProgressLine::finish()
{
    if (!m_enabled)
        return;
    std::lock_guard<std::mutex> lock(m_mutex);
    // Erase the line so that it does not mix with what follows.
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
}

std::string progressLine(const RunEvent &event, const RunState &state)
{
    auto percent = [](std::optional<double> v) { return v ? fmt::format("{:.2f}%", *v) : std::string("n/a"); };
    if (event.as<PhaseStartedEvent>())
        return "phase: " + state.phase();
    if (const auto *t = event.as<TrialFinishedEvent>())
        return fmt::format("trial {} ({}): {}", state.highestTrialNumber(), t->kind,
                           t->score ? fmt::format("{:.2f}%", *t->score) : std::string("no score"));
    if (event.as<BestUpdatedEvent>())
        return "best so far: " + percent(state.bestScore());
    if (const auto *w = event.as<WarningEvent>())
        return "warning: " + w->message;
    if (const auto *w = event.as<BudgetWarningEvent>())
        return "warning: " + w->message;
    if (const auto *e = event.as<ErrorEvent>())
        return "error: " + e->message;
    return std::string();
}

} // namespace prism::cli
