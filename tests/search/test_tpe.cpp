#include "optimize/search/parzen_estimator.h"
#include "optimize/search/random_sampler.h"
#include "optimize/search/study.h"
#include "optimize/search/tpe_sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

using namespace prism;

namespace {

SearchSpace makeSpace(std::vector<int> sizes)
{
    std::vector<SearchDimension> dims;
    for (std::size_t i = 0; i < sizes.size(); ++i)
        dims.push_back({"d" + std::to_string(i), sizes[i]});
    return *SearchSpace::create(std::move(dims));
}

} // namespace

TEST(TpePolicies, OptunaGammaIsTenPercentRoundedUpCappedAt25)
{
    EXPECT_EQ(optunaGamma(0), 0);
    EXPECT_EQ(optunaGamma(1), 1);
    EXPECT_EQ(optunaGamma(10), 1);
    EXPECT_EQ(optunaGamma(11), 2);
    EXPECT_EQ(optunaGamma(80), 8);
    EXPECT_EQ(optunaGamma(250), 25);
    EXPECT_EQ(optunaGamma(1000), 25);
}

TEST(TpePolicies, OptunaWeightsRampTheOldestBeyond25)
{
    EXPECT_TRUE(optunaWeights(0).empty());
    EXPECT_EQ(optunaWeights(3), std::vector<double>(3, 1.0));
    const std::vector<double> w = optunaWeights(30);
    ASSERT_EQ(w.size(), 30u);
    // numpy.linspace(1/30, 1, 5) for the 5 oldest, then 25 ones.
    EXPECT_DOUBLE_EQ(w[0], 1.0 / 30);
    EXPECT_DOUBLE_EQ(w[2], (1.0 / 30 + 1.0) / 2);
    EXPECT_DOUBLE_EQ(w[4], 1.0);
    for (std::size_t i = 5; i < 30; ++i)
        EXPECT_DOUBLE_EQ(w[i], 1.0);
}

TEST(TpeOptions, ValidationNamesTheSetting)
{
    TpeOptions o;
    EXPECT_TRUE(o.validate().ok());
    o.nEiCandidates = 0;
    Result<void> r = o.validate();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("n_ei_candidates is 0"), std::string::npos);
    o = TpeOptions();
    o.priorWeight = -1.0;
    EXPECT_FALSE(TpeSampler::create(o).ok());
    o = TpeOptions();
    o.maxRepeatFraction = 1.5;
    EXPECT_FALSE(o.validate().ok());
}

TEST(ParzenEstimator, WithoutObservationsItIsUniform)
{
    const SearchSpace space = makeSpace({3, 4});
    const CategoricalParzenEstimator e(space, {}, {}, 1.0, true);
    EXPECT_NEAR(e.logPdf({2, 3}), -std::log(12.0), 1e-12);
    EXPECT_NEAR(e.logPdfDimension(1, 0), -std::log(4.0), 1e-12);
}

// One observation of choice 1 among 3, prior weight 1: a = 1 / (1 + 1) = 0.5,
// the kernel is (1.5, 0.5, 0.5) / 2.5 = (0.6, 0.2, 0.2), mixed half and half
// with the uniform prior: p = (0.4667, 0.2667, 0.2667).
TEST(ParzenEstimator, OneObservationMatchesTheHandComputedMixture)
{
    const SearchSpace space = makeSpace({3});
    const CategoricalParzenEstimator e(space, {{1}}, {1.0}, 1.0, true);
    EXPECT_NEAR(std::exp(e.logPdf({1})), 0.5 * 0.6 + 0.5 / 3, 1e-12);
    EXPECT_NEAR(std::exp(e.logPdf({0})), 0.5 * 0.2 + 0.5 / 3, 1e-12);
    EXPECT_NEAR(std::exp(e.logPdf({2})), 0.5 * 0.2 + 0.5 / 3, 1e-12);
}

TEST(ParzenEstimator, JointDensitySumsToOneAndSamplesFollowIt)
{
    const SearchSpace space = makeSpace({3, 4});
    const CategoricalParzenEstimator e(space, {{0, 1}, {2, 1}, {0, 3}}, {1.0, 0.5, 2.0}, 1.0, true);
    double total = 0.0;
    std::map<Config, double> p;
    for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 4; ++b) {
            p[{a, b}] = std::exp(e.logPdf({a, b}));
            total += p[{a, b}];
        }
    EXPECT_NEAR(total, 1.0, 1e-12);

    Rng rng(5);
    std::map<Config, int> counts;
    const int n = 40000;
    for (int i = 0; i < n; ++i)
        ++counts[e.sample(rng)];
    for (const auto &[config, prob] : p) {
        const double sd = std::sqrt(n * prob * (1 - prob));
        EXPECT_NEAR(counts[config], n * prob, 5 * sd) << config[0] << "," << config[1];
    }
}

