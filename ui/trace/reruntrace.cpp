#include "trace/reruntrace.h"

#include "trace/tracedialog.h"

#include "adapter/adapter.h"
#include "modelsetup/lm_setup.h"
#include "run/example_trace.h"
#include "scripting/jsmetric.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

namespace {

// Lets the dialog cancel calls in flight once the models exist.
struct CancelState {
    std::mutex mutex;
    std::atomic<bool> stop{false};
    std::optional<prism::CallServices> services;
};

} // namespace

void startRerunTrace(TraceDialog *dialog, prism::Study study, prism::Program program, prism::Example example,
                     std::size_t index)
{
    auto state = std::make_shared<CancelState>();
    auto job = [state, study = std::move(study), program = std::move(program), example = std::move(example),
                index]() -> prism::Result<prism::ExampleTrace> {
        auto metric = prism::makeStudyMetric(study.metric, study.program);
        if (!metric)
            return metric.error();
        const auto adapter = prism::makeAdapter(study.eval.adapter);
        auto models = prism::setupModels(study, {}, prism::LmSetupOptions{});
        if (!models)
            return models.error();
        {
            std::lock_guard lock(state->mutex);
            state->services = models->services;
            if (state->stop)
                state->services->requestCancel();
        }
        // The evaluation's call settings, so a repeat finds its answers in the cache.
        prism::CallOptions call;
        call.temperature = models->taskConfig.temperature;
        call.maxTokens = models->taskConfig.maxTokens;
        call.role = "evaluation";
        return prism::traceExample(program, example, index, *models->task, *adapter, *metric.value(), call,
                                   &study.metric);
    };
    dialog->start(std::move(job), [state] {
        state->stop = true;
        std::lock_guard lock(state->mutex);
        if (state->services)
            state->services->requestCancel();
    });
}
