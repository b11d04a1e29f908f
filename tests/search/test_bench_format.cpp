#include "sampler_bench.h"

#include "optimize/search/random_sampler.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace prism;
using namespace prism::bench;

namespace {

std::string writeTemp(const std::string &name, const std::string &text)
{
    const auto dir = std::filesystem::temp_directory_path() / "prism_test_bench_format";
    std::filesystem::create_directories(dir);
    const auto path = dir / name;
    std::ofstream(path) << text;
    return path.string();
}

const char *kTiny = R"({"name": "tiny", "dims": [2, 3], "base": 0.5,
  "main": [[0.0, 0.1], [0.0, 0.2, -0.1]],
  "pairs": [{"dims": [0, 1], "table": [[0, 0, 0], [0, 0.3, 0]]}], "noise_sd": 0.05})";

} // namespace

TEST(BenchObjective, TrueScoreAddsMainAndPairTermsAndClips)
{
    Result<CategoricalObjective> o = loadObjective(writeTemp("tiny.json", kTiny));
    ASSERT_TRUE(o.ok()) << o.error().message;
    EXPECT_DOUBLE_EQ(o->trueScore({0, 0}), 0.5);
    EXPECT_DOUBLE_EQ(o->trueScore({1, 1}), 1.0); // 0.5 + 0.1 + 0.2 + 0.3 = 1.1, clipped
    EXPECT_DOUBLE_EQ(o->optimum(), 1.0);
    EXPECT_EQ(o->configIndex({1, 2}), 5u);
}

TEST(BenchObjective, BadShapesNameTheFileAndKey)
{
    const std::string path = writeTemp("bad.json", R"({"name": "bad", "dims": [2, 3], "base": 0.5,
      "main": [[0.0, 0.1], [0.0, 0.2]], "noise_sd": 0.05})");
    Result<CategoricalObjective> o = loadObjective(path);
    ASSERT_FALSE(o.ok());
    EXPECT_NE(o.error().message.find(path), std::string::npos);
    EXPECT_NE(o.error().message.find("'main[1]' must be an array of 3 numbers"), std::string::npos)
        << o.error().message;
}

TEST(BenchFigures, JsonLineHasTheReadmeKeysInOrder)
{
    Result<CategoricalObjective> o = loadObjective(writeTemp("tiny.json", kTiny));
    ASSERT_TRUE(o.ok());
    BenchSettings settings;
    settings.seeds = 3;
    settings.trials = 10;
    settings.budgets = {5, 10};
    const SamplerFigures f = benchmarkSampler(
        *o, "random", [] { return std::unique_ptr<Sampler>(new RandomSampler()); }, settings);
    const std::string line = figuresJsonLine(f);
    EXPECT_EQ(
        line.rfind(R"({"objective": "tiny", "sampler": "random", "optimum": 1.0, "seeds": 3, "best_true": {"5": )", 0),
        0u)
        << line;
    const nlohmann::ordered_json j = nlohmann::ordered_json::parse(line);
    std::vector<std::string> keys;
    for (auto it = j.begin(); it != j.end(); ++it)
        keys.push_back(it.key());
    EXPECT_EQ(keys, (std::vector<std::string>{"objective", "sampler", "optimum", "seeds", "best_true", "rec_true",
                                              "ms_per_trial"}));
    // The recommendation was evaluated, so it cannot beat the best evaluated config.
    for (const char *b : {"5", "10"})
        EXPECT_LE(j["rec_true"][b].get<double>(), j["best_true"][b].get<double>());
    EXPECT_LE(j["best_true"]["5"].get<double>(), j["best_true"]["10"].get<double>());
}
