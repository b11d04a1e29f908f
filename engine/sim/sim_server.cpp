#include "sim/sim_server.h"

#include "core/hash.h"
#include "core/text.h"
#include "lm/openai_client.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <list>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

namespace prism {

const char *simFaultName(SimFault fault)
{
    switch (fault) {
    case SimFault::RateLimit: return "429";
    case SimFault::Error500: return "500";
    case SimFault::Error503: return "503";
    case SimFault::Stall: return "stall";
    case SimFault::Truncated: return "truncated";
    case SimFault::Malformed: return "malformed";
    case SimFault::Empty: return "empty";
    }
    return "?";
}

std::vector<SimFault> allSimFaults()
{
    return {SimFault::RateLimit, SimFault::Error500,  SimFault::Error503, SimFault::Stall,
            SimFault::Truncated, SimFault::Malformed, SimFault::Empty};
}

Result<std::map<SimFault, double>> parseFaultSpec(const std::string &spec)
{
    std::map<SimFault, double> rates;
    std::string known;
    for (SimFault f : allSimFaults())
        known += std::string(known.empty() ? "" : ", ") + simFaultName(f);
    std::stringstream ss(spec);
    std::string item;
    double total = 0.0;
    while (std::getline(ss, item, ',')) {
        if (item.empty())
            continue;
        const auto colon = item.find(':');
        if (colon == std::string::npos)
            return Error::make(ErrorKind::Config, "fault '" + item + "' has no rate: write KIND:RATE, e.g. 429:0.05");
        const std::string name = item.substr(0, colon);
        const std::string rateText = item.substr(colon + 1);
        std::optional<SimFault> kind;
        for (SimFault f : allSimFaults())
            if (name == simFaultName(f))
                kind = f;
        if (!kind)
            return Error::make(ErrorKind::Config, "unknown fault kind '" + name + "': use one of " + known);
        char *end = nullptr;
        const double rate = std::strtod(rateText.c_str(), &end);
        if (rateText.empty() || *end != '\0' || !std::isfinite(rate) || rate < 0.0 || rate > 1.0)
            return Error::make(ErrorKind::Config,
                               "fault rate '" + rateText + "' for " + name + " is not a number in [0, 1]");
        total += rate - rates[*kind];
        rates[*kind] = rate;
    }
    if (total > 1.0 + 1e-9)
        return Error::make(ErrorKind::Config, "fault rates add up to more than 1");
    return rates;
}

std::map<SimFault, double> spreadFaultRate(double rate)
{
    std::map<SimFault, double> rates;
    const auto all = allSimFaults();
    for (SimFault f : all)
        rates[f] = rate / static_cast<double>(all.size());
    return rates;
}

namespace {

using nlohmann::json;
using OJson = nlohmann::ordered_json;

struct HttpReply {
    int status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    bool truncate = false; // send half the body, then close
};

const char *reasonPhrase(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

HttpReply errorReply(int status, const std::string &message, const char *type, const char *code)
{
    OJson err = {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
    if (code)
        err["code"] = code;
    HttpReply r;
    r.status = status;
    r.body = OJson{{"error", err}}.dump();
    return r;
}

bool sendAll(int fd, const char *data, size_t size)
{
    while (size > 0) {
        const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

std::string formatNumber(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

constexpr size_t kMaxHeaderBytes = 1 << 20;
constexpr size_t kMaxBodyBytes = 64u << 20;

} // namespace

struct SimServer::Impl {
    LmFactory factory;
    std::vector<std::string> modelNames;
    SimServerOptions options;

    int listenFd = -1;
    int boundPort = 0;
    std::atomic<bool> stopping{false};
    std::thread acceptThread;

    struct Worker {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    mutable std::mutex mutex; // guards everything below
    std::list<Worker> workers;
    std::set<int> openFds;
    std::map<std::string, std::shared_ptr<Lm>> models;
    std::unordered_map<std::uint64_t, std::uint64_t> seenCount;
    SimServerStats stats;

    std::mutex sleepMutex;
    std::condition_variable sleepCv;

    // Sleeps, but wakes early on stop(). False when stopping.
    bool sleepMs(double ms)
    {
        if (ms <= 0)
            return !stopping.load();
        std::unique_lock<std::mutex> lock(sleepMutex);
        return !sleepCv.wait_for(lock, std::chrono::microseconds(static_cast<long long>(ms * 1000.0)),
                                 [this] { return stopping.load(); });
    }

    std::shared_ptr<Lm> modelFor(const std::string &name)
    {
        std::lock_guard<std::mutex> lock(mutex);
        auto it = models.find(name);
        if (it != models.end())
            return it->second;
        std::shared_ptr<Lm> lm = factory ? factory(name) : nullptr;
        if (lm)
            models.emplace(name, lm);
        return lm;
    }

    void acceptLoop();
    void serveConnection(int fd);
    HttpReply handle(const std::string &method, const std::string &path,
                     const std::map<std::string, std::string> &headers, const std::string &body, bool &closeAfter);
    HttpReply handleChat(const std::string &body, bool &closeAfter);
    HttpReply handleModels();
    std::optional<SimFault> drawFault(std::uint64_t requestHash);
    // Counts a delivered reply: its fault, and a completion unless a fault replaced it.
    void countDelivered(std::optional<SimFault> fault);
    // Sleeps the simulated latency (or the stall) of a response, less the time spent computing it.
    // False when the server stops meanwhile.
    bool pace(const ChatResponse &response, std::optional<SimFault> fault,
              std::chrono::steady_clock::time_point started);
};

SimServer::SimServer(std::shared_ptr<Lm> model, std::string modelName, SimServerOptions options)
    : m_impl(std::make_unique<Impl>())
{
    m_impl->factory = [model, modelName](const std::string &name) -> std::shared_ptr<Lm> {
        return name == modelName ? model : nullptr;
    };
    m_impl->modelNames = {modelName};
    m_impl->options = std::move(options);
}

SimServer::SimServer(LmFactory factory, std::vector<std::string> modelNames, SimServerOptions options)
    : m_impl(std::make_unique<Impl>())
{
    m_impl->factory = std::move(factory);
    m_impl->modelNames = std::move(modelNames);
    m_impl->options = std::move(options);
}

SimServer::~SimServer()
{
    stop();
}

Result<int> SimServer::start(int port)
{
    Impl &d = *m_impl;
    if (d.listenFd >= 0)
        return d.boundPort;
    if (port < 0 || port > 65535)
        return Error::make(ErrorKind::Config, "port " + std::to_string(port) + " is out of range 0..65535");
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return Error::make(ErrorKind::Io, std::string("cannot create a socket: ") + std::strerror(errno));
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        const int err = errno;
        ::close(fd);
        return Error::make(ErrorKind::Io, "cannot listen on 127.0.0.1:" + std::to_string(port) + " ("
                                              + std::strerror(err) + "): choose another --port");
    }
    if (::listen(fd, 256) != 0) {
        const int err = errno;
        ::close(fd);
        return Error::make(ErrorKind::Io, std::string("cannot listen: ") + std::strerror(err));
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
    d.boundPort = ntohs(addr.sin_port);
    d.listenFd = fd;
    d.stopping = false;
    d.acceptThread = std::thread([&d] { d.acceptLoop(); });
    spdlog::debug("simlm server listening on 127.0.0.1:{}", d.boundPort);
    return d.boundPort;
}

void SimServer::stop()
{
    Impl &d = *m_impl;
    if (d.listenFd < 0)
        return;
    {
        std::lock_guard<std::mutex> lock(d.sleepMutex);
        d.stopping = true;
    }
    d.sleepCv.notify_all();
    ::shutdown(d.listenFd, SHUT_RDWR);
    if (d.acceptThread.joinable())
        d.acceptThread.join();
    ::close(d.listenFd);
    d.listenFd = -1;
    std::list<Impl::Worker> workers;
    {
        std::lock_guard<std::mutex> lock(d.mutex);
        for (int fd : d.openFds)
            ::shutdown(fd, SHUT_RDWR);
        workers.swap(d.workers);
    }
    for (auto &w : workers)
        if (w.thread.joinable())
            w.thread.join();
}

int SimServer::port() const
{
    return m_impl->boundPort;
}

std::string SimServer::baseUrl() const
{
    return "http://127.0.0.1:" + std::to_string(m_impl->boundPort) + "/v1";
}

SimServerStats SimServer::stats() const
{
    std::lock_guard<std::mutex> lock(m_impl->mutex);
    return m_impl->stats;
}

void SimServer::Impl::acceptLoop()
{
    while (!stopping.load()) {
        const int fd = ::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (stopping.load())
                break;
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                continue;
            }
            spdlog::warn("simlm server: accept failed: {}", std::strerror(errno));
            break;
        }
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        std::lock_guard<std::mutex> lock(mutex);
        if (stopping.load()) {
            ::close(fd);
            break;
        }
        // Reap finished connection threads so the list stays short.
        for (auto it = workers.begin(); it != workers.end();) {
            if (it->done->load()) {
                it->thread.join();
                it = workers.erase(it);
            } else {
                ++it;
            }
        }
        openFds.insert(fd);
        ++stats.connections;
        auto done = std::make_shared<std::atomic<bool>>(false);
        workers.push_back(Worker{std::thread([this, fd, done] {
                                     serveConnection(fd);
                                     {
                                         std::lock_guard<std::mutex> l(mutex);
                                         openFds.erase(fd);
                                         ::close(fd);
                                     }
                                     done->store(true);
                                 }),
                                 done});
    }
}

void SimServer::Impl::serveConnection(int fd)
{
    std::string buffer;
    char chunk[16384];
    auto readMore = [&]() -> bool {
        for (;;) {
            const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n > 0) {
                buffer.append(chunk, static_cast<size_t>(n));
                return true;
            }
            if (n < 0 && errno == EINTR)
                continue;
            return false;
        }
    };
    auto sendReply = [&](const HttpReply &reply, bool closeAfter) {
        std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " " + reasonPhrase(reply.status) + "\r\n";
        head += "Content-Type: application/json\r\n";
        head += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
        for (const auto &[name, value] : reply.headers)
            head += name + ": " + value + "\r\n";
        head += closeAfter || reply.truncate ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
        if (reply.truncate) {
            head.append(reply.body, 0, reply.body.size() / 2);
            sendAll(fd, head.data(), head.size());
            return false;
        }
        head += reply.body;
        return sendAll(fd, head.data(), head.size()) && !closeAfter;
    };

    while (!stopping.load()) {
        size_t headerEnd;
        while ((headerEnd = buffer.find("\r\n\r\n")) == std::string::npos) {
            if (buffer.size() > kMaxHeaderBytes) {
                sendReply(errorReply(413, "request headers too large", "invalid_request_error", nullptr), true);
                return;
            }
            if (!readMore())
                return;
        }
        std::istringstream head(buffer.substr(0, headerEnd));
        std::string requestLine;
        std::getline(head, requestLine);
        if (!requestLine.empty() && requestLine.back() == '\r')
            requestLine.pop_back();
        std::istringstream rl(requestLine);
        std::string method, target, version;
        rl >> method >> target >> version;
        if (method.empty() || target.empty() || version.rfind("HTTP/1.", 0) != 0) {
            sendReply(errorReply(400, "malformed request line", "invalid_request_error", nullptr), true);
            return;
        }
        std::map<std::string, std::string> headers;
        std::string line;
        while (std::getline(head, line)) {
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            const auto colon = line.find(':');
            if (colon == std::string::npos)
                continue;
            headers[toLowerAscii(trimmed(line.substr(0, colon)))] = trimmed(line.substr(colon + 1));
        }
        buffer.erase(0, headerEnd + 4);

        bool closeAfter = version == "HTTP/1.0";
        if (auto it = headers.find("connection"); it != headers.end()) {
            const std::string c = toLowerAscii(it->second);
            if (c.find("close") != std::string::npos)
                closeAfter = true;
            else if (c.find("keep-alive") != std::string::npos)
                closeAfter = false;
        }
        if (headers.count("transfer-encoding")) {
            sendReply(errorReply(411, "chunked request bodies are not supported: send Content-Length",
                                 "invalid_request_error", nullptr),
                      true);
            return;
        }
        size_t contentLength = 0;
        if (auto it = headers.find("content-length"); it != headers.end()) {
            char *end = nullptr;
            const unsigned long long v = std::strtoull(it->second.c_str(), &end, 10);
            if (it->second.empty() || *end != '\0' || v > kMaxBodyBytes) {
                sendReply(
                    errorReply(413, "request body too large or bad Content-Length", "invalid_request_error", nullptr),
                    true);
                return;
            }
            contentLength = static_cast<size_t>(v);
        }
        if (auto it = headers.find("expect");
            it != headers.end() && toLowerAscii(it->second) == "100-continue" && buffer.size() < contentLength) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            if (!sendAll(fd, cont, sizeof cont - 1))
                return;
        }
        while (buffer.size() < contentLength)
            if (!readMore())
                return;
        const std::string body = buffer.substr(0, contentLength);
        buffer.erase(0, contentLength);

        const std::string path = target.substr(0, target.find('?'));
        if (options.onRequest)
            options.onRequest(SimRequestInfo{method, path, headers});
        HttpReply reply;
        try {
            reply = handle(method, path, headers, body, closeAfter);
        } catch (const std::exception &e) {
            // A request of a shape the handler did not expect: never take the server down.
            reply = errorReply(400, std::string("could not handle the request: ") + e.what(), "invalid_request_error",
                               nullptr);
        }
        if (stopping.load())
            return;
        if (!sendReply(reply, closeAfter))
            return;
    }
}

HttpReply SimServer::Impl::handle(const std::string &method, const std::string &path,
                                  const std::map<std::string, std::string> &headers, const std::string &body,
                                  bool &closeAfter)
{
    {
        std::lock_guard<std::mutex> lock(mutex);
        ++stats.requests;
    }
    if (!options.requiredApiKey.empty()) {
        auto it = headers.find("authorization");
        if (it == headers.end() || it->second != "Bearer " + options.requiredApiKey)
            return errorReply(401, "Incorrect API key provided. (prism simlm serve)", "invalid_request_error",
                              "invalid_api_key");
    }
    const bool chat = path == "/v1/chat/completions" || path == "/chat/completions";
    const bool list = path == "/v1/models" || path == "/models";
    if (chat) {
        if (method != "POST")
            return errorReply(405, "use POST for " + path, "invalid_request_error", nullptr);
        return handleChat(body, closeAfter);
    }
    if (list) {
        if (method != "GET")
            return errorReply(405, "use GET for " + path, "invalid_request_error", nullptr);
        return handleModels();
    }
    return errorReply(404,
                      "Unknown request URL: " + method + " " + path
                          + ". This server has /v1/chat/completions "
                            "and /v1/models.",
                      "invalid_request_error", "unknown_url");
}

HttpReply SimServer::Impl::handleModels()
{
    OJson data = OJson::array();
    for (const auto &name : modelNames)
        data.push_back(OJson{{"id", name}, {"object", "model"}, {"created", 0}, {"owned_by", "prism"}});
    HttpReply r;
    r.body = OJson{{"object", "list"}, {"data", data}}.dump();
    return r;
}

std::optional<SimFault> SimServer::Impl::drawFault(std::uint64_t requestHash)
{
    std::uint64_t seen;
    {
        std::lock_guard<std::mutex> lock(mutex);
        seen = seenCount[requestHash]++;
    }
    if (options.faultRates.empty())
        return std::nullopt;
    const double u = unitFromHash(mix64(requestHash ^ mix64(seen + 0x5f3759dfULL)));
    double edge = 0.0;
    for (SimFault f : allSimFaults()) {
        auto it = options.faultRates.find(f);
        if (it == options.faultRates.end())
            continue;
        edge += it->second;
        if (u < edge)
            return f;
    }
    return std::nullopt;
}

namespace {

// Reads the messages of a chat request into `request`; an error reply when they are malformed.
std::optional<HttpReply> readChatMessages(const json &j, ChatRequest &request)
{
    if (!j.contains("messages") || !j["messages"].is_array() || j["messages"].empty())
        return errorReply(400, "'messages' must be a non-empty list", "invalid_request_error", nullptr);
    for (const auto &m : j["messages"]) {
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
            return errorReply(400, "each message needs a string 'role'", "invalid_request_error", nullptr);
        auto content = m.contains("content") ? chatContentText(m["content"], true) : std::optional<std::string>("");
        if (!content)
            return errorReply(400, "message content must be a string or a list of text parts", "invalid_request_error",
                              nullptr);
        request.messages.push_back(ChatMessage{m["role"].get<std::string>(), std::move(*content)});
    }
    return std::nullopt;
}

// Reads the sampling options (temperature, token limit, n, seed, rollout) into `request`;
// an error reply when one is out of range.
std::optional<HttpReply> readChatOptions(const json &j, ChatRequest &request)
{
    auto number = [&](const char *key) -> const json * {
        auto it = j.find(key);
        return it != j.end() && it->is_number() ? &*it : nullptr;
    };
    // Numbers are read as doubles and range-checked: no undefined conversions.
    auto clampedInt = [](const json &v, double lo, double hi) {
        return static_cast<long long>(std::clamp(std::floor(v.get<double>()), lo, hi));
    };
    if (const json *t = number("temperature"))
        request.temperature = t->get<double>();
    if (const json *t = number("max_completion_tokens"))
        request.maxTokens = static_cast<int>(clampedInt(*t, 1, 1e9));
    else if (const json *t = number("max_tokens"))
        request.maxTokens = static_cast<int>(clampedInt(*t, 1, 1e9));
    if (const json *t = number("n")) {
        if (t->get<double>() < 1 || t->get<double>() > 16)
            return errorReply(400, "'n' must be between 1 and 16", "invalid_request_error", nullptr);
        request.n = static_cast<int>(clampedInt(*t, 1, 16));
    }
    if (const json *t = number("seed"))
        request.seed = t->is_number_integer() ? t->get<std::int64_t>() : clampedInt(*t, -9e18, 9e18);
    if (j.contains("rollout")) {
        if (!j["rollout"].is_number_unsigned())
            return errorReply(400, "'rollout' must be a non-negative integer", "invalid_request_error", nullptr);
        request.rollout = j["rollout"].get<std::uint64_t>();
    }
    return std::nullopt;
}

// Reads response_format (text, json_object, json_schema) into `request`; an error reply for another type.
std::optional<HttpReply> readResponseFormat(const json &j, ChatRequest &request)
{
    if (!j.contains("response_format") || !j["response_format"].is_object())
        return std::nullopt;
    const json &rf = j["response_format"];
    const std::string type = rf.value("type", std::string("text"));
    if (type == "json_object") {
        request.responseFormat = ResponseFormat::JsonObject;
    } else if (type == "json_schema") {
        request.responseFormat = ResponseFormat::JsonSchema;
        if (rf.contains("json_schema") && rf["json_schema"].is_object() && rf["json_schema"].contains("schema"))
            request.jsonSchema = rf["json_schema"]["schema"].dump();
    } else if (type != "text") {
        return errorReply(400, "unknown response_format type '" + type + "'", "invalid_request_error", nullptr);
    }
    return std::nullopt;
}

// The reply of a fault that answers instead of the model (429, 500, 503), or nothing.
std::optional<HttpReply> faultReply(std::optional<SimFault> fault, const std::string &modelName,
                                    const SimServerOptions &options)
{
    if (fault == SimFault::RateLimit) {
        HttpReply r =
            errorReply(429,
                       "Rate limit reached for " + modelName + " (simulated by prism simlm serve). Please try again in "
                           + formatNumber(options.retryAfterSeconds) + "s.",
                       "requests", "rate_limit_exceeded");
        r.headers.emplace_back("Retry-After", formatNumber(options.retryAfterSeconds));
        return r;
    }
    if (fault == SimFault::Error500)
        return errorReply(500,
                          "The server had an error while processing your request (simulated by prism simlm serve).",
                          "server_error", nullptr);
    if (fault == SimFault::Error503)
        return errorReply(503,
                          "The engine is currently overloaded, please try again later (simulated by prism simlm "
                          "serve).",
                          "server_error", nullptr);
    return std::nullopt;
}

// The OpenAI error reply for an error of the model.
HttpReply modelErrorReply(const Error &e)
{
    switch (e.kind) {
    case ErrorKind::ContextWindowExceeded:
        return errorReply(400, e.message, "invalid_request_error", "context_length_exceeded");
    case ErrorKind::InvalidRequest:
    case ErrorKind::Config:
    case ErrorKind::Data: return errorReply(400, e.message, "invalid_request_error", nullptr);
    case ErrorKind::RateLimit: return errorReply(429, e.message, "requests", "rate_limit_exceeded");
    default: return errorReply(500, e.message, "server_error", nullptr);
    }
}

// The chat.completion body of a response; an Empty fault empties every choice.
OJson completionBody(const ChatResponse &response, const std::string &modelName, const std::string &idHex,
                     std::optional<SimFault> fault)
{
    OJson choices = OJson::array();
    for (size_t i = 0; i < response.choices.size(); ++i) {
        const std::string text = fault == SimFault::Empty ? std::string() : response.choices[i];
        choices.push_back(OJson{{"index", i},
                                {"message", OJson{{"role", "assistant"}, {"content", text}}},
                                {"logprobs", nullptr},
                                {"finish_reason", "stop"}});
    }
    OJson out = {{"id", std::string("chatcmpl-sim-") + idHex},
                 {"object", "chat.completion"},
                 {"created", static_cast<long long>(std::time(nullptr))},
                 {"model", modelName},
                 {"choices", choices}};
    if (response.usage.promptTokens || response.usage.completionTokens) {
        OJson usage = OJson::object();
        const long long completion = fault == SimFault::Empty ? 0 : response.usage.completionTokens.value_or(0);
        if (response.usage.promptTokens)
            usage["prompt_tokens"] = *response.usage.promptTokens;
        if (response.usage.completionTokens)
            usage["completion_tokens"] = completion;
        if (response.usage.promptTokens && response.usage.completionTokens)
            usage["total_tokens"] = *response.usage.promptTokens + completion;
        out["usage"] = usage;
    }
    return out;
}

} // namespace

void SimServer::Impl::countDelivered(std::optional<SimFault> fault)
{
    std::lock_guard<std::mutex> lock(mutex);
    if (fault)
        ++stats.faults[*fault];
    if (!fault || fault == SimFault::Stall)
        ++stats.completions;
}

bool SimServer::Impl::pace(const ChatResponse &response, std::optional<SimFault> fault,
                           std::chrono::steady_clock::time_point started)
{
    long long completionTokens = 0;
    if (response.usage.completionTokens) {
        completionTokens = *response.usage.completionTokens;
    } else {
        for (const auto &c : response.choices)
            completionTokens += static_cast<long long>((c.size() + 3) / 4);
    }
    const double computedMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    const double waitMs = options.latencyMs + options.perTokenMs * static_cast<double>(completionTokens) - computedMs;
    return sleepMs(fault == SimFault::Stall ? options.stallMs : waitMs);
}

HttpReply SimServer::Impl::handleChat(const std::string &body, bool &closeAfter)
{
    const json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return errorReply(400, "We could not parse the JSON body of your request.", "invalid_request_error", nullptr);
    if (!j.contains("model") || !j["model"].is_string())
        return errorReply(400, "you must provide a model parameter", "invalid_request_error", nullptr);
    if (j.contains("stream") && j["stream"].is_boolean() && j["stream"].get<bool>())
        return errorReply(400, "streaming is not supported by prism simlm serve: send \"stream\": false",
                          "invalid_request_error", nullptr);
    const std::string modelName = j["model"].get<std::string>();
    std::shared_ptr<Lm> lm = modelFor(modelName);
    if (!lm)
        return errorReply(404, "The model `" + modelName + "` does not exist or you do not have access to it.",
                          "invalid_request_error", "model_not_found");

    ChatRequest request;
    request.temperature = 1.0; // OpenAI's default
    if (std::optional<HttpReply> invalid = readChatMessages(j, request))
        return *invalid;
    if (std::optional<HttpReply> invalid = readChatOptions(j, request))
        return *invalid;
    if (std::optional<HttpReply> invalid = readResponseFormat(j, request))
        return *invalid;

    // nlohmann::json (not ordered) dumps keys sorted: a canonical text.
    const std::uint64_t requestHash = fnv1a64(j.dump(), mix64(options.seed));
    const std::optional<SimFault> fault = drawFault(requestHash);
    // Counted when delivered: a request the model rejects delivers no fault.
    if (std::optional<HttpReply> faulted = faultReply(fault, modelName, options)) {
        countDelivered(fault);
        return *faulted;
    }

    const auto started = std::chrono::steady_clock::now();
    auto result = lm->complete(request);
    if (!result)
        return modelErrorReply(result.error());
    const ChatResponse &response = *result;
    countDelivered(fault);
    if (!pace(response, fault, started))
        return HttpReply{};

    char idHex[17];
    std::snprintf(idHex, sizeof idHex, "%016llx", static_cast<unsigned long long>(requestHash));
    HttpReply reply;
    reply.body =
        completionBody(response, modelName, idHex, fault).dump(-1, ' ', false, OJson::error_handler_t::replace);
    reply.headers.emplace_back("x-request-id", std::string("req-sim-") + idHex);
    if (fault == SimFault::Truncated) {
        reply.truncate = true;
        closeAfter = true;
    } else if (fault == SimFault::Malformed) {
        // Almost JSON, as from a broken proxy: a trailing comma before the last brace.
        reply.body.insert(reply.body.size() - 1, ",");
    }
    return reply;
}

} // namespace prism
