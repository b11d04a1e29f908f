#pragma once

#include "core/json.h"

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace prism {

// What a run reports as it goes (DESIGN.md §5). Names are the wire names used
// in the run store and the JSONL event log.
enum class EventType {
    RunStarted,
    PhaseStarted,
    DemoSetReady,
    SummaryReady,
    InstructionProposed,
    TrialStarted,
    TrialFinished,
    FullEvalFinished,
    BestUpdated,
    BudgetWarning,
    Warning,
    Error,
    RunFinished,
};

const char *eventTypeName(EventType type);
bool eventTypeFromName(const std::string &name, EventType &out);

struct RunEvent {
    std::uint64_t seq = 0; // 1-based, in emission order; deterministic for a seed
    EventType type = EventType::Warning;
    std::string payloadJson; // event-specific fields as a JSON object; never wall-clock time
    double elapsedSeconds = 0.0;

    // {"seq":..,"type":"trial_finished","elapsed":..,...payload}
    std::string toJsonLine() const;
};

// Receives events from an optimizer. Implementations must be thread-safe:
// optimizers emit from their own thread only, but sinks may be shared.
class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void publish(EventType type, const Json &payload) = 0;
};

// Numbers events, then hands them to listeners in order. The run store is the
// first listener, so an event is stored before anyone else sees it.
class EventBus final : public EventSink {
public:
    using Listener = std::function<void(const RunEvent &)>;

    void addListener(Listener listener);
    void publish(EventType type, const Json &payload) override;
    std::uint64_t lastSeq() const;
    // Events with seq <= this are not delivered again (used when a resumed run replays).
    void setReplayUpTo(std::uint64_t seq);

    // Sees each replayed event (seq <= the replay bound) instead of the
    // listeners. Returning false means the replay diverged from the stored
    // log: the replay ends, and this event and all later ones go to the listeners.
    using ReplayChecker = std::function<bool(const RunEvent &)>;
    void setReplayChecker(ReplayChecker checker);
    // Added to every elapsed time (a resumed run continues its clock).
    void setElapsedOffset(double seconds);

private:
    mutable std::mutex m_mutex;
    std::vector<Listener> m_listeners;
    std::uint64_t m_seq = 0;
    std::uint64_t m_replayUpTo = 0;
    ReplayChecker m_replayChecker;
    double m_startSeconds = -1.0;
    double m_elapsedOffset = 0.0;
};

} // namespace prism
