#include "cli.h"

#include "metric/builtin.h"

#ifdef PRISM_HAS_SCRIPTING
#include "scripting/jsmetric.h"
#endif

#include <memory>

namespace prism::cli {

namespace {
#ifdef PRISM_HAS_SCRIPTING
std::unique_ptr<ScriptingRuntime> &scriptingRuntime()
{
    static std::unique_ptr<ScriptingRuntime> runtime;
    return runtime;
}
#endif
} // namespace

ScriptingScope::~ScriptingScope()
{
#ifdef PRISM_HAS_SCRIPTING
    scriptingRuntime().reset();
#endif
}

Result<std::unique_ptr<Metric>> studyMetric(const MetricSpec &spec, const Program &program,
                                            std::shared_ptr<const Judge> judge)
{
#ifdef PRISM_HAS_SCRIPTING
    if (spec.kind == "script") {
        // JS metrics need a Qt core application; the CLI creates one the first
        // time a script metric is built (always on the main thread) and keeps
        // it until main's ScriptingScope ends.
        if (!scriptingAvailable())
            scriptingRuntime() = std::make_unique<ScriptingRuntime>();
        return makeStudyMetric(spec, program, judge);
    }
#endif
    return makeMetric(spec, program, std::move(judge));
}

} // namespace prism::cli
