#include "cli.h"

#include <cstdio>

namespace prism::cli {

ProgressLine::ProgressLine(std::size_t total, bool enabled) : m_total(total), m_enabled(enabled && total > 0)
{
}

void ProgressLine::advance()
{
    if (!m_enabled)
        return;
    std::lock_guard<std::mutex> lock(m_mutex);
    ++m_done;
    std::fprintf(stderr, "\reval %zu/%zu", m_done, m_total);
    std::fflush(stderr);
}

void ProgressLine::finish()
{
    if (!m_enabled)
        return;
    std::lock_guard<std::mutex> lock(m_mutex);
    // Erase the line so that it does not mix with what follows.
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
}

} // namespace prism::cli
