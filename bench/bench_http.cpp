// prism_bench_http [--examples N] [--concurrency N] [--latency-ms N] [--calls N] [--no-check]
//
// The HTTP model path under load, against SimLm served by SimServer on
// loopback, through the real path: OpenAiClient + ManagedLm (scheduler,
// retries, ledger; no cache) + Evaluator, on distinct moderation snippets.
//
// 1. Throughput: N examples (default 1,000) at concurrency C (32) with L ms
//    (50) of server latency. ratio = measured wall time / (N x L / C).
// 2. Client overhead: concurrency 1, 0 ms latency, M calls (2,000): time per
//    call through the full path minus time per call of in-process SimLm on the
//    same examples (best of 3 alternating rounds each).
//
// One JSON line per measurement on stdout. Exits 1 when ratio > 1.15 or the
// overhead is 1 ms or more (the targets of issue #3), unless --no-check.

#include "adapter/adapter.h"
#include "core/study.h"
#include "data/dataset.h"
#include "eval/evaluator.h"
#include "lm/managed_lm.h"
#include "lm/openai_client.h"
#include "metric/builtin.h"
#include "sim/sim_server.h"
#include "sim/simlm.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace prism;

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kMaxRatio = 1.15;
constexpr double kMaxOverheadMs = 1.0;

struct Settings {
    int examples = 1000;
    int concurrency = 32;
    double latencyMs = 50.0;
    int calls = 2000;
    bool check = true;
};

int usage()
{
    std::fprintf(
        stderr, "usage: prism_bench_http [--examples N] [--concurrency N] [--latency-ms N] [--calls N] [--no-check]\n");
    return 2;
}

bool parsePositive(const char *text, double &out)
{
    char *end = nullptr;
    const double v = std::strtod(text, &end);
    if (end == text || *end != '\0' || !(v >= 0) || v > 1e7)
        return false;
    out = v;
    return true;
}

double msSince(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Distinct snippets: the train snippets, each with a running reference, so
// that no two requests are alike (the cache is off anyway).
std::vector<Example> makeExamples(const std::vector<Example> &seeds, int count)
{
    std::vector<Example> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        Example e = seeds[static_cast<std::size_t>(i) % seeds.size()];
        const std::string text = e.values.get("snippet").toText();
        e.values.set("snippet", Value(text + " (ticket " + std::to_string(1000 + i) + ")"));
        out.push_back(std::move(e));
    }
    return out;
}

struct Bench {
    Study study;
    Program program;
    std::unique_ptr<Adapter> adapter;
    std::unique_ptr<Metric> metric;
    std::vector<Example> examples;
};

std::shared_ptr<ManagedLm> httpModel(const std::string &baseUrl, int concurrency)
{
    ModelConfig config;
    config.provider = Provider::OpenAi;
    config.baseUrl = baseUrl;
    config.model = "sim-small";
    config.maxConcurrency = concurrency;
    config.timeoutSeconds = 30.0;
    CallServices services = CallServices::makeBasic(concurrency);
    EndpointLimits limits;
    limits.maxConcurrency = concurrency;
    return std::make_shared<ManagedLm>(std::make_shared<OpenAiClient>(config), services,
                                       LmIdentity{"openai", baseUrl, "sim-small"}, limits);
}

