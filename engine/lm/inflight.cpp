#include "lm/inflight.h"

#include <chrono>

namespace prism {

InFlightCalls::Claim::Claim(Claim &&other) noexcept : m_owner(other.m_owner), m_key(std::move(other.m_key))
{
    other.m_owner = nullptr;
}

InFlightCalls::Claim::~Claim()
{
    if (m_owner)
        m_owner->release(m_key);
}

std::optional<InFlightCalls::Claim> InFlightCalls::claim(const std::string &key, const std::atomic<bool> *cancel)
{
    std::unique_lock lock(m_mutex);
    ++m_waiting;
    // The cancel flag has no condition variable of its own: look at it now and then.
    while (m_keys.count(key)) {
        if (cancel && cancel->load()) {
            --m_waiting;
            return std::nullopt;
        }
        m_released.wait_for(lock, std::chrono::milliseconds(50));
    }
    --m_waiting;
    m_keys.insert(key);
    return Claim(this, key);
}

std::size_t InFlightCalls::held() const
{
    std::lock_guard lock(m_mutex);
    return m_keys.size();
}

std::size_t InFlightCalls::waiting() const
{
    std::lock_guard lock(m_mutex);
    return m_waiting;
}

void InFlightCalls::release(const std::string &key)
{
    {
        std::lock_guard lock(m_mutex);
        m_keys.erase(key);
    }
    m_released.notify_all();
}

} // namespace prism
