#include "metric/metric.h"

namespace prism {

Error metricBuildError(const Error &error, const std::string &where)
{
    Error e = error;
    const auto startsWith = [&e](const char *prefix) { return e.message.rfind(prefix, 0) == 0; };
    if (!startsWith("metric:") && !startsWith("metric.") && !startsWith("metric[") && !startsWith("judge metric:"))
        e.message = "metric: " + e.message;
    if (!where.empty())
        e.message = where + ": " + e.message;
    return e;
}

} // namespace prism
