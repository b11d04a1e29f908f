// prism serve --worker: works through the run queue of a PostgreSQL store.
#include "cli.h"
#include "options.h"

#include "run/run_controller.h"
#include "run/run_store.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

namespace prism::cli {

std::string serveUsage()
{
    return "usage: prism serve --worker [--store URL] [--lease-seconds S] [--poll-seconds S]\n"
           "                    [--threads N] [--exit-when-idle] [--verbose]\n"
           "\n"
           "A worker of a team's run queue: takes the oldest queued run of the PostgreSQL\n"
           "store (`prism optimize --queue` puts runs there), runs it, and takes the next.\n"
           "Any number of workers on any number of machines may share one store: a run is\n"
           "leased to one worker at a time and the lease is renewed while it runs. A run\n"
           "whose worker died (its lease ran out) is taken by another worker and resumed\n"
           "from its call journal, so no model call it paid for is paid again.\n"
           "Provider keys are the worker's environment variables. The data files of a\n"
           "study are read from the paths it was queued with.\n"
           "\n"
           "  --worker            run queued runs (the only mode of `prism serve` so far)\n"
           "  --store URL         the store (default: $PRISM_STORE); a postgresql:// URL\n"
           "  --lease-seconds S   how long a claim holds without renewal (default 30; renewed\n"
           "                      every S/3 seconds)\n"
           "  --poll-seconds S    how often an idle worker looks for work (default 2)\n"
           "  --threads N         threads per run (default: the run's own)\n"
           "  --exit-when-idle    stop when no run is queued or leased (scripts, tests)\n"
           "\n"
           "Ctrl-C or SIGTERM: the run under way stops and goes back to the queue, where\n"
           "the next worker resumes it.\n";
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
};

// Renews the lease every third of it while the run goes on. A worker that
// cannot renew in time has lost the run to another worker: it stops at once,
// writing nothing more, so two workers never write one run.
class LeaseKeeper {
public:
    LeaseKeeper(std::shared_ptr<RunStore> store, std::string runId, std::string worker, double leaseSeconds)
        : m_store(std::move(store)), m_runId(std::move(runId)), m_worker(std::move(worker)), m_lease(leaseSeconds),
          m_thread([this] { keep(); })
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
            auto renewed = m_store->renewLease(m_runId, m_worker, m_lease);
            if (renewed && renewed.value()) {
                lastRenewed = std::chrono::steady_clock::now();
                continue;
            }
            const bool lost = renewed.ok(); // the row says another worker has it
            const double since = std::chrono::duration<double>(std::chrono::steady_clock::now() - lastRenewed).count();
            if (lost || since >= m_lease) {
                std::fprintf(stderr, "prism: error: worker %s lost the lease on run %s (%s); stopping at once\n",
                             m_worker.c_str(), m_runId.c_str(),
                             lost ? "another worker took it" : renewed.error().message.c_str());
                std::fflush(stderr);
                std::_Exit(ExitStoppedEarly);
            }
            spdlog::warn("run {}: the lease was not renewed ({}); trying again", m_runId, renewed.error().message);
        }
    }

    std::shared_ptr<RunStore> m_store;
    std::string m_runId, m_worker;
    double m_lease;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_done = false;
    std::thread m_thread;
};

// Runs one claimed run to its end (or to a stop); says what became of it.
void workOn(const std::shared_ptr<RunStore> &store, const std::string &runId, const std::string &worker,
            const WorkerOptions &options)
{
    std::fprintf(stderr, "worker %s: run %s\n", worker.c_str(), runId.c_str());
    // Stopped (reset) before the run leaves the queue: a renewal after the
    // release would find no lease and take the worker down.
    std::optional<LeaseKeeper> lease;
    lease.emplace(store, runId, worker, options.leaseSeconds);
    RunController controller(store);
    controller.setMetricFactory(studyMetric);
    ResumeSettings settings;
    settings.threads = options.threads;
    settings.claimed = true;
    auto started = controller.resume(runId, settings);
    if (!started) {
        // A run that cannot start here would fail on every worker: it ends.
        printError("run " + runId + ": " + started.error().message);
        (void)store->setStatus(runId, RunStatus::Failed, StopReason::error(started.error().message));
        lease.reset();
        (void)store->releaseRun(runId, worker, true);
        return;
    }
    while (controller.running()) {
        if (g_stopWorker.load())
            controller.cancel();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const RunOutcome outcome = controller.wait();
    // Stopped for a shutdown: back to the queue, resumed by the next worker.
    const bool handBack = g_stopWorker.load();
    lease.reset();
    if (auto released = store->releaseRun(runId, worker, !handBack); !released)
        printError(released.error().message);
    std::fprintf(stderr, "worker %s: run %s %s (%s)\n", worker.c_str(), runId.c_str(),
                 handBack ? "goes back to the queue" : "ended", outcome.stopReason.text().c_str());
}

} // namespace

int runServeCommand(const std::vector<std::string> &args)
{
    bool worker = false;
    std::optional<std::string> storePath;
    std::optional<double> lease, poll;
    RunFlags run;
    WorkerOptions options;
    bool verbose = false;
    CommandLine line("serve", serveUsage());
    line.flag("--worker", worker);
    line.text("--store", storePath);
    line.positiveNumber("--lease-seconds", lease);
    line.positiveNumber("--poll-seconds", poll);
    addRunFlags(line, run, ThreadsFlag);
    line.flag("--exit-when-idle", options.exitWhenIdle);
    line.flag("--verbose", verbose);
    if (auto stop = line.parse(args))
        return *stop;
    if (!worker)
        return line.fail("serve needs --worker: a worker of the run queue is the one mode so far");
    setupLogging(verbose);
    options.leaseSeconds = lease.value_or(30.0);
    options.pollSeconds = poll.value_or(2.0);
    options.threads = run.threads;

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
    while (!g_stopWorker.load()) {
        auto claimed = store.value()->claimRun(me, options.leaseSeconds);
        if (claimed && claimed.value()) {
            workOn(store.value(), *claimed.value(), me, options);
            continue;
        }
        if (!claimed) // the database is away: try again later
            printError(claimed.error().message);
        else if (options.exitWhenIdle) {
            auto waiting = store.value()->queueLength();
            if (waiting && waiting.value() == 0)
                break;
        }
        for (double slept = 0; slept < options.pollSeconds && !g_stopWorker.load(); slept += 0.05)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::fprintf(stderr, "worker %s: stopped\n", me.c_str());
    return ExitOk;
}

} // namespace prism::cli
