// A full disk and a read-only data directory, as `prism optimize` meets them:
// the built binary runs under tests/support/fsfault.c (LD_PRELOAD), which
// makes one directory full or read-only for that process (we run as root,
// where chmod would not stop a write). Each case checks the message a user
// reads and that nothing already stored is lost.
#include "campaign.h"

#include <map>

namespace prism::campaign {
namespace {

const std::string kStudy = PRISM_SAMPLES_DIR "/math/math.prism.json";

std::size_t occurrences(const std::string &text, const std::string &what)
{
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

class StorageFaults : public CampaignTest {
protected:
    fs::path store() const { return dir / "store" / "runs.sqlite"; }

    void SetUp() override
    {
        CampaignTest::SetUp();
        fs::create_directories(dir / "store");
        fs::create_directories(dir / "data");
    }

    // `prism args...` with `fault` directory full (budget bytes) or read-only.
    ChildResult prismUnder(const std::string &mode, const fs::path &faulty, long long budget,
                           const std::vector<std::string> &args)
    {
        const std::map<std::string, std::string> env = {
            {"LD_PRELOAD", PRISM_FSFAULT_LIBRARY},
            {"PRISM_FSFAULT_MODE", mode},
            {"PRISM_FSFAULT_DIR", faulty.string()},
            {"PRISM_FSFAULT_BYTES", std::to_string(budget)},
            // A sanitizer build must accept a preloaded library ahead of its runtime.
            {"ASAN_OPTIONS",
             std::string(std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "") + ":verify_asan_link_order=0"},
        };
        for (const auto &[k, v] : env)
            ::setenv(k.c_str(), v.c_str(), 1);
        ChildResult r = runPrism(dir, args);
        for (const auto &[k, v] : env)
            ::unsetenv(k.c_str());
        return r;
    }

    std::vector<std::string> optimize(const fs::path &out) const
    {
        return {"optimize", kStudy, "--seed", "0", "--store", store().string(), "--out", out.string(), "--quiet"};
    }

    std::string onlyRun(const std::string &except = {})
    {
        auto opened = RunStore::open(store().string());
        const std::vector<RunRecord> runs = opened.value()->listRuns().value();
        for (const auto &run : runs)
            if (run.id != except)
                return run.id;
        return {};
    }
};

TEST_F(StorageFaults, ADiskThatFillsMidRunStopsItLosingNothingAndItResumesOnceThereIsSpace)
{
    const fs::path first = dir / "first.json";
    const ChildResult ok = runPrism(dir, optimize(first));
    ASSERT_EQ(ok.exitCode, 0) << ok.err;
    const std::string firstRun = onlyRun();
    const std::string firstArtifact = readAll(first);

    const fs::path second = dir / "second.json";
    const ChildResult full = prismUnder("full", dir / "store", 150000, optimize(second));
    EXPECT_NE(full.exitCode, 0);
    EXPECT_NE(full.err.find(store().string() + ": run store"), std::string::npos) << full.err;
    EXPECT_NE(full.err.find("database or disk is full"), std::string::npos) << full.err;
    const std::string secondRun = onlyRun(firstRun);
    ASSERT_FALSE(secondRun.empty());
    EXPECT_NE(full.err.find("`prism resume " + secondRun + "`"), std::string::npos) << full.err;
    EXPECT_FALSE(fs::exists(second));

    // Nothing stored before is lost, and the store is sound.
    EXPECT_EQ(integrityCheck(store().string()), "ok");
    auto opened = RunStore::open(store().string());
    EXPECT_EQ(opened.value()->loadRun(firstRun)->status, prism::RunStatus::Finished);
    EXPECT_EQ(opened.value()->artifact(firstRun).value(), firstArtifact);

    // With space again the stopped run resumes to what an uninterrupted run gives.
    const ChildResult resumed =
        runPrism(dir, {"resume", secondRun, "--store", store().string(), "--out", second.string(), "--quiet"});
    ASSERT_EQ(resumed.exitCode, 0) << resumed.err;
    EXPECT_EQ(readAll(second), firstArtifact);
}

TEST_F(StorageFaults, AnArtifactThatCannotBeWrittenLeavesThePreviousFileAndSaysHowToExport)
{
    fs::create_directories(dir / "out");
    const fs::path out = dir / "out" / "program.json";
    for (const std::string mode : {"readonly", "full"}) {
        SCOPED_TRACE(mode);
        std::ofstream(out) << "{\"previous\": true}\n";
        const ChildResult r = prismUnder(mode, dir / "out", 0, optimize(out));
        EXPECT_NE(r.exitCode, 0);
        EXPECT_NE(r.err.find("the artifact could not be written: " + out.string()), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(mode == "full" ? "No space left on device" : "Read-only file system"), std::string::npos)
            << r.err;
        EXPECT_EQ(readAll(out), "{\"previous\": true}\n");
        std::size_t files = 0;
        for ([[maybe_unused]] const auto &entry : fs::directory_iterator(dir / "out"))
            ++files;
        EXPECT_EQ(files, 1u) << "a temporary file was left behind";
        // The run itself is stored: the export the message names writes it.
        const auto at = r.err.find("`prism export ");
        ASSERT_NE(at, std::string::npos) << r.err;
        const std::string runId = r.err.substr(at + 14, r.err.find(' ', at + 14) - (at + 14));
        const fs::path exported = dir / ("exported-" + mode + ".json");
        const ChildResult ex =
            runPrism(dir, {"export", runId, "--store", store().string(), "--out", exported.string()});
        ASSERT_EQ(ex.exitCode, 0) << ex.err;
        EXPECT_NE(readAll(exported).find("\"signature\""), std::string::npos);
    }
}

TEST_F(StorageFaults, AReadOnlyDataDirectoryIsNamedOrWorkedAround)
{
    // The default store lives in the data directory: that cannot work, and the message says what to do.
    const fs::path readOnlyData = dir / "readonly-data";
    ::setenv("PRISM_DATA_DIR", readOnlyData.c_str(), 1);
    const ChildResult noStore = prismUnder("readonly", readOnlyData, 0, {"optimize", kStudy, "--seed", "0", "--quiet"});
    EXPECT_NE(noStore.exitCode, 0);
    EXPECT_NE(noStore.err.find(readOnlyData.string()), std::string::npos) << noStore.err;
    EXPECT_NE(noStore.err.find("set PRISM_DATA_DIR to a writable directory"), std::string::npos) << noStore.err;

    // With the store elsewhere the run goes on without the response cache, and says so.
    const fs::path data = dir / "data";
    ::setenv("PRISM_DATA_DIR", data.c_str(), 1);
    const fs::path reference = dir / "reference.json";
    ASSERT_EQ(runPrism(dir, optimize(reference)).exitCode, 0);
    const fs::path out = dir / "out.json";
    const ChildResult r = prismUnder("readonly", data, 0, optimize(out));
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_NE(r.err.find("running without the response cache"), std::string::npos) << r.err;
    EXPECT_EQ(readAll(out), readAll(reference));
}

TEST_F(StorageFaults, AFullDiskUnderTheCacheWarnsOnceAndTheRunGoesOn)
{
    const fs::path data = dir / "fresh-data";
    ::setenv("PRISM_DATA_DIR", data.c_str(), 1);
    const fs::path reference = dir / "reference.json";
    ASSERT_EQ(runPrism(dir, {"optimize", kStudy, "--seed", "0", "--no-cache", "--store", store().string(), "--out",
                             reference.string(), "--quiet"})
                  .exitCode,
              0);
    fs::remove_all(data);
    const fs::path out = dir / "out.json";
    const ChildResult r = prismUnder("full", data, 60000, optimize(out));
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_EQ(occurrences(r.err, "cache.sqlite: response cache write failed: database or disk is full"), 1u) << r.err;
    EXPECT_NE(r.err.find("answers are not cached from here on, the run goes on"), std::string::npos) << r.err;
    EXPECT_EQ(readAll(out), readAll(reference));
}

} // namespace
} // namespace prism::campaign
