// Pins what every optimizer produces on every sample: the artifact byte for
// byte, and the exported event log apart from times and run ids. A refactor of
// the run machinery must leave both unchanged; a deliberate change of results
// regenerates the pins with PRISM_UPDATE_PINS=1 and shows up in review as a
// diff of tests/data/pins/.
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

const fs::path kPinsDir = PRISM_TEST_DATA_DIR "/pins";

struct PinCase {
    std::string sample;
    std::string optimizer; // labeled | bootstrap | miprov2 | random_search | gepa
    std::string autoLevel; // light | medium, for miprov2 and gepa
    std::string name() const { return sample + "-" + optimizer + (autoLevel.empty() ? "" : "-" + autoLevel); }
};

std::string readAll(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void writeAll(const fs::path &path, const std::string &text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

// Wall-clock readings and run ids differ from run to run; everything else in an
// event (its order, type, numbers and texts) is deterministic for a seed.
void dropVolatile(nlohmann::json &value)
{
    if (value.is_object()) {
        for (const char *key :
             {"elapsed", "run_id", "started_at", "finished_at", "wall_seconds", "seconds", "latency_ms", "created_at"})
            value.erase(key);
        for (auto &[key, item] : value.items())
            dropVolatile(item);
    } else if (value.is_array()) {
        for (auto &item : value)
            dropVolatile(item);
    }
}

std::string normalizedEvents(const std::string &jsonl)
{
    std::istringstream in(jsonl);
    std::string line;
    std::string out;
    while (std::getline(in, line)) {
        if (line.empty())
            continue;
        auto event = nlohmann::json::parse(line);
        dropVolatile(event);
        out += event.dump() + "\n";
    }
    return out;
}

std::string quoted(const std::string &arg)
{
    std::string out = "'";
    for (char c : arg)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

class Pins : public ::testing::TestWithParam<PinCase> {};

TEST_P(Pins, ArtifactAndEventsMatchThePin)
{
    const PinCase pin = GetParam();
    const fs::path dir = fs::temp_directory_path() / ("prism-pins-" + std::to_string(::getpid()) + "-" + pin.name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path artifact = dir / "artifact.json";
    const fs::path events = dir / "events.jsonl";

    std::string cmd =
        "PRISM_DATA_DIR=" + quoted((dir / "data").string()) + " " + quoted(PRISM_CLI_BINARY) + " optimize "
        + quoted(std::string(PRISM_SAMPLES_DIR) + "/" + pin.sample + "/" + pin.sample + ".prism.json") + " --optimizer "
        + pin.optimizer + " --seed 0 --threads 4 --quiet" + " --store " + quoted((dir / "runs.sqlite").string())
        + " --out " + quoted(artifact.string()) + " --events " + quoted(events.string());
    if (!pin.autoLevel.empty())
        cmd += " --auto " + pin.autoLevel;
    cmd += " >" + quoted((dir / "stdout.txt").string()) + " 2>" + quoted((dir / "stderr.txt").string());
    const int status = std::system(cmd.c_str());
    ASSERT_EQ(status, 0) << cmd << "\n" << readAll(dir / "stderr.txt");

    const std::string gotArtifact = readAll(artifact);
    const std::string gotEvents = normalizedEvents(readAll(events));
    const fs::path pinArtifact = kPinsDir / (pin.name() + ".artifact.json");
    const fs::path pinEvents = kPinsDir / (pin.name() + ".events.jsonl");
    if (const char *update = std::getenv("PRISM_UPDATE_PINS"); update && std::string(update) == "1") {
        writeAll(pinArtifact, gotArtifact);
        writeAll(pinEvents, gotEvents);
    }
    ASSERT_TRUE(fs::exists(pinArtifact)) << pinArtifact << " is missing: run with PRISM_UPDATE_PINS=1 to create it";
    EXPECT_EQ(gotArtifact, readAll(pinArtifact)) << "the artifact of " << pin.name() << " changed (" << artifact << ")";
    EXPECT_EQ(gotEvents, readAll(pinEvents)) << "the event log of " << pin.name() << " changed (" << events << ")";
    if (!::testing::Test::HasFailure())
        fs::remove_all(dir);
}

std::vector<PinCase> allCases()
{
    std::vector<PinCase> cases;
    for (const char *sample : {"moderation", "qa", "math"}) {
        cases.push_back({sample, "labeled", ""});
        cases.push_back({sample, "bootstrap", ""});
        cases.push_back({sample, "miprov2", "light"});
        cases.push_back({sample, "miprov2", "medium"});
    }
    // Random search on the sample where a shuffled bootstrap wins.
    cases.push_back({"moderation", "random_search", ""});
    // GEPA where its pick among candidates tied on validation decides the test score.
    cases.push_back({"moderation", "gepa", "light"});
    // A two-stage pipeline: demo sets and instructions for both stages, keyed find and rate.predict.
    cases.push_back({"moderation_pipeline", "miprov2", "light"});
    // A pipeline whose first stage writes free text the second reads (no label in between).
    cases.push_back({"qa_pipeline", "miprov2", "light"});
    return cases;
}

INSTANTIATE_TEST_SUITE_P(EverySampleAndOptimizer, Pins, ::testing::ValuesIn(allCases()),
                         [](const ::testing::TestParamInfo<PinCase> &info) {
                             std::string name = info.param.name();
                             for (char &c : name)
                                 if (c == '-')
                                     c = '_';
                             return name;
                         });

} // namespace
