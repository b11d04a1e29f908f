#include "run/study_compare.h"

#include "adapter/adapter.h"
#include "core/worker_pool.h"
#include "run/study_judge.h"

namespace prism {

ComparisonSetup::ComparisonSetup() = default;
ComparisonSetup::~ComparisonSetup() = default;
ComparisonSetup::ComparisonSetup(ComparisonSetup &&) noexcept = default;
ComparisonSetup &ComparisonSetup::operator=(ComparisonSetup &&) noexcept = default;

const Dataset &ComparisonSetup::split() const
{
    return options.split == "train" ? data.train : options.split == "val" ? data.val : data.test;
}

Result<ComparisonSetup> prepareComparison(const Study &study, StudyCompareOptions options)
{
    if (options.split != "train" && options.split != "val" && options.split != "test")
        return Error::make(ErrorKind::Config, "the split must be train, val or test, not '" + options.split + "'");
    if (!options.metricFactory)
        return Error::make(ErrorKind::Internal, "a comparison needs a metric factory");
    const std::string where = options.where.empty() ? std::string() : options.where + ": ";
    ComparisonSetup setup;
    auto data = loadStudyData(study);
    if (!data)
        return data.error();
    setup.data = std::move(data).value();
    const Dataset &split = options.split == "train" ? setup.data.train
                           : options.split == "val" ? setup.data.val
                                                    : setup.data.test;
    if (split.examples.empty())
        return Error::make(ErrorKind::Data, where + "the study has no " + options.split + " examples");
    LmSetupOptions lmOptions;
    lmOptions.useCache = options.useCache;
    lmOptions.scheduler = options.scheduler;
    auto models = setupModels(study, options.overrides, lmOptions);
    if (!models)
        return Error::make(models.error().kind, where + models.error().message);
    setup.models = std::move(models).value();
    auto metric = options.metricFactory(study.metric, study.program, studyJudge(study, setup.models));
    if (!metric)
        return metricBuildError(metric.error(), options.where);
    setup.metric = std::move(metric).value();
    // Fail fast, with one line, on a key, server or model that cannot work.
    if (auto reachable = checkConnection(setup.models.taskConfig, options.cancel); !reachable)
        return reachable.error();
    setup.adapter = makeAdapter(study.eval.adapter);
    setup.options = std::move(options);
    return setup;
}

Result<StudyComparison> runComparison(ComparisonSetup &setup, const Program &baseline, const Program &candidate)
{
    const StudyCompareOptions &options = setup.options;
    EvalOptions evalOptions;
    evalOptions.threads = std::max(1, options.threads);
    evalOptions.maxErrors = 0;
    evalOptions.call.temperature = setup.models.taskConfig.temperature;
    evalOptions.call.maxTokens = setup.models.taskConfig.maxTokens;
    evalOptions.call.role = "evaluation";
    evalOptions.cancel = options.cancel;
    // One pool for both evaluations: the second reuses the first's threads,
    // connections and JS engines.
    WorkerPool pool(evalOptions.threads);
    evalOptions.pool = &pool;
    const Evaluator evaluator(*setup.models.task, *setup.adapter, *setup.metric, evalOptions);
    const std::vector<Example> &examples = setup.split().examples;
    const auto say = [&](const std::string &what) {
        if (options.progress)
            options.progress(what);
    };
    StudyComparison out;
    say("evaluating the baseline on " + std::to_string(examples.size()) + " " + options.split + " examples");
    out.baseline = std::make_unique<EvalReport>(evaluator.run(baseline, examples));
    const bool cancelled = [&] { return options.cancel && options.cancel->load(); }();
    if (!(candidate == baseline) && !out.baseline->stoppedEarly && !cancelled) {
        say("evaluating the optimized program");
        out.candidate = std::make_unique<EvalReport>(evaluator.run(candidate, examples));
    }
    const EvalReport &candidateReport = out.candidate ? *out.candidate : *out.baseline;
    if (out.baseline->stoppedEarly || candidateReport.stoppedEarly || (options.cancel && options.cancel->load()))
        return Error::make(ErrorKind::Cancelled, "the comparison was interrupted before every example was evaluated");
    auto compared = compareReports(*out.baseline, candidateReport);
    if (!compared)
        return compared.error();
    out.comparison = std::move(compared).value();
    if (setup.models.services.ledger)
        out.calls = setup.models.services.ledger->totals();
    return out;
}

} // namespace prism
