#include "metric/builtin.h"

#include "core/text.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <regex>
#include <vector>

namespace prism {

namespace {

const char *const kAllowedMetrics = "exact, normalized_exact, f1, jaccard, numeric, contains, regex";

bool isKnownMetric(const std::string &name)
{
    static const std::vector<std::string> known = {"exact",   "normalized_exact", "f1",   "jaccard",
                                                   "numeric", "contains",         "regex"};
    return std::find(known.begin(), known.end(), name) != known.end();
}

// A value as feedback quotes it: on one line and at most 60 bytes, cut on a
// UTF-8 boundary, so a long answer does not drown the rest of the feedback.
std::string shownText(std::string text)
{
    for (char &c : text)
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
    constexpr std::size_t maxLen = 60;
    if (text.size() > maxLen) {
        std::size_t cut = maxLen;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
            --cut; // do not split a UTF-8 sequence
        text = text.substr(0, cut) + "...";
    }
    return text;
}

// No answer at all: a missing field or an empty list.
bool isNothing(const Value &v)
{
    return v.isNull() || (v.isList() && v.asList().empty());
}

std::string shown(const Value &v)
{
    if (isNothing(v))
        return "nothing";
    return shownText(v.isString() && v.asString().empty() ? std::string("\"\"") : v.toText());
}

// "a, b, c": the first few, then how many more, so that a long list stays
// one readable line. Repeats are named once.
std::string listed(const std::vector<std::string> &items)
{
    constexpr std::size_t maxItems = 8;
    std::vector<std::string> unique;
    for (const auto &item : items)
        if (std::find(unique.begin(), unique.end(), item) == unique.end())
            unique.push_back(item);
    std::string out;
    for (std::size_t i = 0; i < unique.size() && i < maxItems; ++i)
        out += (i == 0 ? "" : ", ") + unique[i];
    if (unique.size() > maxItems)
        out += fmt::format(" and {} more", unique.size() - maxItems);
    return out;
}

std::string listed(const std::vector<Value> &items)
{
    std::vector<std::string> texts;
    for (const auto &item : items)
        texts.push_back(shown(item));
    return listed(texts);
}

// The parts that apply, in this order: what is missing, then what is extra,
// or that the answer was empty. Joined by "; ".
std::string differenceText(const std::string &missing, const std::string &extra, bool answeredNothing)
{
    std::string out;
    if (!missing.empty())
        out += missing;
    const std::string second = answeredNothing ? std::string("got nothing") : extra;
    if (!second.empty())
        out += (out.empty() ? "" : "; ") + second;
    return out;
}

struct FieldScorer {
    FieldMetric spec;
    double weight = 0.0; // normalized
    std::regex regex;    // compiled once for "regex"

    double score(const Value &expected, const Value &predicted) const
    {
        const std::string &m = spec.metric;
        if (m == "exact")
            return exactMatch(expected, predicted);
        if (m == "normalized_exact")
            return normalizedExactMatch(expected, predicted);
        if (m == "f1")
            return tokenF1(expected, predicted);
        if (m == "jaccard")
            return setJaccard(expected, predicted);
        if (m == "numeric")
            return numericMatch(expected, predicted, spec.tolerance);
        if (m == "contains")
            return containsMatch(expected, predicted);
        return std::regex_search(predicted.toText(), regex) ? 1.0 : 0.0;
    }

    // One sentence that says what was wrong, in words a reader (a person, a
    // reflection prompt, SimLm) can act on: "field: expected X, got Y." The
    // differences come from builtin.cpp's functions that score, so feedback
    // and score agree.
    std::string feedback(const Value &expected, const Value &predicted, double s) const
    {
        return spec.field + ": " + verdict(expected, predicted, s) + ".";
    }

private:
    std::string verdict(const Value &expected, const Value &predicted, double s) const
    {
        if (s >= 1.0)
            return "correct";
        const std::string &m = spec.metric;
        if (m == "jaccard" && (expected.isList() || predicted.isList())) {
            const ItemDifference d = setDifference(expected, predicted);
            return differenceText(d.missing.empty() ? "" : "missing " + listed(d.missing),
                                  d.extra.empty() ? "" : "extra " + listed(d.extra), isNothing(predicted));
        }
        if (m == "f1") {
            const WordDifference d = tokenDifference(expected, predicted);
            // f1 is 0 with no extra word only when the answer had no words.
            const bool nothing = s <= 0.0 && d.extra.empty();
            return differenceText(d.missing.empty() ? "" : "missing words " + listed(d.missing),
                                  d.extra.empty() ? "" : "extra words " + listed(d.extra), nothing)
                   + fmt::format(" (f1 {:.2f})", s);
        }
        if (m == "numeric")
            return numericVerdict(expected, predicted);
        if (m == "regex")
            return fmt::format("expected a match of /{}/, got {}", shownText(spec.pattern), shown(predicted));
        return fmt::format("expected {}, got {}", shown(expected), shown(predicted));
    }