TEST(TpeSampler, OptunaStartupTrialsAreExactlyRandomSearch)
{
    const SearchSpace space = makeSpace({3, 6});
    SearchStudy tpe(space, std::make_unique<TpeSampler>(TpeOptions::optunaDefaults()), 21);
    SearchStudy random(space, std::make_unique<RandomSampler>(), 21);
    for (int i = 0; i < TpeOptions::optunaDefaults().nStartupTrials; ++i) {
        const SearchTrial a = tpe.ask();
        const SearchTrial b = random.ask();
        EXPECT_EQ(a.config, b.config);
        ASSERT_TRUE(tpe.tell(a.number, 0.1 * a.config[0]).ok());
        ASSERT_TRUE(random.tell(b.number, 0.1 * b.config[0]).ok());
    }
}

TEST(TpeSampler, BalancedStartupCoversEveryValueEvenlyWithoutRepeats)
{
    // 4 instructions x 6 demo sets, 10 start-up trials: every instruction is
    // tried 2 or 3 times, every demo set 1 or 2 times, no config twice.
    const SearchSpace space = makeSpace({4, 6});
    for (std::uint64_t seed : {0u, 1u, 2u, 3u, 4u}) {
        SearchStudy tpe(space, std::make_unique<TpeSampler>(), seed);
        std::set<Config> seen;
        std::vector<int> instructionUses(4, 0), demoUses(6, 0);
        for (int i = 0; i < TpeOptions().nStartupTrials; ++i) {
            const SearchTrial t = tpe.ask();
            EXPECT_TRUE(seen.insert(t.config).second) << "seed " << seed << " repeated a config at trial " << i;
            ++instructionUses[static_cast<std::size_t>(t.config[0])];
            ++demoUses[static_cast<std::size_t>(t.config[1])];
            ASSERT_TRUE(tpe.tell(t.number, 0.5).ok());
        }
        for (int uses : instructionUses) {
            EXPECT_GE(uses, 2) << "seed " << seed;
            EXPECT_LE(uses, 3) << "seed " << seed;
        }
        for (int uses : demoUses) {
            EXPECT_GE(uses, 1) << "seed " << seed;
            EXPECT_LE(uses, 2) << "seed " << seed;
        }
    }
}

TEST(TpeSampler, ConfirmsAnIncumbentSeenOnce)
{
    const SearchSpace space = makeSpace({6, 12});
    SearchStudy s(space, std::make_unique<TpeSampler>(), 3);
    // Ten distinct configs, the best of them (5, 5) observed once.
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(s.addCompleted({i % 6, i}, i == 5 ? 0.9 : 0.5).ok());
    EXPECT_EQ(s.ask().config, (Config{5, 5}));
    // Once it is pending (or observed twice), TPE explores something else.
    EXPECT_NE(s.ask().config, (Config{5, 5}));
}

TEST(TpeSampler, OptunaDefaultsDoNotConfirm)
{
    const TpeOptions o = TpeOptions::optunaDefaults();
    EXPECT_EQ(o.confirmIncumbent, 0);
    EXPECT_FALSE(o.preferUnseen);
    EXPECT_DOUBLE_EQ(o.priorWeight, 1.0);
    EXPECT_EQ(o.nStartupTrials, 10);
    EXPECT_EQ(o.nEiCandidates, 24);
    EXPECT_TRUE(o.multivariate);
}

// After the start-up, an unseen config is proposed while one exists among the
// candidates, so a 3 x 6 space is covered within its 18 configs plus the
// confirmations the repeat budget allows.
TEST(TpeSampler, PrefersUnseenConfigs)
{
    const SearchSpace space = makeSpace({3, 6});
    int worstDistinct = 18;
    for (std::uint64_t seed = 0; seed < 10; ++seed) {
        SearchStudy s(space, std::make_unique<TpeSampler>(), seed);
        std::set<Config> seen;
        for (int i = 0; i < 24; ++i) {
            const SearchTrial t = s.ask();
            seen.insert(t.config);
            ASSERT_TRUE(s.tell(t.number, 0.5 + 0.05 * t.config[0] - 0.01 * t.config[1]).ok());
        }
        worstDistinct = std::min(worstDistinct, static_cast<int>(seen.size()));
    }
    // Random search would see about 18 * (1 - (17/18)^24) = 13.4 distinct configs.
    EXPECT_GE(worstDistinct, 15);
}

TEST(TpeSampler, IgnoresTrialsFromAnotherSpace)
{
    const SearchSpace space = makeSpace({3, 6});
    std::vector<SearchTrial> history;
    for (int i = 0; i < 12; ++i)
        history.push_back({i, Config{9, 9, 9}, SearchTrialState::Complete, 1.0});
    TpeSampler tpe;
    Rng rng(1);
    EXPECT_TRUE(space.contains(tpe.sample(space, history, rng)));
}
