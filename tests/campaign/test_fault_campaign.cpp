// The fault campaign: MIPROv2 runs of the math sample against `prism simlm
// serve` injecting each fault kind alone at 30% of requests, then all kinds
// mixed at 30%, with the task model `sim-flaky` (which also garbles about 5%
// of its answers). Every fault kind the server injects (429, 500, 503, stall,
// truncated, malformed JSON, empty completion) is one the client retries, so
// every run must finish with the artifact of the fault-free run, the retries
// in its ledger. Garbled answers cannot be retried into sense: they must show
// up as per-example errors, never as silent scores of 0.
#include "campaign.h"

#include <chrono>

namespace prism::campaign {
namespace {

// The artifact without what names the server: each run has its own server
// port, which shows in the models' base_url and in the study hash.
std::string withoutEndpoint(const std::string &artifact)
{
    Json j = parseJson(artifact);
    if (!j.is_object() || !j.contains("prism"))
        return artifact;
    j["prism"]["study"].erase("hash");
    for (auto &model : j["prism"]["models"])
        model.erase("base_url");
    return j.dump(2);
}

struct CampaignRun {
    ChildResult result;
    Json summary;
    std::string artifact;
    std::string serverExit;
    double seconds = 0.0;
};

class FaultCampaign : public CampaignTest {
protected:
    // Retries wait up to 20 ms, not the default 0.5 s: the campaign tests
    // what is retried and what comes out, not how long a real API needs.
    CampaignRun optimize(const std::string &name, const std::vector<std::string> &serverFlags,
                         const Json &taskKeys = Json::object())
    {
        CampaignRun run;
        const fs::path runDir = dir / name;
        fs::create_directories(runDir);
        std::vector<std::string> flags = {"--seed", "1", "--stall-ms", "1500", "--retry-after", "0"};
        flags.insert(flags.end(), serverFlags.begin(), serverFlags.end());
        SimServerProcess server(runDir, flags);
        EXPECT_FALSE(server.url().empty()) << name;
        const std::string study =
            mathStudyAgainst(runDir, server.url(), "sim-flaky", 0.4, {{"retry_base_seconds", 0.02}});
        if (!taskKeys.empty()) {
            Json j = Json::parse(readAll(study));
            j["models"]["task"].update(taskKeys);
            std::ofstream(study) << j.dump(2);
        }
        const std::string out = (runDir / "artifact.json").string();
        const auto started = std::chrono::steady_clock::now();
        // Seed 1: MIPROv2 pays few evaluation calls on math (a perfect config
        // ends the search), and under seed 0 none of sim-flaky's garbled
        // answers is beyond the adapter's repair; under seed 1 one is, so the
        // error path is taken.
        run.result = runPrism(runDir, {"optimize", study, "--seed", "1", "--threads", "4", "--no-cache", "--store",
                                       store(), "--out", out, "--json"});
        run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        run.serverExit = server.stop();
        run.summary = parseJson(run.result.out);
        run.artifact = readAll(out);
        return run;
    }

    std::string store() const { return (dir / "runs.sqlite").string(); }

