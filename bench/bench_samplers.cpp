// prism_bench_samplers [OBJECTIVES_DIR] [--trials N] [--seeds N] [--first-seed N] [--check]
//
// Runs every sampler on every objective of OBJECTIVES_DIR and prints one JSON
// line per (objective, sampler), as bench/objectives/README.md describes.
// --check also verifies that TPE's rec_true is at least Random's at every
// budget from 20 trials on, for every objective but "unstructured", and exits
// with status 1 if not.

#include "sampler_bench.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

using namespace prism;
using namespace prism::bench;

namespace {

bool parsePositive(const char *text, int &out)
{
    char *end = nullptr;
    const long v = std::strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < 1 || v > 1000000)
        return false;
    out = static_cast<int>(v);
    return true;
}

int usage()
{
    std::fprintf(stderr,
                 "usage: prism_bench_samplers [OBJECTIVES_DIR] [--trials N] [--seeds N] [--first-seed N] [--check]\n");
    return 2;
}

} // namespace

int main(int argc, char **argv)
{
    std::string directory = PRISM_BENCH_OBJECTIVES_DIR;
    BenchSettings settings;
    bool check = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--check") {
            check = true;
        } else if (arg == "--first-seed") {
            int value = 0;
            if (i + 1 >= argc || (std::string(argv[i + 1]) != "0" && !parsePositive(argv[i + 1], value))) {
                std::fprintf(stderr, "prism_bench_samplers: --first-seed needs an integer >= 0\n");
                return usage();
            }
            settings.firstSeed = value;
            ++i;
        } else if (arg == "--trials" || arg == "--seeds") {
            int value = 0;
            if (i + 1 >= argc || !parsePositive(argv[i + 1], value)) {
                std::fprintf(stderr, "prism_bench_samplers: %s needs a positive integer\n", arg.c_str());
                return usage();
            }
            (arg == "--trials" ? settings.trials : settings.seeds) = value;
            ++i;
        } else if (arg.starts_with("--")) {
            std::fprintf(stderr, "prism_bench_samplers: unknown option %s\n", arg.c_str());
            return usage();
        } else {
            directory = arg;
        }
    }
    std::erase_if(settings.budgets, [&](int b) { return b > settings.trials; });
    if (settings.budgets.empty() || settings.budgets.back() != settings.trials)
        settings.budgets.push_back(settings.trials);

    Result<std::vector<CategoricalObjective>> objectives = loadObjectives(directory);
    if (!objectives) {
        std::fprintf(stderr, "prism_bench_samplers: %s\n", objectives.error().message.c_str());
        return 1;
    }

    int shortfalls = 0;
    for (const CategoricalObjective &objective : *objectives) {
        std::map<std::string, SamplerFigures> bySampler;
        for (const NamedSampler &s : benchmarkedSamplers()) {
            SamplerFigures f = benchmarkSampler(objective, s.name, s.factory, settings);
            std::printf("%s\n", figuresJsonLine(f).c_str());
            std::fflush(stdout);
            bySampler.emplace(s.name, std::move(f));
        }
        if (check && objective.name != "unstructured") {
            for (const std::string &m : recTrueShortfalls(bySampler.at("random"), bySampler.at("tpe"))) {
                std::fprintf(stderr, "check failed: %s\n", m.c_str());
                ++shortfalls;
            }
        }
    }
    if (check)
        std::fprintf(stderr,
                     shortfalls == 0 ? "check passed: TPE rec_true >= Random from 20 trials on\n" : "check failed\n");
    return shortfalls == 0 ? 0 : 1;
}
