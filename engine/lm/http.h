#pragma once

#include "core/result.h"

#include <atomic>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace prism {

struct HttpRequest {
    std::string method = "GET"; // GET | POST
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    double timeoutSeconds = 60.0; // whole transfer; 0 = none
    double connectTimeoutSeconds = 10.0;
    const std::atomic<bool> *cancel = nullptr; // set to true to abort (-> Cancelled)
};

struct HttpResponse {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers; // names lowercased; repeats joined with ", "
    double elapsedMs = 0.0;
};

// One blocking HTTP exchange over libcurl. Each thread keeps one easy handle,
// so keep-alive connections are reused across calls on that thread. Any HTTP
// status is a success here; only transport problems are errors: Transport
// (unreachable, reset, truncated body -> Server), Timeout, Cancelled. Never logs
// headers or bodies.
Result<HttpResponse> httpSend(const HttpRequest &request);

// New connections httpSend has opened in this process so far (libcurl's
// CURLINFO_NUM_CONNECTS summed): a measure of keep-alive reuse for benchmarks.
long long httpConnectionsOpened();

// The URL without user info and query, for messages and logs (a query may carry a key).
std::string displayUrl(const std::string &url);
// True when the URL's host is 127.0.0.1, localhost or ::1.
bool isLoopbackUrl(const std::string &url);

// Seconds to wait from a Retry-After value: delta seconds ("2", "1.5") or an
// HTTP-date relative to `now`. Negative results are clamped to 0.
std::optional<double> parseRetryAfter(const std::string &value, std::time_t now);
// Go-style durations as in OpenAI's x-ratelimit-reset-* headers: "20ms", "1.5s", "6m0s", "1h2m".
std::optional<double> parseDurationSeconds(const std::string &value);
// An RFC 3339 timestamp ("2024-05-01T12:00:30Z") as seconds from `now`, clamped to 0.
std::optional<double> parseRfc3339Delay(const std::string &value, std::time_t now);

} // namespace prism
