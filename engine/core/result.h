#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace prism {

// What went wrong, in terms a caller can act on. LM kinds follow DSPy's
// exception taxonomy; the rest are Prism's own.
enum class ErrorKind {
    Transport,             // connection refused, DNS, reset
    Timeout,               // no answer in time
    RateLimit,             // HTTP 429; retryAfterSeconds may be set
    Auth,                  // 401/403, bad or missing key
    InvalidRequest,        // 400/404/422: wrong model name, bad parameter
    ContextWindowExceeded, // prompt too long for the model
    Server,                // 5xx
    Parse,                 // an answer or file we could not understand
    Cancelled,             // the user or a budget stopped the work
    Budget,                // a budget was exhausted
    Io,                    // file system
    Data,                  // a dataset or study that does not fit
    Config,                // a setting that makes no sense
    Script,                // a metric script failed
    Internal,              // a bug in Prism
};

const char *errorKindName(ErrorKind kind);
// The kind errorKindName names; nothing for another text.
std::optional<ErrorKind> errorKindFromName(const std::string &name);

struct Error {
    ErrorKind kind = ErrorKind::Internal;
    std::string message;                     // one line, says where and what
    int httpStatus = 0;                      // 0 when not an HTTP error
    std::optional<double> retryAfterSeconds; // from Retry-After, when given
    std::string requestId;

    static Error make(ErrorKind kind, std::string message)
    {
        Error e;
        e.kind = kind;
        e.message = std::move(message);
        return e;
    }
    // "kind: message", for logs and the CLI.
    std::string describe() const;
};

// Kinds worth another try with backoff.
bool isRetryable(const Error &error);

// A value or an Error. std::expected is C++23; this is the small subset we use.
template <typename T> class [[nodiscard]] Result {
public:
    Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_data(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }

    T &value() & { return std::get<0>(m_data); }
    const T &value() const & { return std::get<0>(m_data); }
    T &&value() && { return std::get<0>(std::move(m_data)); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }

    const Error &error() const { return std::get<1>(m_data); }

private:
    std::variant<T, Error> m_data;
};

template <> class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)) {}
    bool ok() const { return !m_error.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error &error() const { return *m_error; }

private:
    std::optional<Error> m_error;
};

} // namespace prism
