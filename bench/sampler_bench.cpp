#include "sampler_bench.h"

#include "core/hash.h"
#include "core/json.h"
#include "optimize/search/random_sampler.h"
#include "optimize/search/study.h"
#include "optimize/search/tpe_sampler.h"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>

namespace prism::bench {

namespace {

double clip01(double x)
{
    return std::clamp(x, 0.0, 1.0);
}

Error badObjective(const std::string &path, const std::string &what)
{
    return Error::make(ErrorKind::Data, fmt::format("{}: {}", path, what));
}

Result<std::vector<double>> numberRow(const Json &json, std::size_t expected, const std::string &path,
                                      const std::string &key)
{
    if (!json.is_array() || json.size() != expected)
        return badObjective(path, fmt::format("'{}' must be an array of {} numbers", key, expected));
    std::vector<double> row;
    for (const Json &v : json) {
        if (!v.is_number())
            return badObjective(path, fmt::format("'{}' holds a non-number: {}", key, v.dump()));
        row.push_back(v.get<double>());
    }
    return row;
}

} // namespace

SearchSpace CategoricalObjective::space() const
{
    std::vector<SearchDimension> dimensions;
    for (std::size_t d = 0; d < dims.size(); ++d)
        dimensions.push_back({fmt::format("{}_predictor_{}", d / 2, d % 2 == 0 ? "instruction" : "demos"), dims[d]});
    Result<SearchSpace> space = SearchSpace::create(std::move(dimensions));
    return space ? *space : SearchSpace();
}

double CategoricalObjective::trueScore(const Config &config) const
{
    double score = base;
    for (std::size_t d = 0; d < dims.size(); ++d)
        score += main[d][static_cast<std::size_t>(config[d])];
    for (const Pair &p : pairs)
        score += p.table[static_cast<std::size_t>(config[static_cast<std::size_t>(p.first)])]
                        [static_cast<std::size_t>(config[static_cast<std::size_t>(p.second)])];
    return clip01(score);
}

double CategoricalObjective::optimum() const
{
    Config config(dims.size(), 0);
    double best = 0.0;
    for (;;) {
        best = std::max(best, trueScore(config));
        std::size_t d = 0;
        while (d < dims.size() && ++config[d] == dims[d])
            config[d++] = 0;
        if (d == dims.size())
            return best;
    }
}

std::uint64_t CategoricalObjective::configIndex(const Config &config) const
{
    std::uint64_t index = 0;
    for (std::size_t d = 0; d < dims.size(); ++d)
        index = index * static_cast<std::uint64_t>(dims[d]) + static_cast<std::uint64_t>(config[d]);
    return index;
}

Result<CategoricalObjective> loadObjective(const std::string &path)
{
    Result<Json> parsed = readJsonFile(path);
    if (!parsed)
        return parsed.error();
    const Json &json = *parsed;
    try {
        if (!json.is_object())
            return badObjective(path, "the top level must be an object");
        for (const char *key : {"name", "dims", "base", "main", "noise_sd"}) {
            if (!json.contains(key))
                return badObjective(path, fmt::format("missing key '{}'", key));
        }
        CategoricalObjective o;
        o.name = json.at("name").get<std::string>();
        o.description = json.value("description", std::string());
        for (const Json &d : json.at("dims")) {
            if (!d.is_number_integer() || d.get<int>() < 1)
                return badObjective(path, fmt::format("'dims' holds {}; sizes must be integers >= 1", d.dump()));
            o.dims.push_back(d.get<int>());
        }
        if (o.dims.empty())
            return badObjective(path, "'dims' is empty");
        o.base = json.at("base").get<double>();
        o.noiseSd = json.at("noise_sd").get<double>();
        if (!(o.noiseSd >= 0.0))
            return badObjective(path, "'noise_sd' must be >= 0");
        const Json &main = json.at("main");
        if (!main.is_array() || main.size() != o.dims.size())
            return badObjective(path, fmt::format("'main' must hold one array per dimension ({})", o.dims.size()));
        for (std::size_t d = 0; d < o.dims.size(); ++d) {
            Result<std::vector<double>> row =
                numberRow(main[d], static_cast<std::size_t>(o.dims[d]), path, fmt::format("main[{}]", d));
            if (!row)
                return row.error();
            o.main.push_back(std::move(*row));
        }
        const Json pairs = json.value("pairs", Json::array());
        for (std::size_t p = 0; p < pairs.size(); ++p) {
            const Json &pair = pairs[p];
            const Json &dims = pair.at("dims");
            if (!dims.is_array() || dims.size() != 2 || !dims[0].is_number_integer() || !dims[1].is_number_integer())
                return badObjective(path, fmt::format("pairs[{}].dims must be two dimension indices", p));
            CategoricalObjective::Pair out;
            out.first = dims[0].get<int>();
            out.second = dims[1].get<int>();
            const int nd = static_cast<int>(o.dims.size());
            if (out.first < 0 || out.first >= nd || out.second < 0 || out.second >= nd || out.first == out.second)
                return badObjective(path, fmt::format("pairs[{}].dims {} are not two distinct dimensions of 0..{}", p,
                                                      dims.dump(), nd - 1));
            const Json &table = pair.at("table");
            const auto rows = static_cast<std::size_t>(o.dims[static_cast<std::size_t>(out.first)]);
            if (!table.is_array() || table.size() != rows)
                return badObjective(path, fmt::format("pairs[{}].table must have {} rows", p, rows));
            for (std::size_t r = 0; r < rows; ++r) {
                Result<std::vector<double>> row =
                    numberRow(table[r], static_cast<std::size_t>(o.dims[static_cast<std::size_t>(out.second)]), path,
                              fmt::format("pairs[{}].table[{}]", p, r));
                if (!row)
                    return row.error();
                out.table.push_back(std::move(*row));
            }
            o.pairs.push_back(std::move(out));
        }
        return o;
    } catch (const nlohmann::json::exception &e) {
        return badObjective(path, e.what());
    }
}

Result<std::vector<CategoricalObjective>> loadObjectives(const std::string &directory)
{
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto &entry : std::filesystem::directory_iterator(directory, ec)) {
        if (entry.is_regular_file() && entry.path().extension() == ".json")
            files.push_back(entry.path());
    }
    if (ec)
        return Error::make(ErrorKind::Io, fmt::format("{}: cannot list objectives: {}", directory, ec.message()));
    if (files.empty())
        return Error::make(ErrorKind::Data, fmt::format("{}: no objective (*.json) found", directory));
    std::sort(files.begin(), files.end());
    std::vector<CategoricalObjective> objectives;
    for (const auto &f : files) {
        Result<CategoricalObjective> o = loadObjective(f.string());
        if (!o)
            return o.error();
        objectives.push_back(std::move(*o));
    }
    return objectives;
}