    // The per-example errors of a run: every errored example has no score and
    // says why. mentioning: count only errors whose text has this.
    long long exampleErrors(const std::string &runId, const std::string &mentioning = {})
    {
        auto opened = RunStore::open(store());
        EXPECT_TRUE(opened.ok());
        long long errors = 0;
        std::set<std::string> configs;
        const std::vector<TrialRecord> trials = opened.value()->trials(runId).value();
        for (const auto &trial : trials) {
            EXPECT_LE(trial.scored + trial.errors, trial.examples) << trial.trial;
            if (trial.errors > 0)
                configs.insert(trial.configKey);
        }
        for (const auto &config : configs) {
            const std::vector<ExampleResultRecord> results = opened.value()->exampleResults(runId, config).value();
            for (const auto &r : results)
                if (!r.error.empty()) {
                    EXPECT_FALSE(r.score.has_value()) << "an errored example was scored: " << r.error;
                    if (r.error.find(mentioning) != std::string::npos)
                        ++errors;
                }
        }
        return errors;
    }
};

TEST_F(FaultCampaign, EveryRetryableFaultIsSurvivedWithTheFaultFreeArtifact)
{
    const CampaignRun reference = optimize("reference", {});
    ASSERT_EQ(reference.result.exitCode, 0) << reference.result.err;
    ASSERT_EQ(reference.summary["stop_reason"], "completed");
    ASSERT_FALSE(reference.artifact.empty());
    const std::string referenceRun = reference.summary["run_id"].get<std::string>();
    const PaidCalls referenceCalls = paidCalls(store(), referenceRun);
    EXPECT_EQ(faultsInjected(reference.serverExit), 0);

    // sim-flaky's garbled answers are reported per example, not scored as 0.
    const long long garbled = exampleErrors(referenceRun);
    EXPECT_GT(garbled, 0) << "sim-flaky garbled no answer: the campaign would not test the error path";
    report("fault campaign: reference run " + std::to_string(referenceCalls.total) + " paid calls, "
           + std::to_string(garbled) + " garbled answers reported as example errors, "
           + std::to_string(reference.seconds) + " s");

    struct Case {
        std::string name;
        std::vector<std::string> flags;
    };
    std::vector<Case> cases;
    for (const char *kind : {"429", "500", "503", "stall", "truncated", "malformed", "empty"})
        cases.push_back({kind, {"--faults", std::string(kind) + ":0.3"}});
    cases.push_back({"mixed", {"--fault-rate", "0.3"}});

    long long injectedTotal = 0;
    for (const auto &c : cases) {
        SCOPED_TRACE(c.name);
        const CampaignRun run = optimize(c.name, c.flags);
        ASSERT_EQ(run.result.exitCode, 0) << run.result.err;
        EXPECT_EQ(run.summary["stop_reason"], "completed");
        const std::string runId = run.summary["run_id"].get<std::string>();
        const long long injected = faultsInjected(run.serverExit);
        const PaidCalls calls = paidCalls(store(), runId);
        injectedTotal += injected;
        EXPECT_GT(injected, 0) << run.serverExit;
        // Each injected fault cost one retry; none was given up on.
        EXPECT_EQ(calls.retries, injected) << run.serverExit;
        EXPECT_EQ(calls.failedForGood, 0u);
        EXPECT_EQ(calls.total, referenceCalls.total);
        EXPECT_EQ(calls.distinct, calls.total) << "a paid request was made twice";
        const bool same = withoutEndpoint(run.artifact) == withoutEndpoint(reference.artifact);
        EXPECT_TRUE(same) << "the artifact differs from the fault-free run's:\n" << run.artifact;
        EXPECT_EQ(exampleErrors(runId), garbled);
        report("fault campaign: " + c.name + " at 30%: " + std::to_string(injected) + " faults injected, "
               + std::to_string(calls.retries) + " retried, " + std::to_string(calls.failedForGood)
               + " failed for good, artifact " + (same ? "identical" : "DIFFERENT") + ", " + std::to_string(run.seconds)
               + " s");
    }
    report("fault campaign: " + std::to_string(cases.size()) + " faulted runs finished, "
           + std::to_string(injectedTotal) + " faults survived");
}

TEST_F(FaultCampaign, ACallThatFailsForGoodIsAnExampleErrorNeverAScore)
{
    // 5% of requests get a 500 and the task model may not retry
    // (max_retries 0): those calls fail for good. The run goes on; each such
    // call is an error of its example, with the server's reason, never a score.
    const CampaignRun run = optimize("no-retries", {"--faults", "500:0.05"}, {{"max_retries", 0}});
    ASSERT_EQ(run.result.exitCode, 0) << run.result.err;
    EXPECT_EQ(run.summary["stop_reason"], "completed");
    const std::string runId = run.summary["run_id"].get<std::string>();
    const PaidCalls calls = paidCalls(store(), runId);
    EXPECT_GT(calls.failedForGood, 0u) << run.serverExit;
    EXPECT_EQ(calls.retries, 0);
    // The example's error gives the server's reason and why it was not retried.
    const long long notRetried = exampleErrors(runId, "HTTP 500");
    EXPECT_GT(notRetried, 0);
    EXPECT_LE(notRetried, static_cast<long long>(calls.failedForGood));
    EXPECT_EQ(exampleErrors(runId, "(not retried: the model's max_retries is 0)"), notRetried);
    long long errorsByRole = 0;
    for (const auto &[role, totals] : run.summary["calls_by_role"].items())
        errorsByRole += totals["errors"].get<long long>();
    EXPECT_EQ(errorsByRole, static_cast<long long>(calls.failedForGood));
    report("fault campaign: 500 at 5% with no retries: " + std::to_string(calls.failedForGood)
           + " calls failed for good, " + std::to_string(notRetried) + " example errors naming HTTP 500, run "
           + run.summary["stop_reason"].get<std::string>());
}

TEST_F(FaultCampaign, AFaultThatCannotBeRetriedStopsTheRunWithItsReason)
{
    // The server refuses the key (401): no retry can help. The run must stop
    // with an error that says so, never finish with a score of 0.
    ::setenv("PRISM_CAMPAIGN_SERVER_KEY", "the-right-key", 1);
    ::setenv("PRISM_CAMPAIGN_CLIENT_KEY", "a-wrong-key", 1);
    SimServerProcess server(dir, {"--require-key-env", "PRISM_CAMPAIGN_SERVER_KEY"});
    ASSERT_FALSE(server.url().empty());
    const std::string studyPath = mathStudyAgainst(dir, server.url(), "sim-flaky", 0.4);
    Json study = Json::parse(readAll(studyPath));
    study["models"]["task"]["api_key_env"] = "PRISM_CAMPAIGN_CLIENT_KEY";
    study["models"]["proposer"]["api_key_env"] = "PRISM_CAMPAIGN_CLIENT_KEY";
    std::ofstream(studyPath) << study.dump(2);
    const std::string out = (dir / "artifact.json").string();
    const ChildResult run =
        runPrism(dir, {"optimize", studyPath, "--seed", "0", "--no-cache", "--store", store(), "--out", out, "--json"});
    EXPECT_NE(run.exitCode, 0);
    EXPECT_NE(run.err.find("401"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("PRISM_CAMPAIGN_CLIENT_KEY"), std::string::npos)
        << "the error should name the key variable: " << run.err;
    EXPECT_EQ(run.err.find("a-wrong-key"), std::string::npos) << "the key itself must never be printed";
    EXPECT_FALSE(fs::exists(out)) << "a run that never got an answer wrote an artifact";
    const Json summary = parseJson(run.out);
    if (summary.is_object() && summary.contains("status")) {
        EXPECT_NE(summary["status"], "finished");
    }
    if (summary.is_object() && summary.contains("best_score")) {
        EXPECT_TRUE(summary["best_score"].is_null()) << "a failed run reported a score: " << run.out;
    }
}

} // namespace
} // namespace prism::campaign
