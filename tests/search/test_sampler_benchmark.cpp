#include "sampler_bench.h"

#include <gtest/gtest.h>

#include <filesystem>

using namespace prism;
using namespace prism::bench;

TEST(SamplerBenchmark, TpeRecommendsAtLeastAsWellAsRandomOnStructuredObjectives)
{
    const std::string dir = std::string(PRISM_SHARED_DIR) + "/bench/objectives";
    if (!std::filesystem::is_directory(dir))
        GTEST_SKIP() << "no benchmark objectives at " << dir;
    Result<std::vector<CategoricalObjective>> objectives = loadObjectives(dir);
    ASSERT_TRUE(objectives.ok()) << objectives.error().message;
    ASSERT_GE(objectives->size(), 5u);

    const BenchSettings settings; // 80 trials, 50 seeds: the figures of docs/BENCHMARKS.md
    const std::vector<NamedSampler> samplers = benchmarkedSamplers();
    ASSERT_GE(samplers.size(), 2u);
    ASSERT_EQ(samplers[0].name, "random");
    ASSERT_EQ(samplers[1].name, "tpe");
    for (const CategoricalObjective &objective : *objectives) {
        if (objective.name == "unstructured")
            continue; // no structure to learn: the issue exempts it
        const SamplerFigures random = benchmarkSampler(objective, "random", samplers[0].factory, settings);
        const SamplerFigures tpe = benchmarkSampler(objective, "tpe", samplers[1].factory, settings);
        for (const std::string &shortfall : recTrueShortfalls(random, tpe))
            ADD_FAILURE() << shortfall;
    }
}
