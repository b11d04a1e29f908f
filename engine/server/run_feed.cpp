#include "server/run_feed.h"

#include "run/run_store.h"

#include <algorithm>

namespace prism {

namespace {

bool runIsOver(RunStatus status)
{
    return status != RunStatus::Running && status != RunStatus::Queued;
}

// A feed nobody watched for this long is dropped; a client that comes back
// later reads the run again from the store.
constexpr auto kIdleFeed = std::chrono::seconds(30);

} // namespace

RunFeeds::RunFeeds(std::shared_ptr<RunStore> store, std::chrono::milliseconds tick)
    : m_store(std::move(store)), m_tick(tick), m_thread([this] { poll(); })
{}

RunFeeds::~RunFeeds()
{
    shutdown();
    m_thread.join();
}

void RunFeeds::shutdown()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_changed.notify_all();
}

void RunFeeds::refresh(const std::string &runId)
{
    std::shared_ptr<Feed> feed;
    std::uint64_t after = 0;
    {
        std::lock_guard lock(m_mutex);
        auto it = m_feeds.find(runId);
        if (it == m_feeds.end())
            return;
        feed = it->second;
        after = feed->lastSeq;
    }
    // Status first: events read after a status that says "over" are all of them.
    auto run = m_store->loadRun(runId);
    auto events = run ? m_store->events(runId, after) : Result<std::vector<RunEvent>>(run.error());
    std::lock_guard lock(m_mutex);
    if (!run || !events) {
        feed->error = run ? events.error() : run.error();
    } else if (feed->loaded && runIsOver(feed->status) && !runIsOver(run->status)) {
        // Resumed: it may replay and rewrite events after its stop, so the
        // feed starts over from the store (clients keep their own place).
        feed->events.clear();
        feed->lastSeq = 0;
        feed->loaded = false;
        feed->status = run->status;
    } else {
        feed->error.reset();
        feed->status = run->status;
        for (RunEvent &event : events.value())
            if (event.seq > feed->lastSeq) {
                feed->lastSeq = event.seq;
                feed->events.push_back(std::move(event));
            }
        feed->loaded = true;
    }
    m_changed.notify_all();
}

void RunFeeds::poll()
{
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        m_changed.wait_for(lock, m_tick, [this] { return m_stop; });
        if (m_stop)
            break;
        std::vector<std::string> watched;
        const auto now = std::chrono::steady_clock::now();
        for (auto it = m_feeds.begin(); it != m_feeds.end();) {
            const Feed &feed = *it->second;
            if (feed.watchers == 0 && now - feed.lastWatched > kIdleFeed) {
                it = m_feeds.erase(it);
                continue;
            }
            if (feed.watchers > 0)
                watched.push_back(it->first);
            ++it;
        }
        lock.unlock();
        for (const std::string &runId : watched)
            refresh(runId);
        lock.lock();
    }
}

RunFeeds::Batch RunFeeds::next(const std::string &runId, std::uint64_t afterSeq, std::chrono::milliseconds wait)
{
    std::shared_ptr<Feed> feed;
    bool readNow = false;
    {
        std::lock_guard lock(m_mutex);
        auto &slot = m_feeds[runId];
        if (!slot)
            slot = std::make_shared<Feed>();
        feed = slot;
        ++feed->watchers;
        feed->lastWatched = std::chrono::steady_clock::now();
        // A new feed is read at once, and so is one that says the run is
        // over (it may have been resumed since): neither waits a tick.
        readNow = !feed->loaded || runIsOver(feed->status);
    }
    if (readNow)
        refresh(runId);
    {
        std::lock_guard lock(m_mutex);
        readNow = !feed->loaded && !feed->error; // reset by a resume: read it again from the start
    }
    if (readNow)
        refresh(runId);
    std::unique_lock lock(m_mutex);
    const auto ready = [&] {
        return m_stop || feed->error || (feed->loaded && (feed->lastSeq > afterSeq || runIsOver(feed->status)));
    };
    m_changed.wait_for(lock, wait, ready);
    Batch batch;
    batch.status = feed->status;
    batch.error = feed->error;
    // Events are in seq order: start at the first after afterSeq.
    auto first = std::upper_bound(feed->events.begin(), feed->events.end(), afterSeq,
                                  [](std::uint64_t seq, const RunEvent &event) { return seq < event.seq; });
    batch.events.assign(first, feed->events.end());
    batch.ended = feed->loaded && runIsOver(feed->status);
    --feed->watchers;
    feed->lastWatched = std::chrono::steady_clock::now();
    return batch;
}

} // namespace prism
