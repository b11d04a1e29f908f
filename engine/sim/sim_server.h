#pragma once

#include "core/result.h"
#include "lm/lm.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace prism {

// Faults `prism simlm serve` can inject, in the order their rates are laid out
// on [0, 1) for the draw.
enum class SimFault {
    RateLimit, // 429 with Retry-After
    Error500,
    Error503,
    Stall,     // waits stallMs before answering: past the client's timeout
    Truncated, // full Content-Length, half the body, then the connection closes
    Malformed, // 200 with a body that is not valid JSON
    Empty,     // 200 with an empty completion
};

const char *simFaultName(SimFault fault); // "429", "500", "503", "stall", "truncated", "malformed", "empty"
std::vector<SimFault> allSimFaults();
// "429:0.05,500:0.05,stall:0.01"; rates in [0, 1], summing to at most 1.
Result<std::map<SimFault, double>> parseFaultSpec(const std::string &spec);
// --fault-rate R: R spread evenly over all kinds.
std::map<SimFault, double> spreadFaultRate(double rate);

// What the server saw of one HTTP request; for tests (e.g. that a key arrived).
struct SimRequestInfo {
    std::string method;
    std::string path;
    std::map<std::string, std::string> headers; // lowercased names
};

struct SimServerOptions {
    double latencyMs = 0.0;  // added to every answer
    double perTokenMs = 0.0; // per completion token
    std::uint64_t seed = 0;  // seeds the fault draws
    std::map<SimFault, double> faultRates;
    double retryAfterSeconds = 0.0; // sent with 429
    int stallMs = 5000;
    // When set, requests must carry "Authorization: Bearer <key>"; others get OpenAI's 401.
    std::string requiredApiKey;
    // Called on a connection thread for every request, before it is handled. Must be thread-safe.
    std::function<void(const SimRequestInfo &)> onRequest;
};

struct SimServerStats {
    long long connections = 0; // TCP connections accepted (keep-alive reuses them)
    long long requests = 0;    // HTTP requests of any kind
    long long completions = 0; // chat completions answered normally (stalled ones included)
    std::map<SimFault, long long> faults;
};

// Builds the model for a name; nullptr when the name is unknown.
using LmFactory = std::function<std::shared_ptr<Lm>(const std::string &model)>;

// An OpenAI-compatible HTTP/1.1 server on 127.0.0.1 around any Lm (in practice
// SimLm): POST /v1/chat/completions, GET /v1/models. Keep-alive, Content-Length
// bodies, a thread per connection. The answer to a request is exactly the
// wrapped Lm's. Faults are drawn from a hash of (seed, the canonical request,
// how many times this server has seen that request), so they are deterministic
// and a retry of a faulted request draws again: retries eventually succeed and
// a run gives the same results as in-process. The body may carry an extra
// integer "rollout" that becomes ChatRequest::rollout.
class SimServer {
public:
    // One model served under one name.
    SimServer(std::shared_ptr<Lm> model, std::string modelName, SimServerOptions options = {});
    // Models built on first use by name; modelNames are listed by /v1/models.
    SimServer(LmFactory factory, std::vector<std::string> modelNames, SimServerOptions options = {});
    ~SimServer();
    SimServer(const SimServer &) = delete;
    SimServer &operator=(const SimServer &) = delete;

    // Binds 127.0.0.1:port (0 = an ephemeral port) and starts serving; returns the port.
    Result<int> start(int port = 0);
    // Stops accepting, closes connections, wakes sleeping handlers and joins all threads.
    void stop();
    int port() const;
    std::string baseUrl() const; // "http://127.0.0.1:PORT/v1"
    SimServerStats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace prism
