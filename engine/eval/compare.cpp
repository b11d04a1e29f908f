#include "eval/compare.h"

#include "core/hash.h"
#include "core/json.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>

namespace prism {

namespace {

// SplitMix64: small, seeded, and the same on every platform (std
// distributions are not), so an interval is reproducible anywhere.
class SplitMix {
public:
    explicit SplitMix(std::uint64_t seed) : m_state(seed) {}
    std::uint64_t next()
    {
        m_state += 0x9e3779b97f4a7c15ULL;
        return mix64(m_state);
    }
    // Uniform in [0, n): the modulo bias is below n / 2^64.
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

private:
    std::uint64_t m_state;
};

double round2(double v)
{
    return std::round(v * 100.0) / 100.0;
}

// The value at quantile q of sorted data (linear between order statistics).
double quantile(const std::vector<double> &sorted, double q)
{
    if (sorted.empty())
        return 0.0;
    const double pos = q * static_cast<double>(sorted.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
    const double frac = pos - static_cast<double>(lo);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

Json changeJson(const ExampleChange &c, const char *direction)
{
    Json j = Json::object();
    j["index"] = c.index;
    j["direction"] = direction;
    const ExampleResult *any = c.baseline ? c.baseline : c.optimized;
    j["inputs"] = any ? toJson(any->example.inputs()) : Json(nullptr);
    j["expected"] = any ? toJson(any->example.labels()) : Json(nullptr);
    j["baseline"] = c.baseline ? toJson(c.baseline->prediction.values) : Json(nullptr);
    j["optimized"] = c.optimized ? toJson(c.optimized->prediction.values) : Json(nullptr);
    j["baseline_score"] = c.baselineScore ? Json(*c.baselineScore) : Json(nullptr);
    j["optimized_score"] = c.optimizedScore ? Json(*c.optimizedScore) : Json(nullptr);
    // What the metric said was wrong on each side, as eval --json gives it.
    j["baseline_feedback"] = c.baseline ? Json(c.baseline->feedback) : Json(nullptr);
    j["optimized_feedback"] = c.optimized ? Json(c.optimized->feedback) : Json(nullptr);
    return j;
}

Json errorsJson(const std::vector<ExampleChange> &changes, bool baseline)
{
    Json out = Json::array();
    for (const auto &c : changes) {
        const ExampleResult *r = baseline ? c.baseline : c.optimized;
        Json j = Json::object();
        j["index"] = c.index;
        j["error"] = r && r->error ? Json(r->error->describe()) : Json("no score");
        out.push_back(j);
    }
    return out;
}

} // namespace

Result<Comparison> compareReports(const EvalReport &baseline, const EvalReport &optimized,
                                  const CompareOptions &options)
{
    std::map<std::size_t, const ExampleResult *> base;
    for (const auto &r : baseline.results)
        base[r.index] = &r;
    std::map<std::size_t, const ExampleResult *> opt;
    for (const auto &r : optimized.results)
        opt[r.index] = &r;

    Comparison c;
    c.confidence = options.confidence;
    c.baselineReportScore = baseline.scorePercent;
    c.optimizedReportScore = optimized.scorePercent;
    std::vector<double> diffs;
    double baseSum = 0.0;
    double optSum = 0.0;
    for (const auto &[index, b] : base) {
        auto it = opt.find(index);
        if (it == opt.end())
            continue;
        const ExampleResult *o = it->second;
        ExampleChange change{index, b, o, b->score, o->score};
        if (b->error || !b->score)
            c.erroredBaseline.push_back(change);
        if (o->error || !o->score)
            c.erroredOptimized.push_back(change);
        if (!b->score || !o->score)
            continue;
        const double bs = *b->score;
        const double os = *o->score;
        diffs.push_back(os - bs);
        baseSum += bs;
        optSum += os;
        const bool bc = bs >= options.correctThreshold;
        const bool oc = os >= options.correctThreshold;
        if (!bc && oc)
            c.fixed.push_back(change);
        else if (bc && !oc)
            c.broken.push_back(change);
        else if (std::fabs(os - bs) > 1e-9)
            c.changed.push_back(change);
    }
    if (diffs.empty())
        return Error::make(ErrorKind::Data,
                           "the two evaluations have no example scored by both, so they cannot be compared");

    const double n = static_cast<double>(diffs.size());
    c.paired = diffs.size();
    c.baselineScore = round2(100.0 * baseSum / n);
    c.optimizedScore = round2(100.0 * optSum / n);
    double diffSum = 0.0;
    for (double d : diffs)
        diffSum += d;
    c.difference = round2(100.0 * diffSum / n);

    // Paired bootstrap: resample examples (both scores move together) and
    // take the percentile interval of the mean difference.
    const int resamples = std::max(1, options.resamples);
    c.resamples = resamples;
    SplitMix rng(options.seed);
    std::vector<double> means;
    means.reserve(static_cast<std::size_t>(resamples));
    for (int b = 0; b < resamples; ++b) {
        double sum = 0.0;
        for (std::size_t i = 0; i < diffs.size(); ++i)
            sum += diffs[rng.below(diffs.size())];
        means.push_back(100.0 * sum / n);
    }
    std::sort(means.begin(), means.end());
    const double alpha = (1.0 - options.confidence) / 2.0;
    c.ciLow = round2(quantile(means, alpha));
    c.ciHigh = round2(quantile(means, 1.0 - alpha));
    return c;
}

Json comparisonToJson(const Comparison &c, const std::string &split)
{
    Json out = Json::object();
    out["split"] = split;
    out["paired"] = c.paired;
    out["baseline_score"] = c.baselineScore;
    out["optimized_score"] = c.optimizedScore;
    out["difference"] = c.difference;
    out["difference_ci"] = Json::array({c.ciLow, c.ciHigh});
    out["confidence"] = c.confidence;
    out["resamples"] = c.resamples;
    out["fixed"] = c.fixed.size();
    out["broken"] = c.broken.size();
    Json flips = Json::array();
    for (const auto &f : c.fixed)
        flips.push_back(changeJson(f, "fixed"));
    for (const auto &f : c.broken)
        flips.push_back(changeJson(f, "broken"));
    std::sort(flips.begin(), flips.end(), [](const Json &a, const Json &b) {
        return a["index"].get<std::size_t>() < b["index"].get<std::size_t>();
    });
    out["flips"] = flips;
    Json changed = Json::array();
    for (const auto &f : c.changed)
        changed.push_back(changeJson(f, f.optimizedScore.value_or(0) > f.baselineScore.value_or(0) ? "up" : "down"));
    out["changed"] = changed;
    Json errors = Json::object();
    errors["baseline"] = errorsJson(c.erroredBaseline, true);
    errors["optimized"] = errorsJson(c.erroredOptimized, false);
    out["errors"] = errors;
    return out;
}

} // namespace prism
