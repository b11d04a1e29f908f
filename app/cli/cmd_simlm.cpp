#include "cmd_simlm.h"

#include "cli.h"
#include "options.h"
#include "sim/sim_server.h"
#include "sim/simlm.h"

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <pthread.h>

namespace prism::cli {

std::string simlmServeUsage()
{
    return "usage: prism simlm serve [options]\n"
           "\n"
           "Serves the built-in simulator (SimLm) as an OpenAI-compatible API on 127.0.0.1\n"
           "(POST /v1/chat/completions, GET /v1/models; models sim-small, sim-large, sim-flaky)\n"
           "until interrupted. Answers are exactly those of in-process SimLm.\n"
           "\n"
           "options:\n"
           "  --port P              port to listen on (default 0: a free port, printed)\n"
           "  --latency-ms N        added to every answer (default 0)\n"
           "  --per-token-ms N      added per completion token (default 0)\n"
           "  --fault-rate R        inject faults with total rate R, spread evenly over all kinds\n"
           "  --faults SPEC         rates per kind, e.g. 429:0.05,500:0.05,503:0.02,stall:0.01,\n"
           "                        truncated:0.01,malformed:0.01,empty:0.01\n"
           "  --retry-after S       Retry-After seconds sent with 429 (default 0)\n"
           "  --stall-ms N          how long a stall lasts (default 5000)\n"
           "  --seed N              seed of the fault draws (default 0)\n"
           "  --require-key-env NAME  reject requests whose bearer key differs from $NAME (401)\n"
           "  -h, --help            show this help\n"
           "\n"
           "Faults are deterministic per request and attempt, so retries succeed.\n"
           "Prints \"listening on http://127.0.0.1:PORT/v1\" on stdout once ready.\n";
}

namespace {

// A number in [lo, hi]: "--latency-ms 'x' is not a number in [0, 3600000]".
std::function<std::optional<std::string>(const std::string &)> numberIn(const std::string &name, double lo, double hi,
                                                                        double &out)
{
    return [name, lo, hi, &out](const std::string &text) -> std::optional<std::string> {
        const auto v = parseNumber(text);
        if (!v || *v < lo || *v > hi)
            return name + " '" + text + "' is not a number in [" + std::to_string(static_cast<long long>(lo)) + ", "
                   + std::to_string(static_cast<long long>(hi)) + "]";
        out = *v;
        return std::nullopt;
    };
}

} // namespace

int cmdSimlmServe(const std::vector<std::string> &args)
{
    SimServerOptions options;
    double port = 0.0;
    double stallMs = options.stallMs;
    double faultRate = 0.0;
    std::optional<std::string> faultSpec;
    std::optional<std::string> keyEnv;
    CommandLine line("simlm serve", simlmServeUsage());
    line.checked("--port", [&port, inRange = numberIn("--port", 0, 65535, port)](const std::string &text) {
        auto problem = inRange(text);
        if (!problem && port != std::floor(port))
            problem = "--port must be an integer";
        return problem;
    });
    line.checked("--latency-ms", numberIn("--latency-ms", 0, 3.6e6, options.latencyMs));
    line.checked("--per-token-ms", numberIn("--per-token-ms", 0, 6e4, options.perTokenMs));
    line.checked("--retry-after", numberIn("--retry-after", 0, 3600, options.retryAfterSeconds));
    line.checked("--stall-ms", numberIn("--stall-ms", 0, 3.6e6, stallMs));
    line.checked("--seed", [&options](const std::string &text) -> std::optional<std::string> {
        char *end = nullptr;
        const unsigned long long seed = std::strtoull(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || text[0] == '-')
            return "--seed '" + text + "' is not a non-negative integer";
        options.seed = seed;
        return std::nullopt;
    });
    line.checked("--fault-rate", numberIn("--fault-rate", 0, 1, faultRate));
    line.text("--faults", faultSpec);
    line.text("--require-key-env", keyEnv);
    if (auto stop = line.parse(args))
        return *stop;
    if (faultSpec && line.given("--fault-rate"))
        return line.fail("use either --fault-rate or --faults, not both");
    if (line.given("--fault-rate"))
        options.faultRates = spreadFaultRate(faultRate);
    if (faultSpec) {
        auto rates = parseFaultSpec(*faultSpec);
        if (!rates)
            return line.fail("--faults: " + rates.error().message);
        options.faultRates = std::move(*rates);
    }
    if (keyEnv) {
        if (keyEnv->empty())
            return line.fail("--require-key-env needs the name of an environment variable");
        const char *key = std::getenv(keyEnv->c_str());
        if (!key || !*key)
            return line.fail("environment variable " + *keyEnv + " is not set");
        options.requiredApiKey = key;
    }
    options.stallMs = static_cast<int>(stallMs);

    // Block the stop signals here, before any thread starts, so that every
    // server thread inherits the mask and this thread alone takes them in sigwait.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    sigset_t previous;
    pthread_sigmask(SIG_BLOCK, &stopSignals, &previous);

    SimServer server(
        [](const std::string &model) -> std::shared_ptr<Lm> {
            if (!SimLm::isKnownModel(model))
                return nullptr;
            return std::make_shared<SimLm>(model);
        },
        SimLm::modelNames(), options);
    auto started = server.start(static_cast<int>(port));
    if (!started) {
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        printError(started.error().message);
        return ExitLoad;
    }
    std::printf("listening on %s\n", server.baseUrl().c_str());
    std::fflush(stdout);

    int received = 0;
    sigwait(&stopSignals, &received);
    server.stop();
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);

    const SimServerStats stats = server.stats();
    std::string faults;
    for (const auto &[kind, count] : stats.faults)
        faults += std::string(faults.empty() ? "" : ", ") + simFaultName(kind) + " x" + std::to_string(count);
    std::fprintf(stderr, "simlm serve: stopped; %lld requests, %lld completions%s%s\n", stats.requests,
                 stats.completions, faults.empty() ? "" : ", faults: ", faults.c_str());
    return ExitOk;
}

} // namespace prism::cli
