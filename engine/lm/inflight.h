#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace prism {

// The cache keys of the requests being answered right now. A request that
// finds its key taken waits for the first one, then reads that answer from the
// response cache: two trials (or two stages of a pipeline under different
// configurations) that send the same prompt at the same moment pay one call,
// and a run's counts of calls and cache hits do not depend on thread timing.
class InFlightCalls {
public:
    // Holds one key until destroyed (after the call's answer is in the cache,
    // or after it failed), then wakes the requests that wait for it.
    class Claim {
    public:
        Claim(Claim &&other) noexcept;
        Claim &operator=(Claim &&) = delete;
        Claim(const Claim &) = delete;
        Claim &operator=(const Claim &) = delete;
        ~Claim();

    private:
        friend class InFlightCalls;
        Claim(InFlightCalls *owner, std::string key) : m_owner(owner), m_key(std::move(key)) {}
        InFlightCalls *m_owner;
        std::string m_key;
    };

    // Waits while another request holds `key`, then holds it. Nullopt when
    // `cancel` is set while waiting.
    std::optional<Claim> claim(const std::string &key, const std::atomic<bool> *cancel);

    // Keys held now, and requests waiting for one (for tests).
    std::size_t held() const;
    std::size_t waiting() const;

private:
    void release(const std::string &key);

    mutable std::mutex m_mutex;
    std::condition_variable m_released;
    std::set<std::string> m_keys;
    std::size_t m_waiting = 0;
};

} // namespace prism
