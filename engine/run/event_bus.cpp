#include "run/event_bus.h"

#include <chrono>

namespace prism {

namespace {

double nowSeconds()
{
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

} // namespace

void EventBus::addListener(Listener listener)
{
    std::lock_guard lock(m_mutex);
    auto listeners = std::make_shared<std::vector<Listener>>(*m_listeners);
    listeners->push_back(std::move(listener));
    m_listeners = std::move(listeners);
}

// How order is kept without holding the lock in listeners: an event gets its
// seq and joins m_pending under the lock, so m_pending is in seq order. One
// thread at a time drains it (m_draining): it takes the front event, unlocks,
// runs the listeners in the order they were added (the store first), locks
// again and marks the event delivered. A publisher that finds another thread
// draining waits until its own event is delivered; a listener that publishes
// (the drainer itself) only queues, and the loop delivers that event next.
// So every listener sees every event once, in seq order, the store before the
// others, and no listener runs with m_mutex held.
void EventBus::publish(EventPayload payload)
{
    std::unique_lock lock(m_mutex);
    if (m_startSeconds < 0)
        m_startSeconds = nowSeconds();
    RunEvent event;
    event.seq = ++m_seq;
    event.payload = std::move(payload);
    event.elapsedSeconds = m_elapsedOffset + nowSeconds() - m_startSeconds;
    const std::uint64_t mine = event.seq;
    m_pending.push_back(std::move(event));
    if (m_draining) {
        if (m_drainer != std::this_thread::get_id())
            m_deliveredChanged.wait(lock, [&] { return m_deliveredUpTo >= mine; });
        return;
    }
    m_draining = true;
    m_drainer = std::this_thread::get_id();
    while (!m_pending.empty()) {
        const RunEvent next = std::move(m_pending.front());
        m_pending.pop_front();
        deliver(next, lock);
        m_deliveredUpTo = next.seq;
        m_deliveredChanged.notify_all();
    }
    m_draining = false;
    m_drainer = std::thread::id();
}

// Called and returns with lock held; unlocks it around the callbacks.
void EventBus::deliver(const RunEvent &event, std::unique_lock<std::mutex> &lock)
{
    // Whether an event is a replay is decided at delivery, not at numbering:
    // a divergence found on an earlier event lowers the bound for later ones.
    if (event.seq <= m_replayUpTo) {
        const ReplayChecker checker = m_replayChecker;
        bool matches = true;
        if (checker) {
            lock.unlock();
            matches = checker(event);
            lock.lock();
        }
        if (matches)
            return;
        m_replayUpTo = event.seq - 1;
    }
    const std::shared_ptr<const std::vector<Listener>> listeners = m_listeners;
    lock.unlock();
    for (const auto &listener : *listeners)
        listener(event);
    lock.lock();
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
