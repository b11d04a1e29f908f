#pragma once

// The sampler benchmark of bench/objectives/README.md: noisy categorical
// objectives shaped like MIPROv2's search space, and the figures that compare
// samplers on them. Shared by prism_bench_samplers and its unit test.

#include "core/result.h"
#include "optimize/search/sampler.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace prism::bench {

// true(x) = clip(base + sum_d main[d][x_d] + sum_p pairs[p].table[x_i][x_j], 0, 1)
struct CategoricalObjective {
    struct Pair {
        int first = 0;
        int second = 0;
        std::vector<std::vector<double>> table; // [x_first][x_second]
    };
    std::string name;
    std::string description;
    std::vector<int> dims;
    double base = 0.0;
    std::vector<std::vector<double>> main;
    std::vector<Pair> pairs;
    double noiseSd = 0.0;

    SearchSpace space() const;
    double trueScore(const Config &config) const;
    // Exhaustive: the spaces are small.
    double optimum() const;
    // Mixed-radix index of a config, 0 .. product(dims) - 1.
    std::uint64_t configIndex(const Config &config) const;
};

// Checks every shape (a main row per dimension of the right length, pair
// tables of dims[i] x dims[j]); errors name the file and the key.
Result<CategoricalObjective> loadObjective(const std::string &path);
// Every *.json of a directory, in file-name order.
Result<std::vector<CategoricalObjective>> loadObjectives(const std::string &directory);

struct BenchSettings {
    int trials = 80;
    int seeds = 50; // seeds firstSeed .. firstSeed + seeds - 1
    int firstSeed = 0;
    std::vector<int> budgets = {5, 10, 20, 40, 80};
};

// Means over seeds, one entry per budget.
struct SamplerFigures {
    std::string objective;
    std::string sampler;
    double optimum = 0.0;
    int seeds = 0;
    std::vector<int> budgets;
    std::vector<double> bestTrue; // best true score among the configs evaluated so far
    std::vector<double> recTrue;  // true score of the config with the best mean observation
    double msPerTrial = 0.0;      // the sampler's own ask + tell time
};

using SamplerFactory = std::function<std::unique_ptr<Sampler>()>;

// Runs `settings.seeds` independent searches. The noise of the k-th
// observation of a config depends only on (seed, config, k), so every sampler
// meets the same noise for the same choices (common random numbers).
SamplerFigures benchmarkSampler(const CategoricalObjective &objective, const std::string &samplerName,
                                const SamplerFactory &factory, const BenchSettings &settings);

struct NamedSampler {
    std::string name;
    SamplerFactory factory;
};
// The samplers the benchmark reports: "random", "tpe" (Prism's defaults) and
// "tpe-optuna-defaults" (the same TPE with Optuna's settings, to show what
// Prism's additions change).
std::vector<NamedSampler> benchmarkedSamplers();

// The "done when": TPE's rec_true at least Random's at every budget
// >= minBudget. Returns one message per violation (empty = holds).
std::vector<std::string> recTrueShortfalls(const SamplerFigures &random, const SamplerFigures &tpe, int minBudget = 20);

// One line of the README's format:
// {"objective", "sampler", "optimum", "seeds", "best_true": {"5": ...}, "rec_true": {...}, "ms_per_trial"}
std::string figuresJsonLine(const SamplerFigures &figures);

} // namespace prism::bench