SamplerFigures benchmarkSampler(const CategoricalObjective &objective, const std::string &samplerName,
                                const SamplerFactory &factory, const BenchSettings &settings)
{
    SamplerFigures figures;
    figures.objective = objective.name;
    figures.sampler = samplerName;
    figures.optimum = objective.optimum();
    figures.seeds = settings.seeds;
    figures.budgets = settings.budgets;
    figures.bestTrue.assign(settings.budgets.size(), 0.0);
    figures.recTrue.assign(settings.budgets.size(), 0.0);

    const SearchSpace space = objective.space();
    std::chrono::nanoseconds samplerTime{0};
    for (int seed = settings.firstSeed; seed < settings.firstSeed + settings.seeds; ++seed) {
        SearchStudy study(space, factory(), static_cast<std::uint64_t>(seed));
        struct Stats {
            double sum = 0.0;
            int count = 0;
            int firstTrial = 0;
        };
        std::map<Config, Stats> observed;
        double bestTrue = 0.0;
        std::size_t nextBudget = 0;
        for (int t = 1; t <= settings.trials; ++t) {
            const auto start = std::chrono::steady_clock::now();
            const SearchTrial trial = study.ask();
            samplerTime += std::chrono::steady_clock::now() - start;

            Stats &s = observed[trial.config];
            if (s.count == 0)
                s.firstTrial = t;
            const std::uint64_t noiseStream =
                (objective.configIndex(trial.config) << 20) | static_cast<std::uint64_t>(s.count);
            Rng noise = Rng::forNumberedStream(mix64(static_cast<std::uint64_t>(seed)) ^ 0x6e6f697365ULL, noiseStream);
            const double truth = objective.trueScore(trial.config);
            const double value = clip01(truth + objective.noiseSd * noise.normal());
            s.sum += value;
            ++s.count;
            bestTrue = std::max(bestTrue, truth);

            const auto tellStart = std::chrono::steady_clock::now();
            (void)study.tell(trial.number, value);
            samplerTime += std::chrono::steady_clock::now() - tellStart;

            while (nextBudget < settings.budgets.size() && settings.budgets[nextBudget] == t) {
                // Recommend the best mean; ties go to more observations, then to the earlier config.
                const Config *rec = nullptr;
                const Stats *recStats = nullptr;
                for (const auto &[config, st] : observed) {
                    const double mean = st.sum / st.count;
                    const double recMean = recStats ? recStats->sum / recStats->count : 0.0;
                    if (!recStats || mean > recMean
                        || (mean == recMean
                            && (st.count > recStats->count
                                || (st.count == recStats->count && st.firstTrial < recStats->firstTrial)))) {
                        rec = &config;
                        recStats = &st;
                    }
                }
                figures.bestTrue[nextBudget] += bestTrue;
                figures.recTrue[nextBudget] += objective.trueScore(*rec);
                ++nextBudget;
            }
        }
    }
    for (std::size_t b = 0; b < settings.budgets.size(); ++b) {
        figures.bestTrue[b] /= settings.seeds;
        figures.recTrue[b] /= settings.seeds;
    }
    const double trials = static_cast<double>(settings.seeds) * settings.trials;
    figures.msPerTrial = std::chrono::duration<double, std::milli>(samplerTime).count() / trials;
    return figures;
}

