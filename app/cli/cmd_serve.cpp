// prism serve: a team server on a PostgreSQL store. --worker works through
// the run queue; --api answers the REST API; `token` manages its tokens.
#include "cli.h"
#include "options.h"

#include "core/paths.h"
#include "core/pg_db.h"
#include "lm/scheduler.h"
#include "run/run_controller.h"
#include "run/run_store.h"
#include "server/api_server.h"
#include "server/compare_jobs.h"
#include "server/compare_worker.h"
#include "server/team_store.h"
#include "server/upload.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <list>
#include <mutex>
#include <optional>
#include <thread>

namespace prism::cli {

std::string serveUsage()
{
    return "usage: prism serve --worker [--store URL] [--runs N] [--lease-seconds S] [--poll-seconds S]\n"
           "                    [--threads N] [--exit-when-idle] [--verbose]\n"
           "       prism serve --api [--store URL] [--listen HOST:PORT] [--max-request-mb N]\n"
           "                    [--http-threads N] [--allow-endpoints URL,...] [--verbose]\n"
           "       prism serve token add NAME --team TEAM [--store URL]\n"
           "       prism serve token list|revoke NAME [--store URL]\n"
           "\n"
           "A team server on one PostgreSQL store (docs/SERVER.md).\n"
           "\n"
           "--worker: takes the oldest queued run of the store (the API and `prism optimize\n"
           "--queue` put runs there), runs it, and takes the next; with no run queued, the\n"
           "oldest compare job the API queued (two programs evaluated on a split of a run's\n"
           "study). Any number of workers on any number of machines may share one store: a\n"
           "run or job is leased to one worker at a time and the lease is renewed while it\n"
           "runs. A run whose worker died (its lease ran out) is taken by another worker and\n"
           "resumed from its call journal, so no model call it paid for is paid again; a\n"
           "compare job starts over, its calls answered from the response cache when the\n"
           "workers share one (PRISM_CACHE). Provider keys are the worker's environment\n"
           "variables. Data files uploaded with a run are written under the worker's data\n"
           "directory; other studies are read from the paths they were queued with.\n"
           "\n"
           "  --store URL         the store (default: $PRISM_STORE); a postgresql:// URL\n"
           "  --runs N            runs at once (default 1); they share each endpoint's\n"
           "                      max_concurrency and rate limits, which are this worker's\n"
           "  --lease-seconds S   how long a claim holds without renewal (default 30; renewed\n"
           "                      every S/3 seconds)\n"
           "  --poll-seconds S    how often an idle worker looks for work (default 2)\n"
           "  --threads N         threads per run (default: the run's own)\n"
           "  --exit-when-idle    stop when no run is queued or leased (scripts, tests)\n"
           "\n"
           "--api: the REST API (docs/openapi.yaml): create runs from uploaded studies, list,\n"
           "read, cancel and resume them, their trials, ledger and artifact, and their live\n"
           "events as server-sent events; queue compare jobs (two programs on a split of a\n"
           "run's study, run by the workers). Every request needs a team's token (`token\n"
           "add`). The API server makes no model call and needs no provider key. Serve it\n"
           "behind a reverse proxy for TLS (docs/SERVER.md).\n"
           "\n"
           "  --listen HOST:PORT  where to listen (default 127.0.0.1:8080; port 0 = any free\n"
           "                      port, printed at start)\n"
           "  --max-request-mb N  the largest request body, study and data files together\n"
           "                      (default 32)\n"
           "  --http-threads N    requests served at once; each open event stream holds one\n"
           "                      (default 64)\n"
           "  --allow-endpoints URL,...  model URLs (prefixes) an uploaded study may use\n"
           "                      besides the providers' own: the workers' keys are sent\n"
           "                      there (e.g. http://vllm.internal:8000/)\n"
           "\n"
           "token add NAME --team TEAM: makes a token for TEAM and prints it once (only its\n"
           "hash is stored). A token sees only its team's runs. `token list` shows names and\n"
           "teams; `token revoke NAME` removes one.\n"
           "\n"
           "Ctrl-C or SIGTERM: a worker's run under way stops and goes back to the queue,\n"
           "where the next worker resumes it; the API server stops listening.\n";
}

namespace {

std::atomic<bool> g_stopWorker{false};

extern "C" void onWorkerSignal(int)
{
    g_stopWorker.store(true);
}

struct WorkerOptions {
    double leaseSeconds = 30.0;
    double pollSeconds = 2.0;
    std::optional<int> threads;
    bool exitWhenIdle = false;
    int runs = 1; // runs at once
    // Shared by the runs of this worker: an endpoint's limits hold across them.
    std::shared_ptr<Scheduler> scheduler;
};

// Renews a lease every third of it while the work goes on. A worker that
// cannot renew in time has lost the work to another worker. Without onLost it
// stops at once, writing nothing more, so two workers never write one run; a
// compare job, whose every write checks the lease, is only stopped (onLost).
class LeaseKeeper {
public:
    using Renew = std::function<Result<bool>()>;
    LeaseKeeper(Renew renew, std::string what, std::string worker, double leaseSeconds,
                std::function<void()> onLost = nullptr)
        : m_renew(std::move(renew)), m_what(std::move(what)), m_worker(std::move(worker)), m_lease(leaseSeconds),
          m_onLost(std::move(onLost)), m_thread([this] { keep(); })
    {}
    ~LeaseKeeper()
    {
        {
            std::lock_guard lock(m_mutex);
            m_done = true;
        }
        m_wake.notify_all();
        m_thread.join();
    }

private:
    void keep()
    {
        const auto every = std::chrono::duration<double>(m_lease / 3.0);
        auto lastRenewed = std::chrono::steady_clock::now();
        std::unique_lock lock(m_mutex);
        while (!m_wake.wait_for(lock, every, [this] { return m_done; })) {
            auto renewed = m_renew();
            if (renewed && renewed.value()) {
                lastRenewed = std::chrono::steady_clock::now();
                continue;
            }
            const bool lost = renewed.ok(); // the row says another worker has it
            const double since = std::chrono::duration<double>(std::chrono::steady_clock::now() - lastRenewed).count();
            if (lost || since >= m_lease) {
                std::fprintf(stderr, "prism: error: worker %s lost the lease on %s (%s); stopping %s\n",
                             m_worker.c_str(), m_what.c_str(),
                             lost ? "another worker took it" : renewed.error().message.c_str(),
                             m_onLost ? "it" : "at once");
                std::fflush(stderr);
                if (!m_onLost)
                    std::_Exit(ExitStoppedEarly);
                m_onLost();
                return;
            }
            spdlog::warn("{}: the lease was not renewed ({}); trying again", m_what, renewed.error().message);
        }
    }

