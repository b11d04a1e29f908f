// Baseline vs optimized: the paired bootstrap interval and the flips.
#include "eval/compare.h"

#include <gtest/gtest.h>

using namespace prism;

namespace {

// A report whose example i has scores[i] (nullopt = errored).
EvalReport report(const std::vector<std::optional<double>> &scores)
{
    EvalReport r;
    r.total = scores.size();
    double sum = 0.0;
    for (std::size_t i = 0; i < scores.size(); ++i) {
        ExampleResult e;
        e.index = i;
        e.example.values.set("q", Value("question " + std::to_string(i)));
        e.example.values.set("answer", Value(static_cast<std::int64_t>(i)));
        e.example.inputKeys = {"q"};
        e.score = scores[i];
        if (!scores[i]) {
            e.error = Error::make(ErrorKind::Parse, "no answer field");
            ++r.errors;
        } else {
            ++r.scored;
            sum += *scores[i];
        }
        r.results.push_back(std::move(e));
    }
    r.scoreSum = sum;
    r.scorePercent = r.scored ? 100.0 * sum / static_cast<double>(r.scored) : 0.0;
    return r;
}

std::vector<std::optional<double>> fill(std::size_t n, double value)
{
    return std::vector<std::optional<double>>(n, value);
}

TEST(Compare, IdenticalProgramsGiveAZeroInterval)
{
    std::vector<std::optional<double>> scores;
    for (int i = 0; i < 30; ++i)
        scores.push_back(i % 3 == 0 ? 0.0 : 1.0);
    const EvalReport a = report(scores);
    auto c = compareReports(a, a);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->paired, 30u);
    EXPECT_DOUBLE_EQ(c->baselineScore, c->optimizedScore);
    EXPECT_DOUBLE_EQ(c->difference, 0.0);
    EXPECT_DOUBLE_EQ(c->ciLow, 0.0);
    EXPECT_DOUBLE_EQ(c->ciHigh, 0.0);
    EXPECT_TRUE(c->fixed.empty());
    EXPECT_TRUE(c->broken.empty());
    EXPECT_TRUE(c->changed.empty());
    EXPECT_EQ(c->resamples, 10000);
}

TEST(Compare, AClearImprovementExcludesZero)
{
    // 40 examples: the baseline gets 10 right, the optimized program the
    // same 10 plus 20 more. Paired differences: twenty 1s, twenty 0s, mean
    // 0.5; the bootstrap standard error is sqrt(0.25 / 40) ~ 0.079, so the
    // 95% interval is about 50 +- 15.5 points.
    std::vector<std::optional<double>> base = fill(40, 0.0);
    std::vector<std::optional<double>> opt = fill(40, 0.0);
    for (int i = 0; i < 10; ++i)
        base[i] = opt[i] = 1.0;
    for (int i = 10; i < 30; ++i)
        opt[i] = 1.0;
    auto c = compareReports(report(base), report(opt));
    ASSERT_TRUE(c);
    EXPECT_DOUBLE_EQ(c->baselineScore, 25.0);
    EXPECT_DOUBLE_EQ(c->optimizedScore, 75.0);
    EXPECT_DOUBLE_EQ(c->difference, 50.0);
    EXPECT_GT(c->ciLow, 0.0);
    EXPECT_GT(c->ciLow, 30.0);
    EXPECT_LT(c->ciLow, 40.0);
    EXPECT_GT(c->ciHigh, 60.0);
    EXPECT_LT(c->ciHigh, 70.0);
    EXPECT_EQ(c->fixed.size(), 20u);
    EXPECT_EQ(c->fixed.front().index, 10u);
    EXPECT_TRUE(c->broken.empty());
}

TEST(Compare, NoiseIncludesZeroAndTheSeedFixesTheInterval)
{
    // 3 fixed, 3 broken out of 30: no real difference.
    std::vector<std::optional<double>> base = fill(30, 1.0);
    std::vector<std::optional<double>> opt = fill(30, 1.0);
    for (int i = 0; i < 3; ++i)
        base[i] = 0.0;
    for (int i = 3; i < 6; ++i)
        opt[i] = 0.0;
    const EvalReport a = report(base);
    const EvalReport b = report(opt);
    auto c = compareReports(a, b);
    ASSERT_TRUE(c);
    EXPECT_DOUBLE_EQ(c->difference, 0.0);
    EXPECT_LT(c->ciLow, 0.0);
    EXPECT_GT(c->ciHigh, 0.0);
    EXPECT_EQ(c->fixed.size(), 3u);
    EXPECT_EQ(c->broken.size(), 3u);
    EXPECT_EQ(c->broken.front().index, 3u);
    EXPECT_EQ(c->broken.front().baselineScore, 1.0);
    EXPECT_EQ(c->broken.front().optimizedScore, 0.0);
    ASSERT_NE(c->broken.front().baseline, nullptr);
    EXPECT_EQ(c->broken.front().baseline->index, 3u);

    auto again = compareReports(a, b);
    EXPECT_DOUBLE_EQ(again->ciLow, c->ciLow);
    EXPECT_DOUBLE_EQ(again->ciHigh, c->ciHigh);
}

TEST(Compare, PartialScoresAndErrorsAreReportedApart)
{
    std::vector<std::optional<double>> base = {1.0, 0.5, 0.2, std::nullopt, 1.0};
    std::vector<std::optional<double>> opt = {1.0, 0.75, 0.2, 1.0, std::nullopt};
    auto c = compareReports(report(base), report(opt));
    ASSERT_TRUE(c);
    // Only examples scored by both are paired: 0, 1, 2.
    EXPECT_EQ(c->paired, 3u);
    ASSERT_EQ(c->changed.size(), 1u);
    EXPECT_EQ(c->changed[0].index, 1u);
    EXPECT_TRUE(c->fixed.empty());
    EXPECT_TRUE(c->broken.empty());
    ASSERT_EQ(c->erroredBaseline.size(), 1u);
    EXPECT_EQ(c->erroredBaseline[0].index, 3u);
    ASSERT_EQ(c->erroredOptimized.size(), 1u);
    EXPECT_EQ(c->erroredOptimized[0].index, 4u);
    // (1 + 0.5 + 0.2) / 3 and (1 + 0.75 + 0.2) / 3, in percent.
    EXPECT_DOUBLE_EQ(c->baselineScore, 56.67);
    EXPECT_DOUBLE_EQ(c->optimizedScore, 65.0);
    EXPECT_DOUBLE_EQ(c->difference, 8.33);
}

TEST(Compare, CorrectMeansAtLeastTheThreshold)
{
    // 0.9990 counts as correct, 0.998 does not: a flip.
    auto c = compareReports(report({0.998, 1.0}), report({0.999, 1.0}));
    ASSERT_TRUE(c);
    ASSERT_EQ(c->fixed.size(), 1u);
    EXPECT_EQ(c->fixed[0].index, 0u);
}

TEST(Compare, NothingInCommonIsAnError)
{
    auto c = compareReports(report({std::nullopt}), report({1.0}));
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().kind, ErrorKind::Data);
}

} // namespace
