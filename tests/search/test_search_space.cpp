#include "core/rng.h"
#include "optimize/search/search_space.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace prism;

TEST(SearchSpace, DescribesMiproStyleDimensions)
{
    Result<SearchSpace> s = SearchSpace::create({{"0_predictor_instruction", 3}, {"0_predictor_demos", 6}});
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->dimensionCount(), 2);
    EXPECT_EQ(s->configCount(), 18u);
    EXPECT_EQ(s->indexOf("0_predictor_demos"), 1);
    EXPECT_EQ(s->indexOf("1_predictor_demos"), -1);
    EXPECT_EQ(s->describe({2, 5}), "0_predictor_instruction=2, 0_predictor_demos=5");
    EXPECT_TRUE(s->contains({2, 5}));
    EXPECT_FALSE(s->contains({3, 0}));
    EXPECT_FALSE(s->contains({0, -1}));
    EXPECT_FALSE(s->contains({0}));
}

TEST(SearchSpace, RejectsBadDimensionsNamingThem)
{
    Result<SearchSpace> zero = SearchSpace::create({{"a", 2}, {"b", 0}});
    ASSERT_FALSE(zero.ok());
    EXPECT_EQ(zero.error().kind, ErrorKind::Config);
    EXPECT_NE(zero.error().message.find("'b' has size 0"), std::string::npos) << zero.error().message;

    Result<SearchSpace> dup = SearchSpace::create({{"a", 2}, {"a", 3}});
    ASSERT_FALSE(dup.ok());
    EXPECT_NE(dup.error().message.find("'a' appears twice"), std::string::npos) << dup.error().message;

    Result<SearchSpace> unnamed = SearchSpace::create({{"", 2}});
    ASSERT_FALSE(unnamed.ok());
    EXPECT_NE(unnamed.error().message.find("dimension 0 has an empty name"), std::string::npos);
}

TEST(SearchSpace, ValidateSaysWhichIndexIsWrong)
{
    const SearchSpace s = *SearchSpace::create({{"instr", 3}, {"demos", 6}});
    EXPECT_TRUE(s.validate({0, 5}).ok());
    Result<void> out = s.validate({0, 6});
    ASSERT_FALSE(out.ok());
    EXPECT_NE(out.error().message.find("index 6 for dimension 'demos' is outside 0..5"), std::string::npos)
        << out.error().message;
    Result<void> shape = s.validate({0});
    ASSERT_FALSE(shape.ok());
    EXPECT_NE(shape.error().message.find("1 indices but the search space has 2"), std::string::npos);
}

TEST(SearchSpace, EmptySpaceHasTheEmptyConfig)
{
    const SearchSpace s;
    EXPECT_EQ(s.configCount(), 1u);
    EXPECT_TRUE(s.contains({}));
}

TEST(SearchSpace, ConfigCountSaturates)
{
    std::vector<SearchDimension> dims;
    for (int i = 0; i < 30; ++i)
        dims.push_back({"d" + std::to_string(i), 1000});
    EXPECT_EQ(SearchSpace::create(std::move(dims))->configCount(), UINT64_MAX);
}

TEST(Rng, SameSeedSameSequenceAndStreamsDiffer)
{
    Rng a(123);
    Rng b(123);
    Rng c(124);
    bool differs = false;
    for (int i = 0; i < 100; ++i) {
        const std::uint64_t x = a.next();
        EXPECT_EQ(x, b.next());
        differs |= x != c.next();
    }
    EXPECT_TRUE(differs);
    EXPECT_NE(Rng::forNumberedStream(5, 0).next(), Rng::forNumberedStream(5, 1).next());
    EXPECT_NE(Rng::forNumberedStream(5, 0).next(), Rng::forNumberedStream(6, 0).next());
    EXPECT_EQ(Rng::forNumberedStream(0, 0).next(), Rng::forNumberedStream(0, 0).next());
}

TEST(Rng, BelowIsInRangeAndRoughlyUniform)
{
    Rng rng(7);
    std::vector<int> counts(6, 0);
    const int n = 60000;
    for (int i = 0; i < n; ++i) {
        const int v = rng.belowAlwaysDraws(6);
        ASSERT_GE(v, 0);
        ASSERT_LT(v, 6);
        ++counts[static_cast<std::size_t>(v)];
    }
    // Each count is Binomial(60000, 1/6): sd ~ 91, so 5 sd is 460.
    for (int c : counts)
        EXPECT_NEAR(c, n / 6, 460);
    EXPECT_EQ(rng.belowAlwaysDraws(1), 0);
}

TEST(Rng, UniformAndNormalHaveTheirMoments)
{
    Rng rng(99);
    const int n = 100000;
    double sumU = 0.0, sumN = 0.0, sumN2 = 0.0;
    for (int i = 0; i < n; ++i) {
        const double u = rng.uniform();
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        sumU += u;
        const double z = rng.normal();
        ASSERT_TRUE(std::isfinite(z));
        sumN += z;
        sumN2 += z * z;
    }
    // Standard errors: uniform mean 0.0009, normal mean 0.0032, normal variance 0.0045.
    EXPECT_NEAR(sumU / n, 0.5, 0.005);
    EXPECT_NEAR(sumN / n, 0.0, 0.016);
    EXPECT_NEAR(sumN2 / n, 1.0, 0.025);
}
