#include "lm/http.h"

#include "core/text.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace prism {

namespace {

std::once_flag g_curlInit;
std::atomic<long long> g_connectionsOpened{0};

// One easy handle per thread: libcurl keeps its connection cache in the
// handle, so reusing it gives keep-alive across calls without a shared pool.
struct ThreadCurl {
    CURL *handle = nullptr;
    ~ThreadCurl()
    {
        if (handle)
            curl_easy_cleanup(handle);
    }
};

CURL *threadHandle()
{
    std::call_once(g_curlInit, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    thread_local ThreadCurl tc;
    if (!tc.handle)
        tc.handle = curl_easy_init();
    else
        curl_easy_reset(tc.handle); // keeps the connection cache
    return tc.handle;
}

size_t writeBody(char *data, size_t size, size_t count, void *userp)
{
    auto *body = static_cast<std::string *>(userp);
    body->append(data, size * count);
    return size * count;
}

size_t writeHeader(char *data, size_t size, size_t count, void *userp)
{
    auto *headers = static_cast<std::map<std::string, std::string> *>(userp);
    const std::string line(data, size * count);
    // A new status line starts a new response (after "100 Continue").
    if (line.rfind("HTTP/", 0) == 0) {
        headers->clear();
        return size * count;
    }
    const auto colon = line.find(':');
    if (colon == std::string::npos)
        return size * count;
    const std::string name = toLowerAscii(trimmed(line.substr(0, colon)));
    const std::string value = trimmed(line.substr(colon + 1));
    auto it = headers->find(name);
    if (it == headers->end())
        headers->emplace(name, value);
    else
        it->second += ", " + value;
    return size * count;
}

int onProgress(void *clientp, curl_off_t, curl_off_t, curl_off_t, curl_off_t)
{
    const auto *cancel = static_cast<const std::atomic<bool> *>(clientp);
    return cancel && cancel->load(std::memory_order_relaxed) ? 1 : 0;
}

std::string formatSeconds(double s)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", s);
    return buf;
}

Error transportError(CURLcode code, const HttpRequest &request, const char *detail, bool connected)
{
    const std::string url = displayUrl(request.url);
    const std::string why = detail && *detail ? detail : curl_easy_strerror(code);
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        if (!connected)
            return Error::make(ErrorKind::Timeout, "could not connect to " + url + " within "
                                                       + formatSeconds(request.connectTimeoutSeconds)
                                                       + " s: check that the server is running and reachable");
        return Error::make(ErrorKind::Timeout, "no complete answer from " + url + " within "
                                                   + formatSeconds(request.timeoutSeconds)
                                                   + " s: raise the model's timeout or check the server's load");
    case CURLE_ABORTED_BY_CALLBACK: return Error::make(ErrorKind::Cancelled, "request to " + url + " cancelled");
    case CURLE_PARTIAL_FILE:
        return Error::make(ErrorKind::Server,
                           "the server at " + url
                               + " closed the connection before the whole response arrived (truncated body): "
                                 "retry later");
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return Error::make(ErrorKind::Config, "the URL " + url + " is not valid (" + why
                                                  + "): check the base URL, e.g. http://127.0.0.1:11434/v1");
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
        return Error::make(ErrorKind::Transport, "TLS handshake with " + url + " failed (" + why
                                                     + "): check the URL's scheme and the system's CA certificates");
    default:
        return Error::make(ErrorKind::Transport,
                           "could not reach " + url + " (" + why
                               + "): check that the server is running and that the base URL is right");
    }
}

} // namespace

Result<HttpResponse> httpSend(const HttpRequest &request)
{
    CURL *curl = threadHandle();
    if (!curl)
        return Error::make(ErrorKind::Internal, "libcurl could not create a handle");

    HttpResponse response;
    char errorBuffer[CURL_ERROR_SIZE] = {0};

    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    // HTTP only, whatever a study's base_url says: no file://, ftp://, dict://...
    // (studies are shared files), and no redirects followed to other schemes.
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    // Loopback servers (SimLm, Ollama...) must never go through a proxy set
    // in the environment; remote providers still honour https_proxy.
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorBuffer);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, writeBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, writeHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    if (request.timeoutSeconds > 0)
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(std::ceil(request.timeoutSeconds * 1000.0)));
    if (request.connectTimeoutSeconds > 0)
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(std::ceil(request.connectTimeoutSeconds * 1000.0)));
    if (request.cancel) {
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, onProgress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool> *>(request.cancel));
    }

    if (request.method == "POST") {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    } else if (request.method != "GET") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        if (!request.body.empty()) {
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
        }
    }

    struct curl_slist *list = nullptr;
    for (const auto &[name, value] : request.headers)
        list = curl_slist_append(list, (name + ": " + value).c_str());
    // libcurl would otherwise wait up to a second for "100 Continue" on larger bodies.
    list = curl_slist_append(list, "Expect:");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);

    if (request.cancel && request.cancel->load()) {
        curl_slist_free_all(list);
        return Error::make(ErrorKind::Cancelled, "request to " + displayUrl(request.url) + " cancelled");
    }

    const auto start = std::chrono::steady_clock::now();
    const CURLcode code = curl_easy_perform(curl);
    response.elapsedMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    long connects = 0;
    if (curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK && connects > 0)
        g_connectionsOpened.fetch_add(connects, std::memory_order_relaxed);
    curl_slist_free_all(list);
    // The slist is gone: make sure the reused handle never points at it.
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);

    if (code != CURLE_OK) {
        double connectTime = 0.0;
        curl_easy_getinfo(curl, CURLINFO_CONNECT_TIME, &connectTime);
        Error error = transportError(code, request, errorBuffer, connectTime > 0.0);
        spdlog::debug("http {} {} failed after {:.1f} ms: {}", request.method, displayUrl(request.url),
                      response.elapsedMs, errorKindName(error.kind));
        return error;
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    spdlog::debug("http {} {} -> {} in {:.1f} ms", request.method, displayUrl(request.url), response.status,
                  response.elapsedMs);
    return response;
}

