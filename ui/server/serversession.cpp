#include "server/serversession.h"

#include "qtconvert.h"

#include "core/paths.h"
#include "run/run_store.h"
#include "server/api_client.h"
#include "server/run_mirror.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <chrono>
#include <filesystem>

namespace {

// "http://host:8080" -> "host_8080": the mirror file of one server.
std::string mirrorName(const std::string &url)
{
    std::string name;
    for (const char c : url.substr(url.find("//") + 2))
        name += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-') ? c : '_';
    return name;
}

} // namespace

prism::Result<std::shared_ptr<ServerSession>> ServerSession::connect(const QString &url, const QString &token)
{
    auto client = prism::ApiClient::connect(toStd(url.trimmed()), toStd(token.trimmed()));
    if (!client)
        return client.error();
    if (auto runs = client.value()->getJson("/v1/runs"); !runs)
        return runs.error();
    auto dir = prism::userDataDir();
    if (!dir)
        return dir.error();
    const std::filesystem::path folder = std::filesystem::path(dir.value()) / "servers";
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    auto mirror = prism::RunStore::open((folder / (mirrorName(client.value()->baseUrl()) + ".sqlite")).string());
    if (!mirror)
        return mirror.error();
    std::shared_ptr<ServerSession> session(new ServerSession);
    session->m_client = client.value();
    session->m_mirror = mirror.value();
    session->m_sync = std::make_unique<prism::RunMirror>(session->m_client, session->m_mirror);
    session->m_thread = std::thread([raw = session.get()] { raw->loop(); });
    return session;
}

ServerSession::~ServerSession()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

QString ServerSession::url() const
{
    return toQ(m_client->baseUrl());
}

void ServerSession::watch(const QString &runId)
{
    {
        std::lock_guard lock(m_mutex);
        m_watched = toStd(runId);
        m_soon = true;
    }
    m_wake.notify_all();
}

void ServerSession::syncSoon()
{
    {
        std::lock_guard lock(m_mutex);
        m_soon = true;
    }
    m_wake.notify_all();
}

QString ServerSession::problem() const
{
    std::lock_guard lock(m_mutex);
    return m_problem;
}

void ServerSession::loop()
{
    using namespace std::chrono;
    auto nextFull = steady_clock::now();
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        const std::string watched = m_watched;
        const bool full = m_soon || steady_clock::now() >= nextFull;
        m_soon = false;
        lock.unlock();
        QString problem;
        bool changed = false;
        if (full) {
            auto changes = m_sync->sync();
            if (!changes)
                problem = toQ(changes.error().message);
            else
                changed = !changes->empty();
            nextFull = steady_clock::now() + seconds(2);
        } else if (!watched.empty()) {
            auto change = m_sync->syncRun(watched);
            if (!change)
                problem = toQ(change.error().message);
            else
                changed = change->added || !change->events.empty() || change->ended;
            if (change && change->ended) {
                std::lock_guard ended(m_mutex);
                if (m_watched == watched)
                    m_watched.clear(); // all of it is here: the full syncs suffice
            }
        }
        if (changed)
            ++m_generation;
        lock.lock();
        m_problem = problem;
        m_wake.wait_for(lock, milliseconds(250), [this] { return m_stop || m_soon; });
    }
}
