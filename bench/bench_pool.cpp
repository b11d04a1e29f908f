// prism_bench_pool [--threads N] [--latency-ms N] [--no-check]
//
// Thread reuse across batches (issue #12): a MIPROv2 light run on the
// moderation sample (many batches: bootstrap chunks, proposals, trials, full
// evaluations, then the test-split comparison) through RunController, with
// both models served over HTTP by `prism simlm serve` on loopback and a JS
// metric. Counts the new HTTP connections the run opened (libcurl's
// CURLINFO_NUM_CONNECTS, summed) and the JS engines built to score. With one
// worker pool per run, each thread keeps its keep-alive connection and its
// engine, so both are at most the thread count (the pool's size).
//
// One JSON line on stdout. Exits 1 when a count exceeds the thread count or
// the run did not finish, unless --no-check.

#include "core/json.h"
#include "core/study.h"
#include "lm/http.h"
#include "run/run_controller.h"
#include "run/run_store.h"
#include "scripting/jsmetric.h"
#include "support/sim_server_process.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

using namespace prism;
namespace fs = std::filesystem;

namespace {

struct Settings {
    int threads = 4;
    int latencyMs = 5;
    bool check = true;
};

int usage()
{
    std::fprintf(stderr, "usage: prism_bench_pool [--threads N] [--latency-ms N] [--no-check]\n");
    return 2;
}

std::string readAll(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The moderation sample with both models behind the server and a JS metric.
Result<Study> studyAgainst(const std::string &url)
{
    const std::string dir = std::string(PRISM_SOURCE_DIR) + "/samples/moderation/";
    Json j = Json::parse(readAll(dir + "moderation.prism.json"));
    for (auto &[split, spec] : j["data"].items())
        spec["path"] = dir + spec["path"].get<std::string>();
    const Json model = Json{{"provider", "openai"}, {"base_url", url}, {"model", "sim-small"}, {"timeout_seconds", 30}};
    j["models"]["task"] = model;
    j["models"]["proposer"] = model;
    auto study = studyFromJsonText(j.dump(), "moderation (bench)");
    if (!study)
        return study;
    study->metric.kind = "script";
    study->metric.script = jsMetricTemplate(study->program);
    return study;
}

} // namespace

int main(int argc, char **argv)
{
    Settings s;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--no-check") {
            s.check = false;
        } else if ((arg == "--threads" || arg == "--latency-ms") && i + 1 < argc) {
            const int v = std::atoi(argv[++i]);
            if (v < (arg == "--threads" ? 1 : 0) || v > 256)
                return usage();
            (arg == "--threads" ? s.threads : s.latencyMs) = v;
        } else {
            return usage();
        }
    }
    spdlog::set_level(spdlog::level::warn);
    ScriptingRuntime scripting;

    const fs::path dir = fs::temp_directory_path() / ("prism-bench-pool-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    int exitCode = 1;
    {
        testsupport::SimServerProcess server(dir, {"--latency-ms", std::to_string(s.latencyMs)});
        auto study = server.url().empty() ? Result<Study>(Error::make(ErrorKind::Transport, "the server did not start"))
                                          : studyAgainst(server.url());
        auto store = RunStore::open((dir / "runs.db").string());
        if (!study || !store) {
            std::fprintf(stderr, "prism_bench_pool: %s\n", (!study ? study.error() : store.error()).describe().c_str());
            fs::remove_all(dir);
            return 1;
        }
        RunSettings settings;
        settings.optimizer = "miprov2";
        settings.autoMode = "light";
        settings.seed = 0;
        settings.threads = s.threads;
        settings.lm.useCache = false;
        settings.compareOnTest = true;

        const long long connectionsBefore = httpConnectionsOpened();
        const long long enginesBefore = JsMetric::scoringEnginesBuilt();
        const auto start = std::chrono::steady_clock::now();
        RunController controller(store.value());
        controller.setMetricFactory(
            [](const MetricSpec &spec, const Program &program, std::shared_ptr<const Judge> judge) {
                return makeStudyMetric(spec, program, std::move(judge));
            });
        auto id = controller.start(study.value(), settings);
        if (!id) {
            std::fprintf(stderr, "prism_bench_pool: %s\n", id.error().describe().c_str());
            fs::remove_all(dir);
            return 1;
        }
        const RunOutcome outcome = controller.wait();
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        const long long connections = httpConnectionsOpened() - connectionsBefore;
        const long long engines = JsMetric::scoringEnginesBuilt() - enginesBefore;
        const long long calls = controller.callsSoFar();
        const bool finished = outcome.status == prism::RunStatus::Finished && outcome.testOptimized.has_value();
        const bool pass = finished && connections <= s.threads && engines <= s.threads;
        std::printf(
            "{\"bench\": \"pool_reuse\", \"threads\": %d, \"latency_ms\": %d, \"status\": \"%s\", \"lm_calls\": %lld, "
            "\"connections_opened\": %lld, \"js_engines_built\": %lld, \"wall_ms\": %.0f, \"pass\": %s}\n",
            s.threads, s.latencyMs, prism::runStatusName(outcome.status), calls, connections, engines, ms,
            pass ? "true" : "false");
        if (!finished)
            std::fprintf(stderr, "prism_bench_pool: the run ended %s (%s)\n", prism::runStatusName(outcome.status),
                         outcome.stopReason.text().c_str());
        exitCode = pass || !s.check ? 0 : 1;
    }
    fs::remove_all(dir);
    return exitCode;
}
