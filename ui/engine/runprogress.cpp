#include "engine/runprogress.h"

#include "core/json.h"

#include <nlohmann/json.hpp>

namespace {

std::optional<double> number(const prism::Json &payload, const char *key)
{
    if (payload.contains(key) && payload[key].is_number())
        return payload[key].get<double>();
    return std::nullopt;
}

std::string text(const prism::Json &payload, const char *key)
{
    return payload.contains(key) && payload[key].is_string() ? payload[key].get<std::string>() : std::string();
}

} // namespace

void RunProgress::apply(const std::vector<prism::RunEvent> &events)
{
    for (const auto &event : events)
        apply(event);
}

void RunProgress::apply(const prism::RunEvent &event)
{
    lastSeq = event.seq;
    const prism::Json payload = prism::Json::parse(event.payloadJson, nullptr, false);
    if (!payload.is_object())
        return;
    switch (event.type) {
    case prism::EventType::RunStarted:
        runId = text(payload, "run_id");
        optimizer = text(payload, "optimizer");
        break;
    case prism::EventType::PhaseStarted:
        phase = text(payload, "phase");
        break;
    case prism::EventType::InstructionProposed:
        ++candidates;
        break;
    case prism::EventType::TrialFinished:
        ++trialsDone;
        if (text(payload, "state") == "failed")
            ++failedTrials;
        break;
    case prism::EventType::FullEvalFinished:
        ++fullEvals;
        // The first full evaluation is the baseline (trial 1).
        if (!baselineScore)
            baselineScore = number(payload, "score");
        break;
    case prism::EventType::BestUpdated:
        if (auto score = number(payload, "score"))
            bestScore = score;
        break;
    case prism::EventType::BudgetWarning:
    case prism::EventType::Warning:
    case prism::EventType::Error:
        lastWarning = text(payload, "message");
        break;
    case prism::EventType::RunFinished:
        finished = true;
        stopReason = text(payload, "stop_reason");
        if (auto baseline = number(payload, "baseline_score"))
            baselineScore = baseline;
        if (auto best = number(payload, "best_score"))
            bestScore = best;
        break;
    default:
        break;
    }
}
