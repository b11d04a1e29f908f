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

} // namespace prism::jstest