    // The numbers numericMatch compared, as read from the values.
    std::string numericVerdict(const Value &expected, const Value &predicted) const
    {
        const auto want = numberIn(expected), got = numberIn(predicted);
        const bool blank = isNothing(predicted) || trimmed(predicted.toText()).empty();
        const std::string gotText = got     ? fmt::format("{}", *got)
                                    : blank ? std::string("nothing")
                                            : "no number in " + shown(predicted);
        std::string out =
            fmt::format("expected {}, got {}", want ? fmt::format("{}", *want) : shown(expected), gotText);
        if (spec.tolerance > 0.0)
            out += fmt::format(" (tolerance {})", spec.tolerance);
        return out;
    }
};

// Every scorer's verdict on one prediction, in the spec's order.
Result<std::vector<FieldScore>> scoreEach(const std::vector<FieldScorer> &scorers, const Example &example,
                                          const Prediction &prediction)
{
    if (prediction.error)
        return *prediction.error;
    std::vector<FieldScore> out;
    for (const auto &s : scorers) {
        const Value *expected = example.values.find(s.spec.field);
        if (!expected)
            return Error::make(ErrorKind::Data, "the example has no value for '" + s.spec.field + "' to score against");
        FieldScore f;
        f.field = s.spec.field;
        f.metric = s.spec.metric;
        f.weight = s.weight;
        f.expected = *expected;
        f.predicted = prediction.values.get(s.spec.field);
        try {
            f.score = std::clamp(s.score(f.expected, f.predicted), 0.0, 1.0);
        } catch (const std::regex_error &e) {
            // std::regex gives up on some inputs (backtracking limits).
            return Error::make(ErrorKind::Config, "metric: regex /" + s.spec.pattern + "/ failed on the answer for '"
                                                      + s.spec.field + "': " + e.what());
        }
        f.feedback = s.feedback(f.expected, f.predicted, f.score);
        out.push_back(std::move(f));
    }
    return out;
}

class CompositeMetric final : public Metric {
public:
    explicit CompositeMetric(std::vector<FieldScorer> scorers) : m_scorers(std::move(scorers)) {}

    Result<MetricResult> score(const Example &example, const Prediction &prediction) const override
    {
        auto fields = scoreEach(m_scorers, example, prediction);
        if (!fields)
            return fields.error();
        MetricResult result;
        double total = 0.0;
        for (const FieldScore &f : *fields) {
            total += f.weight * f.score;
            if (!result.feedback.empty())
                result.feedback += " ";
            result.feedback += f.feedback;
        }
        result.score = std::clamp(total, 0.0, 1.0);
        return result;
    }