    Renew m_renew;
    std::string m_what, m_worker;
    double m_lease;
    std::function<void()> m_onLost;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_done = false;
    std::thread m_thread;
};

// Where this worker writes the files a run or compare job was uploaded with.
Result<std::string> workerFilesDir(const std::string &kind, const std::string &name)
{
    auto dataDir = userDataDir();
    if (!dataDir)
        return dataDir.error();
    return (std::filesystem::path(dataDir.value()) / kind / name).string();
}

// The files a run was uploaded with, written where this worker can read
// them: the study's relative paths resolve there. Nothing for a run queued
// from the CLI, which reads the paths it was queued with.
Result<std::optional<std::string>> placeWorkerRunFiles(RunStore &store, const std::string &runId)
{
    auto dir = workerFilesDir("server-runs", runId);
    if (!dir)
        return dir.error();
    std::error_code ec;
    std::filesystem::remove_all(dir.value(), ec); // what an earlier attempt left
    auto placed = placeRunFiles(store, runId, dir.value());
    if (!placed)
        return placed.error();
    return placed.value() ? std::optional<std::string>(dir.value()) : std::nullopt;
}

// Runs the started run to its end, cancelling it when the worker stops or
// an API client asks (polled every 0.3 s).
void superviseRun(RunController &controller, RunStore &store, const std::string &runId)
{
    int ticks = 0;
    while (controller.running()) {
        if (g_stopWorker.load())
            controller.cancel();
        if (++ticks % 3 == 0) {
            auto asked = store.cancelRequested(runId);
            if (asked && asked.value())
                controller.cancel();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

// Runs one claimed run to its end (or to a stop); says what became of it.
void workOn(const std::shared_ptr<RunStore> &store, const std::string &runId, const std::string &worker,
            const WorkerOptions &options)
{
    std::fprintf(stderr, "worker %s: run %s\n", worker.c_str(), runId.c_str());
    // Stopped (reset) before the run leaves the queue: a renewal after the
    // release would find no lease and take the worker down.
    std::optional<LeaseKeeper> lease;
    lease.emplace([store, runId, worker, &options] { return store->renewLease(runId, worker, options.leaseSeconds); },
                  "run " + runId, worker, options.leaseSeconds);
    const auto fail = [&](const std::string &message) {
        // A run that cannot start here would fail on every worker: it ends.
        printError("run " + runId + ": " + message);
        (void)store->setStatus(runId, RunStatus::Failed, StopReason::error(message));
        lease.reset();
        (void)store->releaseRun(runId, worker, true);
    };
    auto placed = placeWorkerRunFiles(*store, runId);
    if (!placed)
        return fail(placed.error().message);
    RunController controller(store);
    controller.setMetricFactory(studyMetric);
    ResumeSettings settings;
    settings.threads = options.threads;
    settings.claimed = true;
    settings.baseDir = placed.value();
    settings.scheduler = options.scheduler;
    if (auto started = controller.resume(runId, settings); !started)
        return fail(started.error().message);
    superviseRun(controller, *store, runId);
    const RunOutcome outcome = controller.wait();
    // Stopped for a shutdown: back to the queue, resumed by the next worker.
    const bool handBack = g_stopWorker.load();
    lease.reset();
    if (auto released = store->releaseRun(runId, worker, !handBack); !released)
        printError(released.error().message);
    if (placed.value()) {
        std::error_code ec;
        std::filesystem::remove_all(*placed.value(), ec);
    }
    std::fprintf(stderr, "worker %s: run %s %s (%s)\n", worker.c_str(), runId.c_str(),
                 handBack ? "goes back to the queue" : "ended", outcome.stopReason.text().c_str());
}

// Runs one claimed compare job to its end; a worker that stops hands it back.
// A problem of this moment or this machine (the store, the disk, an endpoint
// that did not answer): another try may well succeed.
bool passingProblem(const Error &error)
{
    switch (error.kind) {
    case ErrorKind::Io:
    case ErrorKind::Transport:
    case ErrorKind::Timeout:
    case ErrorKind::RateLimit:
    case ErrorKind::Server: return true;
    default: return false;
    }
}

// Evaluates a claimed job while its lease holds; stopped (Cancelled) when the
// worker stops or the lease is lost (*lost set).
Result<std::string> evaluateCompareJob(const std::shared_ptr<RunStore> &store, const std::shared_ptr<CompareJobs> &jobs,
                                       const CompareJob &job, const std::string &worker, const WorkerOptions &options,
                                       bool *lost)
{
    auto parent = workerFilesDir("server-compares", "");
    std::error_code ec;
    if (parent)
        std::filesystem::create_directories(parent.value(), ec);
    // A directory of its own, removed afterwards, whatever the job's number.
    auto dir = parent ? ScratchDir::make(parent.value()) : Result<ScratchDir>(parent.error());
    if (!dir)
        return dir.error();
    auto cancel = std::make_shared<std::atomic<bool>>(false);
    auto lostLease = std::make_shared<std::atomic<bool>>(false);
    LeaseKeeper lease(
        [jobs, id = job.id, worker, &options] { return jobs->renewLease(id, worker, options.leaseSeconds); },
        "compare job " + compareJobName(job.id), worker, options.leaseSeconds, [lostLease] { lostLease->store(true); });
    CompareWorkOptions work;
    work.threads = options.threads;
    work.scheduler = options.scheduler;
    work.metricFactory = studyMetric;
    work.cancel = cancel.get();
    work.filesDir = dir->path();
    auto running = std::async(std::launch::async, [&] { return runCompareJob(*store, job, work); });
    while (running.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready)
        if (g_stopWorker.load() || lostLease->load())
            cancel->store(true);
    *lost = lostLease->load();
    return running.get();
}

// Runs one claimed compare job to its end. A worker that stops hands it back;
// a passing problem puts it back for another try; anything else fails it.
void workOnCompare(const std::shared_ptr<RunStore> &store, const std::shared_ptr<CompareJobs> &jobs,
                   const CompareJob &job, const std::string &worker, const WorkerOptions &options)
{
    const std::string name = compareJobName(job.id);
    std::fprintf(stderr, "worker %s: compare job %s (run %s, %s split)\n", worker.c_str(), name.c_str(),
                 job.runId.c_str(), job.split.c_str());
    bool lost = false;
    auto result = evaluateCompareJob(store, jobs, job, worker, options, &lost);
    if (lost)
        return; // another worker has it now; nothing of ours is written
    std::string outcome = "done";
    if (!result && (g_stopWorker.load() || passingProblem(result.error()))) {
        const bool stopping = g_stopWorker.load();
        if (!stopping)
            printError("compare job " + name + ": " + result.error().message);
        if (auto released = jobs->release(job.id, worker, stopping ? std::string() : result.error().message); !released)
            printError(released.error().message);
        std::fprintf(stderr, "worker %s: compare job %s goes back to the queue\n", worker.c_str(), name.c_str());
        return;
    }
    if (!result) {
        printError("compare job " + name + ": " + result.error().message);
        outcome = "failed";
    }
    auto finished = jobs->finish(job.id, worker, result ? result.value() : std::string(),
                                 result ? std::string() : result.error().message);
    if (!finished)
        printError(finished.error().message);
    else if (!finished.value())
        outcome = "not written (another worker has it)";
    std::fprintf(stderr, "worker %s: compare job %s %s\n", worker.c_str(), name.c_str(), outcome.c_str());
}

Result<std::string> storeLocation(const std::string &given)
{
    if (!given.empty())
        return given;
    return RunStore::defaultPath();
}

std::string redactedStore(const std::string &url)
{
    return pg::isUrl(url) ? pg::displayUrl(url) : url;
}

// The oldest queued run, or else the oldest compare job, claimed and started
// on a thread of its own with its own connection to the store; nothing when
// there is no work (or the database is away: try again later).
std::optional<std::future<void>> claimWork(const std::shared_ptr<RunStore> &store,
                                           const std::shared_ptr<CompareJobs> &jobs, const std::string &me,
                                           const WorkerOptions &options)
{
    const auto ownStore = [&store] {
        auto own = RunStore::open(store->location());
        return own ? own.value() : store;
    };
    auto claimed = store->claimRun(me, options.leaseSeconds);
    if (!claimed)
        printError(claimed.error().message);
    if (claimed && claimed.value()) {
        const std::string runId = *claimed.value();
        return std::async(std::launch::async,
                          [runStore = ownStore(), runId, me, &options] { workOn(runStore, runId, me, options); });
    }
    auto job = jobs->claim(me, options.leaseSeconds);
    if (!job)
        printError(job.error().message);
    if (!job || !job.value())
        return std::nullopt;
    return std::async(std::launch::async, [runStore = ownStore(), jobs, compare = *job.value(), me, &options] {
        workOnCompare(runStore, jobs, compare, me, options);
    });
}

// Claims runs while fewer than options.runs are under way, each on a thread
// of its own with its own connection to the store; returns once stopped (or
// idle, with --exit-when-idle) and every run under way has ended.
void serveQueue(const std::shared_ptr<RunStore> &store, const std::shared_ptr<CompareJobs> &jobs, const std::string &me,
                const WorkerOptions &options)
{
    std::list<std::future<void>> active;
    const auto reap = [&] {
        active.remove_if(
            [](std::future<void> &f) { return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready; });
    };
    while (!g_stopWorker.load()) {
        reap();
        if (static_cast<int>(active.size()) < options.runs) {
            if (auto work = claimWork(store, jobs, me, options)) {
                active.push_back(std::move(*work));
                continue;
            }
        }
        if (options.exitWhenIdle && active.empty()) {
            auto waiting = store->queueLength();
            auto comparing = jobs->pending();
            if (waiting && waiting.value() == 0 && comparing && comparing.value() == 0)
                break;
        }
        for (double slept = 0; slept < options.pollSeconds && !g_stopWorker.load(); slept += 0.05) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            // A slot came free: look for the next run now.
            if (std::any_of(active.begin(), active.end(), [](std::future<void> &f) {
                    return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
                }))
                break;
        }
    }
    for (auto &f : active)
        f.wait();
}

// "a,b,c" -> {"a", "b", "c"}; empty items dropped.
std::vector<std::string> splitList(const std::string &text)
{
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!item.empty())
            items.push_back(std::move(item));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return items;
}

// "HOST:PORT" of --listen.
std::optional<std::pair<std::string, int>> parseListen(const std::string &text)
{
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0)
        return std::nullopt;
    const std::string port = text.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    const int number = std::stoi(port);
    if (number > 65535)
        return std::nullopt;
    return std::make_pair(text.substr(0, colon), number);
}

int serveApi(const std::string &storeUrl, const ApiServerConfig &base)
{
    ApiServerConfig config = base;
    config.storeUrl = storeUrl;
    config.metricFactory = studyMetric;
    auto server = ApiServer::create(config);
    if (!server) {
        printError(server.error().message);
        return ExitLoad;
    }
    g_stopWorker.store(false);
    std::signal(SIGINT, onWorkerSignal);
    std::signal(SIGTERM, onWorkerSignal);
    std::thread watcher([&] {
        while (!g_stopWorker.load())
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        server.value()->stop();
    });
    std::printf("prism API listening on http://%s:%d (store %s)\n", config.host.c_str(), server.value()->port(),
                redactedStore(storeUrl).c_str());
    std::fflush(stdout);
    auto served = server.value()->serve();
    g_stopWorker.store(true);
    watcher.join();
    if (!served) {
        printError(served.error().message);
        return ExitLoad;
    }
    std::fprintf(stderr, "prism API stopped\n");
    return ExitOk;
}

int tokenCommand(const std::vector<std::string> &args)
{
    std::vector<std::string> positional;
    std::optional<std::string> team, storePath;
    CommandLine line("serve token", serveUsage());
    line.positionals(positional);
    line.text("--team", team);
    line.text("--store", storePath);
    if (auto stop = line.parse(args))
        return *stop;
    if (positional.empty())
        return line.fail("serve token needs add, list or revoke");
    const std::string &action = positional[0];
    if (action == "list" ? positional.size() != 1 : positional.size() != 2 || (action != "add" && action != "revoke"))
        return line.fail("serve token takes: add NAME --team TEAM | list | revoke NAME");
    if (action == "add" && !team)
        return line.fail("token add needs --team TEAM: a token sees the runs of one team");
    auto url = storeLocation(storePath.value_or(""));
    if (!url) {
        printError(url.error().message);
        return ExitLoad;
    }
    auto teams = TeamStore::open(url.value());
    if (!teams) {
        printError(teams.error().message);
        return ExitLoad;
    }
    if (action == "add") {
        auto token = teams.value()->addToken(positional[1], *team);
        if (!token) {
            printError(token.error().message);
            return ExitLoad;
        }
        std::fprintf(stderr, "token %s of team %s (shown once; only its hash is kept):\n", positional[1].c_str(),
                     team->c_str());
        std::printf("%s\n", token.value().c_str());
        return ExitOk;
    }
    if (action == "revoke") {
        auto revoked = teams.value()->revokeToken(positional[1]);
        if (!revoked || !revoked.value()) {
            printError(revoked ? "no token named '" + positional[1] + "'" : revoked.error().message);
            return ExitLoad;
        }
        std::printf("token %s revoked\n", positional[1].c_str());
        return ExitOk;
    }
    auto tokens = teams.value()->tokens();
    if (!tokens) {
        printError(tokens.error().message);
        return ExitLoad;
    }
    for (const ApiToken &t : tokens.value())
        std::printf("%-24s team %-16s created %s\n", t.name.c_str(), t.team.c_str(), t.createdAt.c_str());
    return ExitOk;
}

} // namespace

int runServeCommand(const std::vector<std::string> &args)
{
    if (!args.empty() && args.front() == "token")
        return tokenCommand({args.begin() + 1, args.end()});
    bool worker = false, api = false;
    std::optional<std::string> storePath, listen, allowEndpoints;
    std::optional<double> lease, poll, maxRequestMb, httpThreads, runsAtOnce;
    RunFlags run;
    WorkerOptions options;
    bool verbose = false;
    CommandLine line("serve", serveUsage());
    line.flag("--worker", worker);
    line.flag("--api", api);
    line.text("--store", storePath);
    line.positiveNumber("--lease-seconds", lease);
    line.positiveNumber("--poll-seconds", poll);
    line.positiveNumber("--runs", runsAtOnce);
    line.text("--listen", listen);
    line.positiveNumber("--max-request-mb", maxRequestMb);
    line.positiveNumber("--http-threads", httpThreads);
    line.text("--allow-endpoints", allowEndpoints);
    addRunFlags(line, run, ThreadsFlag);
    line.flag("--exit-when-idle", options.exitWhenIdle);
    line.flag("--verbose", verbose);
    if (auto stop = line.parse(args))
        return *stop;
    if (worker == api)
        return line.fail("serve needs one of --worker (run queued runs) or --api (the REST API)");
    for (const char *flag : {"--lease-seconds", "--poll-seconds", "--threads", "--exit-when-idle", "--runs"})
        if (api && line.given(flag))
            return line.fail(std::string(flag) + " is a worker's flag; the API server does not run runs");
    for (const char *flag : {"--listen", "--max-request-mb", "--http-threads", "--allow-endpoints"})
        if (worker && line.given(flag))
            return line.fail(std::string(flag) + " is the API server's flag (serve --api)");
    setupLogging(verbose);
    if (api) {
        ApiServerConfig config;
        if (allowEndpoints)
            for (const std::string &url : splitList(*allowEndpoints)) {
                if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
                    return line.fail("--allow-endpoints takes URLs (http:// or https://), got '" + url + "'");
                config.allowedEndpoints.push_back(url);
            }
        if (listen) {
            auto where = parseListen(*listen);
            if (!where)
                return line.fail("--listen must be HOST:PORT (e.g. 127.0.0.1:8080), got '" + *listen + "'");
            config.host = where->first;
            config.port = where->second;
        }
        if (maxRequestMb)
            config.maxRequestBytes = static_cast<std::size_t>(*maxRequestMb * 1024.0 * 1024.0);
        if (httpThreads)
            config.httpThreads = static_cast<int>(*httpThreads);
        auto url = storeLocation(storePath.value_or(""));
        if (!url) {
            printError(url.error().message);
            return ExitLoad;
        }
        return serveApi(url.value(), config);
    }
    options.leaseSeconds = lease.value_or(30.0);
    options.pollSeconds = poll.value_or(2.0);
    options.threads = run.threads;
    if (runsAtOnce) {
        if (*runsAtOnce != static_cast<double>(static_cast<int>(*runsAtOnce)) || *runsAtOnce > 256)
            return line.fail("--runs takes a whole number from 1 to 256");
        options.runs = static_cast<int>(*runsAtOnce);
    }
    // One scheduler for every run of this worker: the study's max_concurrency
    // and rate limits of an endpoint are this worker's, not each run's.
    options.scheduler = std::make_shared<Scheduler>(1024);
    options.scheduler->keepFirstLimits();

    auto store = openRunStore(storePath.value_or(""));
    if (!store) {
        printError(store.error().message);
        return ExitLoad;
    }
    if (!store.value()->isDatabase()) {
        printError(store.value()->path()
                   + ": a worker needs a PostgreSQL store (--store postgresql://... or PRISM_STORE)");
        return ExitLoad;
    }
    const std::string me = runOwner();
    g_stopWorker.store(false);
    std::signal(SIGINT, onWorkerSignal);
    std::signal(SIGTERM, onWorkerSignal);
    std::fprintf(stderr, "worker %s: serving the queue of %s\n", me.c_str(), store.value()->path().c_str());
    auto jobs = CompareJobs::open(store.value()->location());
    if (!jobs) {
        printError(jobs.error().message);
        return ExitLoad;
    }
    serveQueue(store.value(), std::shared_ptr<CompareJobs>(std::move(jobs).value()), me, options);
    std::fprintf(stderr, "worker %s: stopped\n", me.c_str());
    return ExitOk;
}

} // namespace prism::cli
