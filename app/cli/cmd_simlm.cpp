#include "cmd_simlm.h"

#include "cli.h"
#include "sim/sim_server.h"
#include "sim/simlm.h"

#include <csignal>
#include <cmath>
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

int usageFail(const std::string &message)
{
    printError(message);
    std::fputs(simlmServeUsage().c_str(), stderr);
    return ExitUsage;
}

std::optional<double> parseNumber(const std::string &text)
{
    if (text.empty())
        return std::nullopt;
    char *end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (*end != '\0' || !std::isfinite(v))
        return std::nullopt;
    return v;
}

// Reads the options of `simlm serve` into `options` and `port`. Returns the exit code when the
// command ends here (help shown, or a usage error printed), nothing when the server should start.
std::optional<int> parseServeArgs(const std::vector<std::string> &args, SimServerOptions &options, int &port)
{
    bool haveFaultRate = false;
    bool haveFaults = false;

    for (size_t i = 0; i < args.size(); ++i) {
        std::string flag = args[i];
        std::optional<std::string> inlineValue;
        if (flag.rfind("--", 0) == 0) {
            const auto eq = flag.find('=');
            if (eq != std::string::npos) {
                inlineValue = flag.substr(eq + 1);
                flag.erase(eq);
            }
        }
        if (flag == "-h" || flag == "--help") {
            std::fputs(simlmServeUsage().c_str(), stdout);
            return ExitOk;
        }
        auto value = [&]() -> std::optional<std::string> {
            if (inlineValue)
                return inlineValue;
            if (i + 1 >= args.size())
                return std::nullopt;
            return args[++i];
        };
        auto number = [&](double lo, double hi, double &out) -> int {
            auto text = value();
            if (!text)
                return usageFail(flag + " needs a value");
            auto v = parseNumber(*text);
            if (!v || *v < lo || *v > hi)
                return usageFail(flag + " '" + *text + "' is not a number in [" + std::to_string(static_cast<long long>(lo)) +
                                 ", " + std::to_string(static_cast<long long>(hi)) + "]");
            out = *v;
            return -1;
        };
        double v = 0.0;
        int rc = -1;
        if (flag == "--port") {
            if ((rc = number(0, 65535, v)) >= 0)
                return rc;
            if (v != std::floor(v))
                return usageFail("--port must be an integer");
            port = static_cast<int>(v);
        } else if (flag == "--latency-ms") {
            if ((rc = number(0, 3.6e6, v)) >= 0)
                return rc;
            options.latencyMs = v;
        } else if (flag == "--per-token-ms") {
            if ((rc = number(0, 6e4, v)) >= 0)
                return rc;
            options.perTokenMs = v;
        } else if (flag == "--retry-after") {
            if ((rc = number(0, 3600, v)) >= 0)
                return rc;
            options.retryAfterSeconds = v;
        } else if (flag == "--stall-ms") {
            if ((rc = number(0, 3.6e6, v)) >= 0)
                return rc;
            options.stallMs = static_cast<int>(v);
        } else if (flag == "--seed") {
            auto text = value();
            if (!text)
                return usageFail("--seed needs a value");
            char *end = nullptr;
            const unsigned long long seed = std::strtoull(text->c_str(), &end, 10);
            if (text->empty() || *end != '\0' || (*text)[0] == '-')
                return usageFail("--seed '" + *text + "' is not a non-negative integer");
            options.seed = seed;
        } else if (flag == "--fault-rate") {
            if ((rc = number(0, 1, v)) >= 0)
                return rc;
            options.faultRates = spreadFaultRate(v);
            haveFaultRate = true;
        } else if (flag == "--faults") {
            auto text = value();
            if (!text)
                return usageFail("--faults needs a value, e.g. 429:0.05,500:0.05");
            auto rates = parseFaultSpec(*text);
            if (!rates)
                return usageFail("--faults: " + rates.error().message);
            options.faultRates = std::move(*rates);
            haveFaults = true;
        } else if (flag == "--require-key-env") {
            auto text = value();
            if (!text || text->empty())
                return usageFail("--require-key-env needs the name of an environment variable");
            const char *key = std::getenv(text->c_str());
            if (!key || !*key)
                return usageFail("environment variable " + *text + " is not set");
            options.requiredApiKey = key;
        } else {
            return usageFail("unknown option '" + args[i] + "' for simlm serve");
        }
    }
    if (haveFaultRate && haveFaults)
        return usageFail("use either --fault-rate or --faults, not both");
    return std::nullopt;
}

// Serves SimLm until SIGINT or SIGTERM, then prints what it served on stderr.
int serveUntilStopped(const SimServerOptions &options, int port)
{
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
    auto started = server.start(port);
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

} // namespace

int cmdSimlmServe(const std::vector<std::string> &args)
{
    SimServerOptions options;
    int port = 0;
    if (std::optional<int> exitCode = parseServeArgs(args, options, port))
        return *exitCode;
    return serveUntilStopped(options, port);
}

} // namespace prism::cli
