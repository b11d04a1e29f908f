#pragma once

// Helpers shared by the JS metric tests.
#include "scripting/jsmetric.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace prism::jstest {

inline std::unique_ptr<Metric> mustMake(const std::string &source, int timeoutMs = kDefaultMetricTimeoutMs)
{
    auto m = makeJsMetric(source, timeoutMs);
    EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
    return m.ok() ? std::move(m).value() : nullptr;
}

inline Example row(Fields values)
{
    Example e;
    e.values = std::move(values);
    return e;
}

inline Prediction pred(Fields values)
{
    Prediction p;
    p.values = std::move(values);
    return p;
}

// For a metric script that checks the sandbox itself: it scores 1 and lists
// in its feedback whatever it found that should not be there.
inline void expectCheckPasses(Metric &metric)
{
    auto r = metric.score({}, {});
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->feedback, "");
    EXPECT_DOUBLE_EQ(r->score, 1.0);
}

} // namespace prism::jstest
