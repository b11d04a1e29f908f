// prism_bench_samplers [OBJECTIVES_DIR] [--trials N] [--seeds N] [--first-seed N] [--check]
//                      [--samplers NAME,...] [--tpe KEY=VALUE,...]
//
// Runs every sampler on every objective of OBJECTIVES_DIR and prints one JSON
// line per (objective, sampler), as bench/objectives/README.md describes.
// --samplers runs only those (random, tpe, tpe-optuna-defaults); --tpe
// changes settings of "tpe" (prior_weight, startup, ei_candidates,
// confirm_incumbent, max_repeat_fraction, balanced_startup, prefer_unseen),
// which is how bench/sampler_generalization.sh tunes it.
// --check also verifies that TPE's rec_true is at least Random's at every
// budget from 20 trials on, for every objective but "unstructured", and exits
// with status 1 if not.

#include "sampler_bench.h"

#include "optimize/search/tpe_sampler.h"

#include <algorithm>
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
    std::fprintf(stderr, "usage: prism_bench_samplers [OBJECTIVES_DIR] [--trials N] [--seeds N] [--first-seed N] "
                         "[--check] [--samplers NAME,...] [--tpe KEY=VALUE,...]\n");
    return 2;
}

std::vector<std::string> splitOn(const std::string &text, char separator)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t at = text.find(separator); at != std::string::npos; at = text.find(separator, start)) {
        parts.push_back(text.substr(start, at - start));
        start = at + 1;
    }
    parts.push_back(text.substr(start));
    return parts;
}

// "prior_weight=1.5,startup=6": false, naming the setting, on anything else.
bool applyTpeSettings(const std::string &text, TpeOptions &options)
{
    for (const std::string &item : splitOn(text, ',')) {
        const std::vector<std::string> kv = splitOn(item, '=');
        if (kv.size() != 2) {
            std::fprintf(stderr, "prism_bench_samplers: --tpe wants KEY=VALUE, got '%s'\n", item.c_str());
            return false;
        }
        char *end = nullptr;
        const double v = std::strtod(kv[1].c_str(), &end);
        if (end == kv[1].c_str() || *end != '\0') {
            std::fprintf(stderr, "prism_bench_samplers: --tpe %s: '%s' is not a number\n", kv[0].c_str(),
                         kv[1].c_str());
            return false;
        }
        const std::string &key = kv[0];
        if (key == "prior_weight")
            options.priorWeight = v;
        else if (key == "startup")
            options.nStartupTrials = static_cast<int>(v);
        else if (key == "ei_candidates")
            options.nEiCandidates = static_cast<int>(v);
        else if (key == "confirm_incumbent")
            options.confirmIncumbent = static_cast<int>(v);
        else if (key == "max_repeat_fraction")
            options.maxRepeatFraction = v;
        else if (key == "balanced_startup")
            options.balancedStartup = v != 0.0;
        else if (key == "prefer_unseen")
            options.preferUnseen = v != 0.0;
        else {
            std::fprintf(stderr, "prism_bench_samplers: --tpe: unknown setting '%s'\n", key.c_str());
            return false;
        }
    }
    if (auto ok = options.validate(); !ok) {
        std::fprintf(stderr, "prism_bench_samplers: --tpe: %s\n", ok.error().message.c_str());
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    std::string directory = PRISM_BENCH_OBJECTIVES_DIR;
    BenchSettings settings;
    bool check = false;
    std::vector<std::string> only;
    TpeOptions tpe;
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
        } else if (arg == "--samplers" && i + 1 < argc) {
            only = splitOn(argv[++i], ',');
        } else if (arg == "--tpe" && i + 1 < argc) {
            if (!applyTpeSettings(argv[++i], tpe))
                return usage();
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
        for (NamedSampler s : benchmarkedSamplers()) {
            if (!only.empty() && std::find(only.begin(), only.end(), s.name) == only.end())
                continue;
            if (s.name == "tpe")
                s.factory = [tpe] { return std::unique_ptr<Sampler>(new TpeSampler(tpe)); };
            SamplerFigures f = benchmarkSampler(objective, s.name, s.factory, settings);
            std::printf("%s\n", figuresJsonLine(f).c_str());
            std::fflush(stdout);
            bySampler.emplace(s.name, std::move(f));
        }
        if (check && objective.name != "unstructured" && bySampler.count("random") && bySampler.count("tpe")) {
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
