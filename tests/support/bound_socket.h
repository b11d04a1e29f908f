#pragma once

// A Unix socket bound at a path: a file system entry that is neither a file
// nor a directory, for tests that check an output path refuses it.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace prism::test {

class BoundSocket {
public:
    // fd() < 0 when the path is too long or bind failed.
    explicit BoundSocket(const std::string &path)
    {
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        if (path.size() >= sizeof(address.sun_path))
            return;
        std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
        m_fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        if (m_fd >= 0 && ::bind(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0) {
            ::close(m_fd);
            m_fd = -1;
        }
    }
    ~BoundSocket()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    BoundSocket(const BoundSocket &) = delete;
    BoundSocket &operator=(const BoundSocket &) = delete;

    int fd() const { return m_fd; }

private:
    int m_fd = -1;
};

} // namespace prism::test
