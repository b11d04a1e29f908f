// The crash campaign: a MIPROv2 run of the math sample against `prism simlm
// serve`, SIGKILLed at 20 random moments (chosen by how far its event log has
// got, plus a random sub-millisecond delay, so kills land early, mid-search,
// during full evaluations and while writing), each then resumed. Every resumed
// run must end with the uninterrupted run's artifact, byte for byte; the run
// store must pass SQLite's integrity check; and no paid request may appear
// twice in the ledger. Every fifth case kills the resume as well.
#include "campaign.h"

#include <chrono>
#include <random>
#include <thread>

namespace prism::campaign {
namespace {

std::size_t lineCount(const fs::path &path)
{
    const std::string text = readAll(path);
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Starts `prism args...` and SIGKILLs it once `events` has at least `lines`
// lines plus `delayUs`. Returns false when the process ended by itself first.
bool killAt(const std::vector<std::string> &args, const fs::path &events, std::size_t lines, int delayUs)
{
    const pid_t pid = spawnPrism(args);
    int status = 0;
    for (;;) {
        if (::waitpid(pid, &status, WNOHANG) == pid)
            return false;
        if (lineCount(events) >= lines)
            break;
        std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delayUs));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return WIFSIGNALED(status);
}

class CrashCampaign : public CampaignTest {};

TEST_F(CrashCampaign, KilledRunsResumeToTheSameArtifactWithoutRepeatingAPaidCall)
{
    int kills = 20;
    if (const char *n = std::getenv("PRISM_CRASH_KILLS"))
        kills = std::max(1, std::atoi(n));
    SimServerProcess server(dir, {"--latency-ms", "4"});
    ASSERT_FALSE(server.url().empty());
    const std::string study = mathStudyAgainst(dir, server.url(), "sim-small", 30);
    const std::string store = (dir / "runs.sqlite").string();
    const std::vector<std::string> common = {"--seed", "0", "--threads", "4", "--no-cache", "--store", store};

    auto optimizeArgs = [&](const fs::path &events) {
        std::vector<std::string> args = {"optimize", study};
        args.insert(args.end(), common.begin(), common.end());
        args.insert(args.end(), {"--events", events.string(), "--quiet"});
        return args;
    };

    // The uninterrupted reference.
    const fs::path referenceEvents = dir / "reference.jsonl";
    const std::string referenceArtifact = (dir / "reference.json").string();
    std::vector<std::string> args = optimizeArgs(referenceEvents);
    args.insert(args.end(), {"--out", referenceArtifact, "--json"});
    const ChildResult ref = runPrism(dir, args);
    ASSERT_EQ(ref.exitCode, 0) << ref.err;
    const std::string referenceRun = parseJson(ref.out)["run_id"].get<std::string>();
    const std::size_t referenceLines = lineCount(referenceEvents);
    const PaidCalls referenceCalls = paidCalls(store, referenceRun);
    ASSERT_GT(referenceLines, 10u);
    std::set<std::string> knownRuns = {referenceRun};

    auto finishedInStore = [&](const std::string &runId) {
        auto opened = RunStore::open(store);
        return opened.ok() && opened.value()->loadRun(runId)->status == RunStatus::Finished;
    };
    auto storedArtifact = [&](const std::string &runId) {
        auto opened = RunStore::open(store);
        auto artifact = opened.value()->artifact(runId);
        return artifact.ok() ? artifact.value() : std::string();
    };
    auto newRunId = [&]() {
        auto opened = RunStore::open(store);
        std::string id;
        const std::vector<RunRecord> runs = opened.value()->listRuns().value();
        for (const auto &run : runs)
            if (!knownRuns.count(run.id))
                id = run.id;
        knownRuns.insert(id);
        return id;
    };

    std::mt19937_64 rng(20261122);
    std::uniform_int_distribution<std::size_t> moment(1, referenceLines - 1);
    std::uniform_int_distribution<int> delay(0, 999);
    int killed = 0, doubleKilled = 0, equal = 0, integrityOk = 0, repeated = 0;
    for (int i = 0; i < kills; ++i) {
        const std::size_t at = moment(rng);
        SCOPED_TRACE("kill " + std::to_string(i) + " after event " + std::to_string(at));
        const fs::path events = dir / ("killed-" + std::to_string(i) + ".jsonl");
        if (!killAt(optimizeArgs(events), events, at, delay(rng)))
            continue; // it finished first: not a crash case
        ++killed;
        const std::string runId = newRunId();
        ASSERT_FALSE(runId.empty());
        EXPECT_EQ(integrityCheck(store), "ok") << "right after the kill";

        const std::string artifact = (dir / ("resumed-" + std::to_string(i) + ".json")).string();
        const std::vector<std::string> resumeArgs = {"resume", runId, "--store", store, "--out", artifact, "--json"};
        bool resumeNeeded = true;
        if (i % 5 == 4) {
            // Kill the resume too, somewhere after it has replayed the journal.
            const fs::path resumeEvents = dir / ("resume-killed-" + std::to_string(i) + ".jsonl");
            const std::vector<std::string> again = {
                "resume", runId, "--store", store, "--out", artifact, "--events", resumeEvents.string(), "--quiet"};
            const std::size_t resumeAt = std::min(referenceLines - 1, at + 1 + moment(rng) % (referenceLines - at));
            if (killAt(again, resumeEvents, resumeAt, delay(rng)))
                ++doubleKilled;
            else
                resumeNeeded = false; // the resume finished before its kill
            EXPECT_EQ(integrityCheck(store), "ok") << "right after killing the resume";
        }
        std::string result;
        if (resumeNeeded && finishedInStore(runId)) {
            // Killed after the run was stored as finished, before the CLI wrote
            // --out: the store has the artifact (`prism export` writes it).
            result = storedArtifact(runId);
        } else if (resumeNeeded) {
            const ChildResult resumed = runPrism(dir, resumeArgs);
            ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
            EXPECT_EQ(parseJson(resumed.out)["stop_reason"], "completed");
            result = readAll(artifact);
        } else {
            result = readAll(artifact);
        }
        const bool same = result == readAll(referenceArtifact);
        EXPECT_TRUE(same) << "the resumed artifact differs from the uninterrupted one";
        equal += same ? 1 : 0;
        const std::string integrity = integrityCheck(store);
        EXPECT_EQ(integrity, "ok");
        integrityOk += integrity == "ok" ? 1 : 0;
        const PaidCalls calls = paidCalls(store, runId);
        EXPECT_EQ(calls.distinct, calls.total) << "a paid request was made twice";
        EXPECT_EQ(calls.total, referenceCalls.total);
        repeated += static_cast<int>(calls.total - calls.distinct);
    }
    EXPECT_GE(killed, kills / 2) << "most runs finished before their kill: the moments are not spread over the run";
    report("crash campaign: " + std::to_string(killed) + " runs SIGKILLed (" + std::to_string(doubleKilled)
           + " resumes killed again), " + std::to_string(killed) + " resumed, " + std::to_string(equal)
           + " artifacts identical to the uninterrupted run, " + std::to_string(integrityOk) + " integrity checks ok, "
           + std::to_string(repeated) + " paid calls repeated; reference " + std::to_string(referenceCalls.total)
           + " paid calls, " + std::to_string(referenceLines) + " events");
}

} // namespace
} // namespace prism::campaign
