// One suite every sampler must pass (Optuna's pytest_samplers.py idea): the
// contract of Sampler + SearchStudy that MIPROv2 relies on.

#include "optimize/search/random_sampler.h"
#include "optimize/search/study.h"
#include "optimize/search/tpe_sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <set>

using namespace prism;

namespace {

struct SamplerCase {
    std::string name;
    std::function<std::unique_ptr<Sampler>()> make;
    bool learns = false;       // a model-based sampler: spreads parallel asks
    bool findsJointly = false; // models configs jointly: finds a clear best fast
};

std::ostream &operator<<(std::ostream &os, const SamplerCase &c)
{
    return os << c.name;
}

SearchSpace makeSpace(std::vector<int> sizes)
{
    std::vector<SearchDimension> dims;
    for (std::size_t i = 0; i < sizes.size(); ++i)
        dims.push_back({"d" + std::to_string(i), sizes[i]});
    return *SearchSpace::create(std::move(dims));
}

// A deterministic objective with some structure: sum of per-dimension terms.
double additive(const Config &c)
{
    double v = 0.0;
    for (std::size_t d = 0; d < c.size(); ++d)
        v += ((c[d] * 7 + static_cast<int>(d) * 3) % 5) / 10.0;
    return v;
}

class SamplerConformance : public ::testing::TestWithParam<SamplerCase> {
protected:
    SearchStudy study(std::vector<int> sizes, std::uint64_t seed) const
    {
        return SearchStudy(makeSpace(std::move(sizes)), GetParam().make(), seed);
    }
};

std::vector<Config> runSequential(SearchStudy &s, int trials, const std::function<double(const Config &)> &f = additive)
{
    std::vector<Config> asked;
    for (int i = 0; i < trials; ++i) {
        const SearchTrial t = s.ask();
        asked.push_back(t.config);
        EXPECT_TRUE(s.tell(t.number, f(t.config)).ok());
    }
    return asked;
}

} // namespace

TEST_P(SamplerConformance, ConfigsStayWithinBounds)
{
    SearchStudy s = study({3, 6, 2, 5}, 7);
    for (const Config &c : runSequential(s, 60))
        EXPECT_TRUE(s.space().contains(c)) << s.space().describe(c);
}

TEST_P(SamplerConformance, SameSeedAndTellsGiveSameAsks)
{
    SearchStudy a = study({3, 6, 4}, 42);
    SearchStudy b = study({3, 6, 4}, 42);
    EXPECT_EQ(runSequential(a, 40), runSequential(b, 40));
}

TEST_P(SamplerConformance, SeedZeroIsASeedLikeAnyOther)
{
    SearchStudy a = study({3, 6, 4}, 0);
    SearchStudy b = study({3, 6, 4}, 0);
    SearchStudy c = study({3, 6, 4}, 1);
    const std::vector<Config> ra = runSequential(a, 30);
    EXPECT_EQ(ra, runSequential(b, 30));
    EXPECT_NE(ra, runSequential(c, 30));
}

TEST_P(SamplerConformance, DifferentSeedsGiveDifferentAsks)
{
    SearchStudy a = study({3, 6, 4}, 1);
    SearchStudy b = study({3, 6, 4}, 2);
    EXPECT_NE(runSequential(a, 30), runSequential(b, 30));
}

TEST_P(SamplerConformance, ParallelAsksWithoutTellsAreValidAndSpreadOut)
{
    SearchStudy s = study({3, 6, 4}, 11);
    runSequential(s, 20); // past the random start-up
    std::set<Config> batch;
    for (int i = 0; i < 6; ++i) {
        const SearchTrial t = s.ask();
        EXPECT_TRUE(s.space().contains(t.config));
        batch.insert(t.config);
    }
    EXPECT_EQ(s.count(SearchTrialState::Pending), 6);
    if (GetParam().learns) {
        EXPECT_EQ(batch.size(), 6u) << "pending configs were proposed again";
    }
    // The batch can then be told in any order.
    for (int n = 25; n >= 20; --n)
        EXPECT_TRUE(s.tell(n, 0.5).ok());
    EXPECT_EQ(s.count(SearchTrialState::Complete), 26);
}

