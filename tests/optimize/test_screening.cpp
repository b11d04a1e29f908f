// Screening (optimize/screening.h): which configs MIPROv2 stops after a third
// of a small validation set, and which it evaluates fully.
#include "optimize/screening.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

using namespace prism;

namespace {

using Scores = std::vector<std::optional<double>>;

Scores scores(std::initializer_list<double> values)
{
    Scores out;
    for (const double v : values)
        out.emplace_back(v);
    return out;
}

} // namespace

TEST(Screening, AThirdOfTheValsetAtLeastFiveAndNoScreenWhenThatIsAll)
{
    EXPECT_EQ(screenSize(15), 5u);
    EXPECT_EQ(screenSize(25), 9u);
    EXPECT_EQ(screenSize(50), 17u);
    EXPECT_EQ(screenSize(7), 5u);
    EXPECT_EQ(screenSize(5), 5u) << "the whole valset: no screening";
    EXPECT_EQ(screenSize(3), 3u);
}

TEST(Screening, AConfigThatGainsOnAScreenedExampleGoesOnToTheFullEvaluation)
{
    // 15 examples; the incumbent got 6 right.
    const Scores incumbent = scores({1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0});
    const std::vector<std::size_t> screen = {2, 3, 4, 6, 10};
    const ScreenVerdict v = screenAgainst(incumbent, screen, scores({0, 0, 1, 1, 1}));
    EXPECT_TRUE(v.promote);
    EXPECT_NEAR(v.estimate, 6.0 / 15 + 1.0 / 5, 1e-12) << "the incumbent's mean plus the mean paired gain";
}

TEST(Screening, AConfigThatOnlyLosesOrTiesIsStoppedAndToldItsPairedEstimate)
{
    const Scores incumbent = scores({1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0});
    const std::vector<std::size_t> screen = {2, 3, 4, 6, 10};
    // Loses example 6, ties the rest.
    const ScreenVerdict lost = screenAgainst(incumbent, screen, scores({0, 0, 0, 0, 1}));
    EXPECT_FALSE(lost.promote);
    EXPECT_NEAR(lost.estimate, 6.0 / 15 - 1.0 / 5, 1e-12);
    // Ties every screened example: the examples where configs disagreed show no gain.
    EXPECT_FALSE(screenAgainst(incumbent, screen, scores({0, 0, 0, 1, 1})).promote);
}

TEST(Screening, OneGainAgainstOneLossIsStillOpen)
{
    const Scores incumbent = scores({1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0});
    const std::vector<std::size_t> screen = {2, 3, 4, 6, 10};
    EXPECT_TRUE(screenAgainst(incumbent, screen, scores({1, 0, 0, 0, 1})).promote)
        << "a mean difference of 0 with spread: the unseen examples could still tip it";
}

TEST(Screening, AnErroredExampleCountsAsOneThatCouldHaveGoneEitherWay)
{
    const Scores incumbent = scores({1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0});
    const std::vector<std::size_t> screen = {2, 3, 4, 6, 10};
    Scores config = scores({0, 0, 0, 1, 1});
    config[0] = std::nullopt; // errored where the incumbent scored 0
    const ScreenVerdict v = screenAgainst(incumbent, screen, config);
    EXPECT_TRUE(v.promote) << "an error is not a zero: it bounds optimistically";
    EXPECT_NEAR(v.estimate, 6.0 / 15, 1e-12) << "the estimate uses only examples both scored";
}

TEST(Screening, TheExactBoundStopsAConfigWhoseSpreadAloneWouldKeepItOpen)
{
    // The incumbent got every unscreened example right: nothing left to gain there.
    const Scores incumbent = scores({0, 1, 1, 1, 1, 1, 1, 1, 1, 1});
    const std::vector<std::size_t> screen = {0, 1, 2, 3, 4};
    const Scores config = scores({1, 0, 0, 1, 1}); // +1, -1, -1: behind by one, with spread
    EXPECT_FALSE(screenAgainst(incumbent, screen, config).promote);
    // The same config, where the incumbent left two unscreened examples to win.
    const Scores open = scores({0, 1, 1, 1, 1, 0, 0, 1, 1, 1});
    EXPECT_TRUE(screenAgainst(open, screen, config).promote);
}

TEST(Screening, HalfTheScreenIsWhereFullEvaluationsDisagreedMostTheRestInTiebreakOrder)
{
    const std::vector<Scores> full = {
        scores({1, 0, 0, 1, 0, 1}),
        scores({1, 1, 0, 0, 0, 1}),
        scores({1, 1, 0, 0.5, 0, 1}),
    };
    // Examples 1 and 3 vary; 0, 2, 4 and 5 never did.
    const std::vector<std::size_t> tiebreak = {5, 4, 3, 2, 1, 0};
    EXPECT_EQ(pickScreen(full, 3, tiebreak), (std::vector<std::size_t>{1, 3, 5}));
    EXPECT_EQ(pickScreen(full, 4, tiebreak), (std::vector<std::size_t>{1, 3, 4, 5}));
    // Half (rounded up) from the most varied even when more examples varied:
    // the rest looks where no config has differed yet.
    EXPECT_EQ(pickScreen(full, 2, tiebreak), (std::vector<std::size_t>{1, 5})) << "the most varied, then the tiebreak";
    // An errored example counts as 0, so a config that errored there disagreed:
    // 1 and 4 vary most, then the tiebreak order brings 5.
    std::vector<Scores> errored = full;
    errored[0][4] = std::nullopt;
    errored[1][4] = 1.0;
    EXPECT_EQ(pickScreen(errored, 3, tiebreak), (std::vector<std::size_t>{1, 4, 5}));
}

TEST(Screening, OnlyAPerfectIncumbentIsUnbeatable)
{
    EXPECT_TRUE(unbeatable(scores({1, 1, 1})));
    EXPECT_FALSE(unbeatable(scores({1, 0.99, 1})));
    Scores errored = scores({1, 1, 1});
    errored[1] = std::nullopt;
    EXPECT_FALSE(unbeatable(errored));
    EXPECT_FALSE(unbeatable({}));
}

TEST(Screening, ATieIsScreenedFurtherWhileTheUnseenExamplesMayHoldADifference)
{
    const Scores incumbent = scores({1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0});
    const std::vector<std::size_t> screen = {2, 3, 4, 6, 10};
    const ScreenVerdict tie = screenAgainst(incumbent, screen, scores({0, 0, 0, 1, 1}));
    EXPECT_TRUE(tie.tied);
    EXPECT_FALSE(tie.promote);
    EXPECT_FALSE(screenAgainst(incumbent, screen, scores({0, 0, 0, 0, 1})).tied) << "a loss is not a tie";
    // 15 examples: after 5, 10 unseen at 1/7 each (1.4 expected) -> go on;
    // after 10, 5 unseen at 1/12 each -> stop.
    EXPECT_TRUE(worthExtending(15, 5));
    EXPECT_FALSE(worthExtending(15, 10));
    EXPECT_TRUE(worthExtending(25, 9));
    EXPECT_FALSE(worthExtending(25, 18));
    EXPECT_FALSE(worthExtending(5, 5));
}
