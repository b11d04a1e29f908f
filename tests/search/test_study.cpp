#include "optimize/search/random_sampler.h"
#include "optimize/search/study.h"
#include "optimize/search/tpe_sampler.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace prism;

namespace {

SearchSpace space36()
{
    return *SearchSpace::create({{"0_predictor_instruction", 3}, {"0_predictor_demos", 6}});
}

SearchStudy tpeStudy(std::uint64_t seed)
{
    return SearchStudy(space36(), std::make_unique<TpeSampler>(), seed);
}

double score(const Config &c)
{
    return 0.5 + 0.1 * c[0] - 0.02 * c[1];
}

} // namespace

TEST(SearchStudy, NumbersTrialsAndTracksStates)
{
    SearchStudy s = tpeStudy(1);
    const SearchTrial a = s.ask();
    const SearchTrial b = s.ask();
    EXPECT_EQ(a.number, 0);
    EXPECT_EQ(b.number, 1);
    EXPECT_EQ(a.state, SearchTrialState::Pending);
    EXPECT_EQ(s.count(SearchTrialState::Pending), 2);
    ASSERT_TRUE(s.tell(1, 0.7).ok());
    ASSERT_TRUE(s.fail(0).ok());
    EXPECT_EQ(s.trial(1)->state, SearchTrialState::Complete);
    EXPECT_DOUBLE_EQ(s.trial(1)->value, 0.7);
    EXPECT_EQ(s.trial(0)->state, SearchTrialState::Failed);
    EXPECT_EQ(s.trial(2), nullptr);
}

TEST(SearchStudy, TellErrorsNameTheTrial)
{
    SearchStudy s = tpeStudy(1);
    const SearchTrial t = s.ask();
    ASSERT_TRUE(s.tell(t.number, 0.5).ok());
    Result<void> twice = s.tell(t.number, 0.6);
    ASSERT_FALSE(twice.ok());
    EXPECT_NE(twice.error().message.find("trial 0: it is already complete"), std::string::npos)
        << twice.error().message;
    EXPECT_DOUBLE_EQ(s.trial(0)->value, 0.5);
    Result<void> unknown = s.fail(7);
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message.find("trial 7: no such trial"), std::string::npos) << unknown.error().message;
}

TEST(SearchStudy, NonFiniteValueMarksTheTrialFailed)
{
    SearchStudy s = tpeStudy(1);
    const SearchTrial t = s.ask();
    ASSERT_TRUE(s.tell(t.number, std::numeric_limits<double>::infinity()).ok());
    EXPECT_EQ(s.trial(t.number)->state, SearchTrialState::Failed);
    EXPECT_FALSE(s.bestTrial().has_value());
}

TEST(SearchStudy, EnqueueAndAddValidateConfigs)
{
    SearchStudy s = tpeStudy(1);
    Result<void> bad = s.enqueue({3, 0});
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("cannot enqueue"), std::string::npos);
    EXPECT_NE(bad.error().message.find("'0_predictor_instruction'"), std::string::npos) << bad.error().message;
    EXPECT_FALSE(s.addCompleted({0, 6}, 0.5).ok());
    EXPECT_FALSE(s.addCompleted({0, 0}, std::nan("")).ok());
    EXPECT_TRUE(s.trials().empty());
}

TEST(SearchStudy, BestTrialIsTheHighestValueEarliestOnTies)
{
    SearchStudy s = tpeStudy(1);
    ASSERT_TRUE(s.addCompleted({0, 0}, 0.6).ok());
    ASSERT_TRUE(s.addCompleted({1, 0}, 0.8).ok());
    ASSERT_TRUE(s.addCompleted({2, 0}, 0.8).ok());
    ASSERT_TRUE(s.addFailed({2, 1}).ok());
    ASSERT_TRUE(s.bestTrial().has_value());
    EXPECT_EQ(s.bestTrial()->number, 1);
}

// What resume relies on: a study rebuilt from the stored trials, in number
// order, asks exactly what the original asked next.
TEST(SearchStudy, RebuiltStudyContinuesLikeTheOriginal)
{
    SearchStudy original = tpeStudy(17);
    ASSERT_TRUE(original.addCompleted({0, 0}, 0.5).ok()); // the baseline
    for (int i = 0; i < 30; ++i) {
        const SearchTrial t = original.ask();
        if (i % 7 == 3)
            ASSERT_TRUE(original.fail(t.number).ok());
        else
            ASSERT_TRUE(original.tell(t.number, score(t.config)).ok());
    }

    SearchStudy rebuilt = tpeStudy(17);
    const int stop = 20;
    for (int n = 0; n < stop; ++n) {
        const SearchTrial &t = original.trials()[static_cast<std::size_t>(n)];
        if (t.state == SearchTrialState::Complete)
            ASSERT_TRUE(rebuilt.addCompleted(t.config, t.value).ok());
        else
            ASSERT_TRUE(rebuilt.addFailed(t.config).ok());
    }
    for (int n = stop; n < 31; ++n) {
        const SearchTrial &expected = original.trials()[static_cast<std::size_t>(n)];
        const SearchTrial t = rebuilt.ask();
        ASSERT_EQ(t.number, n);
        EXPECT_EQ(t.config, expected.config) << "trial " << n;
        if (expected.state == SearchTrialState::Complete)
            ASSERT_TRUE(rebuilt.tell(t.number, expected.value).ok());
        else
            ASSERT_TRUE(rebuilt.fail(t.number).ok());
    }
}

TEST(SearchStudy, RestoredPendingTrialsCanBeToldLater)
{
    SearchStudy s = tpeStudy(2);
    Result<int> n = s.addPending({1, 2});
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(s.trial(*n)->state, SearchTrialState::Pending);
    EXPECT_TRUE(s.tell(*n, 0.4).ok());
}
