#include "core/result.h"

namespace prism {

const char *errorKindName(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::Transport: return "transport";
    case ErrorKind::Timeout: return "timeout";
    case ErrorKind::RateLimit: return "rate_limit";
    case ErrorKind::Auth: return "auth";
    case ErrorKind::InvalidRequest: return "invalid_request";
    case ErrorKind::ContextWindowExceeded: return "context_window_exceeded";
    case ErrorKind::Server: return "server";
    case ErrorKind::Parse: return "parse";
    case ErrorKind::Cancelled: return "cancelled";
    case ErrorKind::Budget: return "budget";
    case ErrorKind::Io: return "io";
    case ErrorKind::Data: return "data";
    case ErrorKind::Config: return "config";
    case ErrorKind::Script: return "script";
    case ErrorKind::Internal: return "internal";
    }
    return "internal";
}

std::string Error::describe() const
{
    return std::string(errorKindName(kind)) + ": " + message;
}

bool isRetryable(const Error &error)
{
    switch (error.kind) {
    case ErrorKind::Transport:
    case ErrorKind::Timeout:
    case ErrorKind::RateLimit:
    case ErrorKind::Server: return true;
    default: return false;
    }
}

std::optional<ErrorKind> errorKindFromName(const std::string &name)
{
    for (int k = 0; k <= static_cast<int>(ErrorKind::Internal); ++k)
        if (name == errorKindName(static_cast<ErrorKind>(k)))
            return static_cast<ErrorKind>(k);
    return std::nullopt;
}

} // namespace prism
