#pragma once

// The REST API of a team server (`prism serve --api`; docs/openapi.yaml,
// docs/SERVER.md): runs are created from studies uploaded with their data,
// queued for `prism serve --worker` processes, and read back (status, trials,
// ledger, artifact, live events as server-sent events). Every request but
// /v1/health carries a team's bearer token; a team sees only its own runs.
// The server makes no model call and holds no provider key.
#include "core/result.h"
#include "run/run_controller.h"

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace prism {

struct ApiServerConfig {
    std::string storeUrl; // postgresql://...
    std::string host = "127.0.0.1";
    int port = 8080; // 0: any free port (port() says which)
    std::size_t maxRequestBytes = 32u * 1024u * 1024u;
    int httpThreads = 64;          // connections served at once (each live event stream holds one)
    int eventPollMs = 200;         // how often watched runs are read for new events
    int streamKeepAliveMs = 15000; // a comment line on a quiet event stream
    std::string uploadDir;         // where uploaded studies are checked before they are queued
    // Model URLs (prefixes) an uploaded study may send the workers' keys to,
    // besides the providers' own.
    std::vector<std::string> allowedEndpoints;
    MetricFactory metricFactory; // as the CLI's: the metric of an uploaded study is built to check it
};

class ApiServer {
public:
    // Opens the store and the team tables and binds the port; serve() then
    // answers requests.
    static Result<std::unique_ptr<ApiServer>> create(ApiServerConfig config);
    ~ApiServer();
    ApiServer(const ApiServer &) = delete;
    ApiServer &operator=(const ApiServer &) = delete;

    int port() const;
    // Blocks until stop() (from another thread or a signal watcher).
    Result<void> serve();
    void stop();

private:
    struct Impl;
    explicit ApiServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace prism
