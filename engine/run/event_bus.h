#pragma once

#include "events/events.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace prism {

// Numbers events, then hands them to listeners in seq order. The run store is
// the first listener, so an event is stored before anyone else sees it.
// Listeners run outside the bus's lock: a listener may call lastSeq() or
// publish() (its event is delivered after the current one) without deadlock.
class EventBus final : public EventSink {
public:
    using Listener = std::function<void(const RunEvent &)>;

    void addListener(Listener listener);
    // Returns once the event has been delivered to every listener, unless it
    // is published by a listener of this bus (then it is delivered right after
    // the event being delivered).
    void publish(EventPayload payload) override;
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
    void deliver(const RunEvent &event, std::unique_lock<std::mutex> &lock);

    mutable std::mutex m_mutex;
    std::condition_variable m_deliveredChanged;
    std::shared_ptr<const std::vector<Listener>> m_listeners = std::make_shared<const std::vector<Listener>>();
    std::uint64_t m_seq = 0;
    std::uint64_t m_replayUpTo = 0;
    ReplayChecker m_replayChecker;
    double m_startSeconds = -1.0;
    double m_elapsedOffset = 0.0;
    // Numbered events not yet delivered, in seq order, and who delivers them.
    std::deque<RunEvent> m_pending;
    std::uint64_t m_deliveredUpTo = 0;
    bool m_draining = false;
    std::thread::id m_drainer;
};

} // namespace prism
