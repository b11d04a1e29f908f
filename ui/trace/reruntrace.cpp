#include "trace/reruntrace.h"

#include "trace/tracedialog.h"

#include "engine/jobmodels.h"

#include "adapter/adapter.h"
#include "run/example_trace.h"
#include "run/study_judge.h"
#include "scripting/jsmetric.h"

#include <memory>

void startRerunTrace(TraceDialog *dialog, prism::Study study, prism::Program program, prism::Example example,
                     std::size_t index, std::function<void(const SpendByRole &)> onSpent,
                     std::optional<prism::Program> other)
{
    auto models = std::make_shared<JobModels>();
    auto job = [models, study = std::move(study), program = std::move(program), example = std::move(example), index,
                other = std::move(other)]() -> prism::Result<prism::ExampleTrace> {
        const auto adapter = prism::makeAdapter(study.eval.adapter);
        auto opened = models->open(study);
        if (!opened)
            return opened.error();
        auto metric = prism::makeStudyMetric(study.metric, study.program, prism::studyJudge(study, *opened.value()));
        if (!metric)
            return metric.error();
        // The evaluation's call settings, so a repeat finds its answers in the cache.
        prism::CallOptions call;
        call.temperature = opened.value()->taskConfig.temperature;
        call.maxTokens = opened.value()->taskConfig.maxTokens;
        call.role = "evaluation";
        prism::ExampleTrace trace = prism::traceExample(program, example, index, *opened.value()->task, *adapter,
                                                        *metric.value(), call, &study.metric);
        const bool passed = trace.result.score && *trace.result.score >= 0.999;
        if (other && !passed && program.predictors.size() > 1) {
            const prism::ExampleTrace passing = prism::traceExample(
                *other, example, index, *opened.value()->task, *adapter, *metric.value(), call, &study.metric);
            prism::judgeAgainstPassing(trace, passing);
        }
        return trace;
    };
    if (onSpent)
        QObject::connect(dialog, &TraceDialog::traceReady, dialog,
                         [models, onSpent] { onSpent(spendFromLedger(models->ledgerByRole())); });
    dialog->start(std::move(job), [models] { models->cancel(); });
}