long long httpConnectionsOpened()
{
    return g_connectionsOpened.load(std::memory_order_relaxed);
}

std::string displayUrl(const std::string &url)
{
    std::string out = url;
    const auto q = out.find_first_of("?#");
    if (q != std::string::npos)
        out.erase(q);
    const auto scheme = out.find("://");
    const size_t hostStart = scheme == std::string::npos ? 0 : scheme + 3;
    const auto slash = out.find('/', hostStart);
    const auto at = out.find('@', hostStart);
    if (at != std::string::npos && (slash == std::string::npos || at < slash))
        out.erase(hostStart, at + 1 - hostStart);
    return out;
}

bool isLoopbackUrl(const std::string &url)
{
    std::string u = toLowerAscii(displayUrl(url));
    const auto scheme = u.find("://");
    if (scheme != std::string::npos)
        u.erase(0, scheme + 3);
    std::string host;
    if (!u.empty() && u[0] == '[') {
        const auto close = u.find(']');
        host = u.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    } else {
        host = u.substr(0, u.find_first_of(":/"));
    }
    return host == "localhost" || host == "::1" || host == "127.0.0.1"
           || (host.rfind("127.", 0) == 0 && std::count(host.begin(), host.end(), '.') == 3);
}

std::optional<double> parseRetryAfter(const std::string &raw, std::time_t now)
{
    const std::string value = trimmed(raw);
    if (value.empty())
        return std::nullopt;
    char *end = nullptr;
    const double seconds = std::strtod(value.c_str(), &end);
    if (end && *end == '\0' && std::isfinite(seconds))
        return std::max(0.0, seconds);
    // HTTP-date; curl_getdate is locale-independent (strptime's %a/%b are not).
    const std::time_t when = curl_getdate(value.c_str(), nullptr);
    if (when == static_cast<std::time_t>(-1))
        return std::nullopt;
    return std::max(0.0, static_cast<double>(when - now));
}

std::optional<double> parseDurationSeconds(const std::string &raw)
{
    const std::string value = trimmed(raw);
    if (value.empty())
        return std::nullopt;
    double total = 0.0;
    size_t i = 0;
    bool any = false;
    while (i < value.size()) {
        const char *begin = value.c_str() + i;
        char *end = nullptr;
        const double number = std::strtod(begin, &end);
        if (end == begin || !std::isfinite(number) || number < 0)
            return std::nullopt;
        i += static_cast<size_t>(end - begin);
        size_t unitEnd = i;
        while (unitEnd < value.size() && std::isalpha(static_cast<unsigned char>(value[unitEnd])))
            ++unitEnd;
        const std::string unit = value.substr(i, unitEnd - i);
        i = unitEnd;
        if (unit == "h")
            total += number * 3600.0;
        else if (unit == "m")
            total += number * 60.0;
        else if (unit == "s" || unit.empty())
            total += number;
        else if (unit == "ms")
            total += number / 1000.0;
        else if (unit == "us")
            total += number / 1e6;
        else if (unit == "ns")
            total += number / 1e9;
        else
            return std::nullopt;
        any = true;
        if (unit.empty() && i < value.size())
            return std::nullopt;
    }
    if (!any)
        return std::nullopt;
    return total;
}

std::optional<double> parseRfc3339Delay(const std::string &raw, std::time_t now)
{
    const std::string value = trimmed(raw);
    int year = 0, month = 0, day = 0, hour = 0, minute = 0;
    double second = 0.0;
    int consumed = 0;
    if (std::sscanf(value.c_str(), "%4d-%2d-%2dT%2d:%2d:%lf%n", &year, &month, &day, &hour, &minute, &second, &consumed)
        != 6)
        return std::nullopt;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second < 0 || second >= 61)
        return std::nullopt;
    std::string zone = value.substr(static_cast<size_t>(consumed));
    int offsetSeconds = 0;
    if (zone == "Z" || zone == "z") {
        offsetSeconds = 0;
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
        const int oh = std::atoi(zone.substr(1, 2).c_str());
        const int om = std::atoi(zone.substr(4, 2).c_str());
        offsetSeconds = (oh * 3600 + om * 60) * (zone[0] == '-' ? -1 : 1);
    } else {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = 0;
    const std::time_t base = timegm(&tm);
    if (base == static_cast<std::time_t>(-1))
        return std::nullopt;
    const double when = static_cast<double>(base) + second - offsetSeconds;
    return std::max(0.0, when - static_cast<double>(now));
}

} // namespace prism