    std::string describe() const override
    {
        std::string out;
        for (const auto &s : m_scorers) {
            if (!out.empty())
                out += " + ";
            out += fmt::format("{:.2g} x {} {}", s.weight, s.spec.field, s.spec.metric);
        }
        return out;
    }

private:
    std::vector<FieldScorer> m_scorers;
};

} // namespace

namespace {

// The checked, weight-normalized scorers of a composite spec.
Result<std::vector<FieldScorer>> buildScorers(const MetricSpec &spec, const Program &program)
{
    if (spec.kind == "script")
        return Error::make(
            ErrorKind::Config,
            "metric: JavaScript metrics need the scripting module (prism_scripting, built with the studio); "
            "this build has only the built-in metrics");
    if (spec.kind == "judge" && spec.fields.empty())
        return std::vector<FieldScorer>{}; // no cheaper metric: the judge decides every answer
    if (spec.kind != "composite" && spec.kind != "judge")
        return Error::make(ErrorKind::Config,
                           "metric: unknown kind '" + spec.kind + "' (expected composite, script or judge)");
    if (spec.fields.empty())
        return Error::make(ErrorKind::Config, "metric: no fields to score; list one metric per output field");

    const auto outputs = program.allOutputs();
    std::vector<FieldScorer> scorers;
    double weightSum = 0.0;
    for (std::size_t i = 0; i < spec.fields.size(); ++i) {
        const FieldMetric &f = spec.fields[i];
        const auto output =
            std::find_if(outputs.begin(), outputs.end(), [&](const Field &o) { return o.name == f.field; });
        const bool isOutput = output != outputs.end();
        if (isOutput) {
            // Settings that would score every answer the same, with no error to say why.
            const std::string key = "metric.fields[" + std::to_string(i) + "]";
            if (f.metric == "regex" && f.pattern.empty())
                return Error::make(ErrorKind::Config, key + ".pattern: the regex metric of '" + f.field
                                                          + "' needs a pattern (an empty one matches every answer)");
            const TypeKind kind = output->type.kind();
            if (f.metric == "numeric" && kind != TypeKind::Int && kind != TypeKind::Float && kind != TypeKind::String)
                return Error::make(ErrorKind::Config, key + ".metric: numeric compares numbers, but '" + f.field
                                                          + "' is " + output->type.shortName()
                                                          + "; use exact (or jaccard for a list)");
        }
        if (!isOutput) {
            std::string names;
            for (const auto &o : outputs)
                names += (names.empty() ? "" : ", ") + o.name;
            return Error::make(ErrorKind::Config, "metric: '" + f.field
                                                      + "' is not an output field of the program (outputs: " + names
                                                      + ")");
        }
        if (!isKnownMetric(f.metric))
            return Error::make(ErrorKind::Config, "metric: unknown metric '" + f.metric + "' for field '" + f.field
                                                      + "' (allowed: " + kAllowedMetrics + ")");
        if (!std::isfinite(f.weight) || f.weight < 0)
            return Error::make(ErrorKind::Config, "metric: the weight of '" + f.field + "' must be a number >= 0");
        if (f.metric == "numeric" && (!std::isfinite(f.tolerance) || f.tolerance < 0))
            return Error::make(ErrorKind::Config, "metric: the tolerance of '" + f.field + "' must be a number >= 0");
        FieldScorer scorer;
        scorer.spec = f;
        scorer.weight = f.weight;
        if (f.metric == "regex") {
            try {
                scorer.regex = std::regex(f.pattern, std::regex::ECMAScript);
            } catch (const std::regex_error &e) {
                return Error::make(ErrorKind::Config, "metric: invalid regex /" + f.pattern + "/ for field '" + f.field
                                                          + "': " + e.what());
            }
        }
        weightSum += f.weight;
        scorers.push_back(std::move(scorer));
    }
    if (weightSum <= 0.0)
        return Error::make(ErrorKind::Config,
                           "metric: all field weights are zero; give at least one field a positive weight");
    for (auto &s : scorers)
        s.weight /= weightSum;
    return scorers;
}

} // namespace

Result<std::unique_ptr<Metric>> makeMetric(const MetricSpec &spec, const Program &program,
                                           std::shared_ptr<const Judge> judge)
{
    auto scorers = buildScorers(spec, program);
    if (!scorers)
        return scorers.error();
    std::unique_ptr<Metric> composite;
    if (!scorers->empty())
        composite = std::make_unique<CompositeMetric>(std::move(*scorers));
    if (spec.kind != "judge")
        return composite;
    if (!judge)
        return Error::make(ErrorKind::Config, "metric: the judge metric has no judge model here (models.judge, "
                                              "else the proposer model, is set up by eval, optimize and compare)");
    if (program.predictors.empty())
        return Error::make(ErrorKind::Config, "metric: the program has no predictor whose answer could be judged");
    std::vector<std::string> responseFields;
    for (const Field &f : program.predictors.back().signature.outputs)
        responseFields.push_back(f.name);
    return std::unique_ptr<Metric>(
        std::make_unique<JudgeMetric>(spec.judge, std::move(responseFields), std::move(composite), std::move(judge)));
}

Result<std::vector<FieldScore>> scoreFields(const MetricSpec &spec, const Program &program, const Example &example,
                                            const Prediction &prediction)
{
    auto scorers = buildScorers(spec, program);
    if (!scorers)
        return scorers.error();
    return scoreEach(*scorers, example, prediction);
}

} // namespace prism
