#include "run/events.h"

#include <nlohmann/json.hpp>

#include <chrono>

namespace prism {

namespace {

struct EventName {
    EventType type;
    const char *name;
};

constexpr EventName kEventNames[] = {
    {EventType::RunStarted, "run_started"},
    {EventType::PhaseStarted, "phase_started"},
    {EventType::DemoSetReady, "demo_set_ready"},
    {EventType::SummaryReady, "summary_ready"},
    {EventType::InstructionProposed, "instruction_proposed"},
    {EventType::TrialStarted, "trial_started"},
    {EventType::TrialFinished, "trial_finished"},
    {EventType::FullEvalFinished, "full_eval_finished"},
    {EventType::BestUpdated, "best_updated"},
    {EventType::BudgetWarning, "budget_warning"},
    {EventType::Warning, "warning"},
    {EventType::Error, "error"},
    {EventType::RunFinished, "run_finished"},
};

double nowSeconds()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

} // namespace

const char *eventTypeName(EventType type)
{
    for (const auto &e : kEventNames)
        if (e.type == type)
            return e.name;
    return "warning";
}

bool eventTypeFromName(const std::string &name, EventType &out)
{
    for (const auto &e : kEventNames) {
        if (name == e.name) {
            out = e.type;
            return true;
        }
    }
    return false;
}

std::string RunEvent::toJsonLine() const
{
    Json line = Json::object();
    line["seq"] = seq;
    line["type"] = eventTypeName(type);
    line["elapsed"] = elapsedSeconds;
    if (!payloadJson.empty()) {
        const Json payload = Json::parse(payloadJson, nullptr, false);
        if (payload.is_object())
            for (auto it = payload.begin(); it != payload.end(); ++it)
                line[it.key()] = it.value();
    }
    return line.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void EventBus::addListener(Listener listener)
{
    std::lock_guard lock(m_mutex);
    m_listeners.push_back(std::move(listener));
}

void EventBus::publish(EventType type, const Json &payload)
{
    std::lock_guard lock(m_mutex);
    if (m_startSeconds < 0)
        m_startSeconds = nowSeconds();
    RunEvent event;
    event.seq = ++m_seq;
    event.type = type;
    event.payloadJson = payload.dump(-1, ' ', false, Json::error_handler_t::replace);
    event.elapsedSeconds = m_elapsedOffset + nowSeconds() - m_startSeconds;
    if (event.seq <= m_replayUpTo) {
        if (!m_replayChecker || m_replayChecker(event))
            return;
        m_replayUpTo = event.seq - 1;
    }
    for (const auto &listener : m_listeners)
        listener(event);
}

std::uint64_t EventBus::lastSeq() const
{
    std::lock_guard lock(m_mutex);
    return m_seq;
}

void EventBus::setReplayUpTo(std::uint64_t seq)
{
    std::lock_guard lock(m_mutex);
    m_replayUpTo = seq;
}

void EventBus::setReplayChecker(ReplayChecker checker)
{
    std::lock_guard lock(m_mutex);
    m_replayChecker = std::move(checker);
}

void EventBus::setElapsedOffset(double seconds)
{
    std::lock_guard lock(m_mutex);
    m_elapsedOffset = seconds;
}

} // namespace prism