// Wall time of one evaluation; fails on any example error (the numbers would mean nothing).
bool timedEval(const Bench &b, Lm &lm, const std::vector<Example> &examples, int threads, double &ms)
{
    EvalOptions options;
    options.threads = threads;
    options.maxErrors = 0;
    options.call.role = "evaluation";
    const Evaluator evaluator(lm, *b.adapter, *b.metric, options);
    const auto start = Clock::now();
    const EvalReport report = evaluator.run(b.program, examples);
    ms = msSince(start);
    if (report.errors > 0 || report.results.size() != examples.size()) {
        for (const auto &r : report.results)
            if (r.error) {
                std::fprintf(stderr, "prism_bench_http: example %zu failed: %s\n", r.index,
                             r.error->describe().c_str());
                break;
            }
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    Settings s;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        double v = 0;
        if (arg == "--no-check") {
            s.check = false;
        } else if ((arg == "--examples" || arg == "--concurrency" || arg == "--calls" || arg == "--latency-ms")
                   && i + 1 < argc && parsePositive(argv[i + 1], v)) {
            ++i;
            if (arg == "--latency-ms")
                s.latencyMs = v;
            else if (v < 1)
                return usage();
            else
                (arg == "--examples"      ? s.examples
                 : arg == "--concurrency" ? s.concurrency
                                          : s.calls) = static_cast<int>(v);
        } else {
            return usage();
        }
    }
    spdlog::set_level(spdlog::level::warn);

    Bench b;
    auto study = loadStudy(std::string(PRISM_SOURCE_DIR) + "/samples/moderation/moderation.prism.json");
    if (!study) {
        std::fprintf(stderr, "prism_bench_http: %s\n", study.error().message.c_str());
        return 1;
    }
    b.study = std::move(study).value();
    b.program = b.study.program;
    auto data = loadStudyData(b.study);
    auto metric = makeMetric(b.study.metric, b.program);
    b.adapter = makeAdapter("chat");
    if (!data || !metric || !b.adapter) {
        std::fprintf(stderr, "prism_bench_http: cannot load the moderation sample\n");
        return 1;
    }
    b.metric = std::move(metric).value();
    b.examples = makeExamples(data->train.examples, std::max(s.examples, s.calls));
    bool ok = true;

    // 1. Throughput at concurrency C with L ms latency.
    {
        SimServerOptions options;
        options.latencyMs = s.latencyMs;
        SimServer server(std::make_shared<SimLm>("sim-small"), "sim-small", options);
        if (!server.start(0)) {
            std::fprintf(stderr, "prism_bench_http: cannot start the server\n");
            return 1;
        }
        const std::vector<Example> examples(b.examples.begin(), b.examples.begin() + s.examples);
        auto lm = httpModel(server.baseUrl(), s.concurrency);
        double ms = 0.0;
        if (!timedEval(b, *lm, examples, s.concurrency, ms))
            return 1;
        const double ideal = s.examples * s.latencyMs / s.concurrency;
        const double ratio = ms / ideal;
        const LedgerTotals totals = lm->services().ledger->totals();
        const bool pass = ratio <= kMaxRatio;
        ok = ok && pass;
        std::printf(
            "{\"bench\": \"http_throughput\", \"examples\": %d, \"concurrency\": %d, \"latency_ms\": %g, "
            "\"measured_ms\": %.1f, \"ideal_ms\": %.1f, \"ratio\": %.4f, \"mean_call_ms\": %.2f, \"retries\": %lld, "
            "\"target_ratio\": %.2f, \"pass\": %s}\n",
            s.examples, s.concurrency, s.latencyMs, ms, ideal, ratio,
            totals.calls > 0 ? totals.latencyMs / static_cast<double>(totals.calls) : 0.0, totals.retries, kMaxRatio,
            pass ? "true" : "false");
        std::fflush(stdout);
    }

    // 2. Client overhead per call at concurrency 1, no latency.
    {
        SimServer server(std::make_shared<SimLm>("sim-small"), "sim-small");
        if (!server.start(0)) {
            std::fprintf(stderr, "prism_bench_http: cannot start the server\n");
            return 1;
        }
        const std::vector<Example> examples(b.examples.begin(), b.examples.begin() + s.calls);
        const std::vector<Example> warmup(b.examples.begin(), b.examples.begin() + std::min(s.calls, 50));
        SimLm local("sim-small");
        double bestHttp = 1e300, bestLocal = 1e300;
        for (int round = 0; round < 3; ++round) {
            double ms = 0.0;
            // A fresh ManagedLm per round; warm the connection and the code first.
            auto lm = httpModel(server.baseUrl(), 1);
            if (!timedEval(b, *lm, warmup, 1, ms) || !timedEval(b, *lm, examples, 1, ms))
                return 1;
            bestHttp = std::min(bestHttp, ms);
            if (!timedEval(b, local, examples, 1, ms))
                return 1;
            bestLocal = std::min(bestLocal, ms);
        }
        const double httpPerCall = bestHttp / s.calls;
        const double localPerCall = bestLocal / s.calls;
        const double overhead = httpPerCall - localPerCall;
        const bool pass = overhead < kMaxOverheadMs;
        ok = ok && pass;
        std::printf("{\"bench\": \"http_overhead\", \"calls\": %d, \"concurrency\": 1, \"http_ms_per_call\": %.4f, "
                    "\"inprocess_ms_per_call\": %.4f, \"overhead_ms\": %.4f, \"target_ms\": %.2f, \"pass\": %s}\n",
                    s.calls, httpPerCall, localPerCall, overhead, kMaxOverheadMs, pass ? "true" : "false");
        std::fflush(stdout);
    }
    return !s.check || ok ? 0 : 1;
}
