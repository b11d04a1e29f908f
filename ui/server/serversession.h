#pragma once

// The studio attached to a team server (File > Connect to Server, or
// prism-studio --server URL): the server's runs are mirrored into a local run
// store (prism::RunMirror) on a thread of their own, so History, Monitor,
// Compare and Export read them as they read local runs. The run the studio
// watches is synced four times a second, the rest every two seconds.
#include "core/result.h"

#include <QString>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace prism {
class ApiClient;
class RunMirror;
class RunStore;
} // namespace prism

class ServerSession {
public:
    // Connects (the token is checked with a first request) and opens the
    // mirror store for this server in the data directory. Errors say which.
    static prism::Result<std::shared_ptr<ServerSession>> connect(const QString &url, const QString &token);
    ~ServerSession(); // stops the sync thread; server runs go on
    ServerSession(const ServerSession &) = delete;
    ServerSession &operator=(const ServerSession &) = delete;

    QString url() const;
    std::shared_ptr<prism::ApiClient> client() const { return m_client; }
    // The mirror: written by the sync thread only.
    std::shared_ptr<prism::RunStore> mirror() const { return m_mirror; }

    // Syncs this run (a submitted or opened one) at the fast cadence.
    void watch(const QString &runId);
    // Wakes the sync thread now (after a submit, cancel or resume).
    void syncSoon();
    // Grows with every sync that changed the mirror: the pages refresh when it moves.
    unsigned long long generation() const { return m_generation.load(); }
    // The last sync problem ("no answer", a revoked token); empty when the last sync worked.
    QString problem() const;

private:
    ServerSession() = default;
    void loop();

    std::shared_ptr<prism::ApiClient> m_client;
    std::shared_ptr<prism::RunStore> m_mirror;
    std::unique_ptr<prism::RunMirror> m_sync;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::string m_watched; // guarded by m_mutex
    QString m_problem;     // guarded by m_mutex
    bool m_soon = false;   // guarded by m_mutex
    bool m_stop = false;   // guarded by m_mutex
    std::atomic<unsigned long long> m_generation{0};
    std::thread m_thread;
};
