#include "events/events.h"

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
    {EventType::CandidateProposed, "candidate_proposed"},
    {EventType::ProgramChosen, "program_chosen"},
};

static_assert(std::variant_size_v<EventPayload> == std::size(kEventNames),
              "one payload struct per event type, in EventType order");

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

EventType eventTypeOf(const EventPayload &payload)
{
    return static_cast<EventType>(payload.index());
}

} // namespace prism