std::vector<NamedSampler> benchmarkedSamplers()
{
    return {
        {"random", [] { return std::unique_ptr<Sampler>(new RandomSampler()); }},
        {"tpe", [] { return std::unique_ptr<Sampler>(new TpeSampler()); }},
        {"tpe-optuna-defaults", [] { return std::unique_ptr<Sampler>(new TpeSampler(TpeOptions::optunaDefaults())); }},
    };
}

std::vector<std::string> recTrueShortfalls(const SamplerFigures &random, const SamplerFigures &tpe, int minBudget)
{
    std::vector<std::string> out;
    for (std::size_t b = 0; b < tpe.budgets.size() && b < random.budgets.size(); ++b) {
        if (tpe.budgets[b] < minBudget)
            continue;
        // Compare at the printed precision: a difference below it is not one.
        const double t = std::round(tpe.recTrue[b] * 1e4);
        const double r = std::round(random.recTrue[b] * 1e4);
        if (t < r)
            out.push_back(fmt::format("{}: at {} trials {} rec_true {:.4f} < {} rec_true {:.4f}", tpe.objective,
                                      tpe.budgets[b], tpe.sampler, tpe.recTrue[b], random.sampler, random.recTrue[b]));
    }
    return out;
}

namespace {

// nlohmann's compact dump has no spaces; the README's lines read {"key": value, ...}.
std::string spacedDump(const Json &json)
{
    if (!json.is_object())
        return json.dump();
    std::string out = "{";
    for (auto it = json.begin(); it != json.end(); ++it) {
        if (it != json.begin())
            out += ", ";
        out += Json(it.key()).dump() + ": " + spacedDump(it.value());
    }
    return out + "}";
}

} // namespace

std::string figuresJsonLine(const SamplerFigures &figures)
{
    const auto round4 = [](double x) { return std::round(x * 1e4) / 1e4; };
    Json best = Json::object();
    Json rec = Json::object();
    for (std::size_t b = 0; b < figures.budgets.size(); ++b) {
        best[std::to_string(figures.budgets[b])] = round4(figures.bestTrue[b]);
        rec[std::to_string(figures.budgets[b])] = round4(figures.recTrue[b]);
    }
    Json line = Json::object();
    line["objective"] = figures.objective;
    line["sampler"] = figures.sampler;
    line["optimum"] = round4(figures.optimum);
    line["seeds"] = figures.seeds;
    line["best_true"] = std::move(best);
    line["rec_true"] = std::move(rec);
    // Four significant digits: the time is small and varies by machine anyway.
    const double ms = figures.msPerTrial;
    const double scale = ms > 0.0 ? std::pow(10.0, 3 - std::floor(std::log10(ms))) : 1.0;
    line["ms_per_trial"] = std::round(ms * scale) / scale;
    return spacedDump(line);
}

} // namespace prism::bench
