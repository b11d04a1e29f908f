#pragma once

#include "lm/lm.h"

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace prism::test {

// An inner Lm that fails with chosen errors on chosen attempts, counts calls
// and tracks how many run at once.
class FakeLm final : public Lm {
public:
    // attempt = 0-based index of the call to this fake; return an error to fail it.
    std::function<std::optional<Error>(int attempt)> failWith;
    std::optional<long long> promptTokens = 10;
    std::optional<long long> completionTokens = 5;
    // When set, calls block until release() (to hold slots in tests); `current`
    // counts the calls blocked there.
    bool gated = false;

    std::atomic<int> calls{0};
    std::atomic<int> current{0};
    std::atomic<int> maxConcurrent{0};

    Result<ChatResponse> complete(const ChatRequest &request) override
    {
        const int attempt = calls.fetch_add(1);
        const int now = current.fetch_add(1) + 1;
        int seen = maxConcurrent.load();
        while (now > seen && !maxConcurrent.compare_exchange_weak(seen, now)) {}
        if (gated) {
            std::unique_lock lock(m_gateMutex);
            m_gateCv.wait(lock, [&] { return m_open; });
        }
        current.fetch_sub(1);
        if (failWith) {
            if (auto error = failWith(attempt))
                return *error;
        }
        ChatResponse r;
        r.choices.push_back("answer to: "
                            + (request.messages.empty() ? std::string() : request.messages.back().content));
        r.usage.promptTokens = promptTokens;
        r.usage.completionTokens = completionTokens;
        r.model = "fake";
        r.latencyMs = 1.0;
        return r;
    }

    std::string describe() const override { return "fake"; }

    void release()
    {
        {
            std::lock_guard lock(m_gateMutex);
            m_open = true;
        }
        m_gateCv.notify_all();
    }

private:
    std::mutex m_gateMutex;
    std::condition_variable m_gateCv;
    bool m_open = false;
};

inline Error makeError(ErrorKind kind, std::optional<double> retryAfter = std::nullopt)
{
    Error e = Error::make(kind, std::string("fake ") + errorKindName(kind));
    e.retryAfterSeconds = retryAfter;
    if (kind == ErrorKind::RateLimit)
        e.httpStatus = 429;
    return e;
}

inline ChatRequest makeRequest(const std::string &text, std::string role = "task")
{
    ChatRequest r;
    r.messages = {{"system", "You are a test."}, {"user", text}};
    r.role = std::move(role);
    return r;
}

// A fresh directory under the system temp dir, removed at scope exit.
class TempDir {
public:
    TempDir()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "prism-sched-XXXXXX").string();
        std::vector<char> buf(pattern.begin(), pattern.end());
        buf.push_back('\0');
        m_path = ::mkdtemp(buf.data()) ? std::string(buf.data()) : std::string();
    }
    ~TempDir()
    {
        std::error_code ec;
        if (!m_path.empty())
            std::filesystem::remove_all(m_path, ec);
    }
    const std::string &path() const { return m_path; }
    std::string file(const std::string &name) const { return m_path + "/" + name; }

private:
    std::string m_path;
};

// Sets an environment variable for the scope, restoring the old value.
class ScopedEnv {
public:
    ScopedEnv(const char *name, const std::optional<std::string> &value) : m_name(name)
    {
        if (const char *old = std::getenv(name))
            m_old = old;
        if (value)
            ::setenv(name, value->c_str(), 1);
        else
            ::unsetenv(name);
    }
    ~ScopedEnv()
    {
        if (m_old)
            ::setenv(m_name.c_str(), m_old->c_str(), 1);
        else
            ::unsetenv(m_name.c_str());
    }

private:
    std::string m_name;
    std::optional<std::string> m_old;
};

} // namespace prism::test
