#include "metric/metric.h"

namespace prism {

Error metricBuildError(const Error &error, const std::string &where)
{
    Error e = error;
    if (e.message.rfind("metric", 0) != 0 && e.message.rfind("judge metric", 0) != 0)
        e.message = "metric: " + e.message;
    if (!where.empty())
        e.message = where + ": " + e.message;
    return e;
}

} // namespace prism
