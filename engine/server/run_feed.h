#pragma once

// The events of runs that API clients watch (GET /v1/runs/{id}/events): one
// reader per watched run asks the store for new events once per tick and
// wakes every client of that run, so 200 clients of a run cost the database
// what one does.
#include "core/result.h"
#include "events/events.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace prism {

class RunStore;

class RunFeeds {
public:
    RunFeeds(std::shared_ptr<RunStore> store, std::chrono::milliseconds tick);
    ~RunFeeds();
    RunFeeds(const RunFeeds &) = delete;
    RunFeeds &operator=(const RunFeeds &) = delete;

    struct Batch {
        std::vector<RunEvent> events; // seq > afterSeq, in order
        bool ended = false;           // the run ended and every event of it is in events (or was before)
        RunStatus status = RunStatus::Running;
        std::optional<Error> error; // the store could not be read
    };
    // The run's events after afterSeq, waiting up to `wait` for some to come.
    Batch next(const std::string &runId, std::uint64_t afterSeq, std::chrono::milliseconds wait);
    // Wakes every waiting client (the server stops).
    void shutdown();

private:
    struct Feed {
        std::vector<RunEvent> events;
        std::uint64_t lastSeq = 0;
        RunStatus status = RunStatus::Running;
        bool loaded = false;
        std::optional<Error> error;
        int watchers = 0;
        std::chrono::steady_clock::time_point lastWatched;
    };
    void poll();
    void refresh(const std::string &runId);

    std::shared_ptr<RunStore> m_store;
    std::chrono::milliseconds m_tick;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::map<std::string, std::shared_ptr<Feed>> m_feeds;
    bool m_stop = false;
    std::thread m_thread;
};

} // namespace prism