TEST_P(SamplerConformance, FailedTrialsDoNotBreakTheSearch)
{
    SearchStudy s = study({3, 6, 4}, 5);
    for (int i = 0; i < 45; ++i) {
        const SearchTrial t = s.ask();
        ASSERT_TRUE(s.space().contains(t.config));
        if (i % 3 == 0)
            ASSERT_TRUE(s.fail(t.number).ok());
        else if (i % 3 == 1)
            ASSERT_TRUE(s.tell(t.number, std::nan("")).ok()); // NaN counts as a failure
        else
            ASSERT_TRUE(s.tell(t.number, additive(t.config)).ok());
    }
    EXPECT_EQ(s.count(SearchTrialState::Failed), 30);
    EXPECT_EQ(s.count(SearchTrialState::Complete), 15);
}

TEST_P(SamplerConformance, OnlyFailuresStillGiveValidAsks)
{
    SearchStudy s = study({4, 4}, 3);
    for (int i = 0; i < 30; ++i) {
        const SearchTrial t = s.ask();
        ASSERT_TRUE(s.space().contains(t.config));
        ASSERT_TRUE(s.fail(t.number).ok());
    }
}

TEST_P(SamplerConformance, SingleConfigSpace)
{
    SearchStudy s = study({1, 1}, 9);
    for (const Config &c : runSequential(s, 25))
        EXPECT_EQ(c, (Config{0, 0}));
    SearchStudy empty(SearchSpace(), GetParam().make(), 9);
    for (const Config &c : runSequential(empty, 15))
        EXPECT_TRUE(c.empty());
}

TEST_P(SamplerConformance, WorksWithTheBaselineAddedAsCompleted)
{
    SearchStudy s = study({3, 6}, 4);
    Result<int> baseline = s.addCompleted({0, 0}, 0.55);
    ASSERT_TRUE(baseline.ok());
    EXPECT_EQ(*baseline, 0);
    const SearchTrial first = s.ask();
    EXPECT_EQ(first.number, 1);
    runSequential(s, 30);
    EXPECT_EQ(s.count(SearchTrialState::Complete), 31);
    for (const SearchTrial &t : s.trials())
        EXPECT_TRUE(s.space().contains(t.config));
}

TEST_P(SamplerConformance, EnqueuedConfigsComeFirst)
{
    SearchStudy s = study({3, 6}, 4);
    ASSERT_TRUE(s.enqueue({2, 5}).ok());
    ASSERT_TRUE(s.enqueue({1, 3}).ok());
    EXPECT_EQ(s.ask().config, (Config{2, 5}));
    EXPECT_EQ(s.ask().config, (Config{1, 3}));
    EXPECT_TRUE(s.space().contains(s.ask().config));
}

// A noiseless objective on 6 x 12 = 72 configs with one clearly best config,
// (4, 9): each index adds its own term, so the best is found by learning
// which index is good per dimension. Random search finds it within 30 trials
// with probability 1 - (71/72)^30 = 34%; a learning sampler should almost always.
TEST_P(SamplerConformance, FindsTheClearBestOfANoiselessObjective)
{
    // Independent TPE finds it in 61% of 200 seeds (random: 38%), multivariate in 92%.
    if (!GetParam().findsJointly)
        GTEST_SKIP() << GetParam().name << " is not expected to find it within 30 trials";
    const auto objective = [](const Config &c) {
        const double instruction[6] = {0.1, 0.3, 0.0, 0.2, 0.5, 0.15};
        const double demos[12] = {0.05, 0.1, 0.0, 0.2, 0.15, 0.1, 0.0, 0.05, 0.2, 0.4, 0.1, 0.0};
        return instruction[c[0]] + demos[c[1]];
    };
    int found = 0;
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
        SearchStudy s = study({6, 12}, seed);
        const std::vector<Config> asked = runSequential(s, 30, objective);
        found += std::find(asked.begin(), asked.end(), Config{4, 9}) != asked.end() ? 1 : 0;
    }
    EXPECT_GE(found, 8);
}

INSTANTIATE_TEST_SUITE_P(
    Samplers, SamplerConformance,
    ::testing::Values(SamplerCase{"random", [] { return std::unique_ptr<Sampler>(new RandomSampler()); }, false},
                      SamplerCase{"tpe", [] { return std::unique_ptr<Sampler>(new TpeSampler()); }, true, true},
                      SamplerCase{"tpe_optuna_defaults",
                                  [] { return std::unique_ptr<Sampler>(new TpeSampler(TpeOptions::optunaDefaults())); },
                                  true, true},
                      SamplerCase{"tpe_independent",
                                  [] {
                                      TpeOptions o;
                                      o.multivariate = false;
                                      return std::unique_ptr<Sampler>(new TpeSampler(o));
                                  },
                                  true, false}),
    [](const ::testing::TestParamInfo<SamplerCase> &info) { return info.param.name; });
