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

Result<StudyComparison> evaluateProgramPair(Lm &task, const ModelConfig &taskConfig, const Adapter &adapter,
                                            const Metric &metric, const std::vector<Example> &examples,
                                            const Program &baseline, const Program &candidate,
                                            const ProgramPairOptions &options)
{
    EvalOptions evalOptions;
    evalOptions.threads = std::max(1, options.threads);
    evalOptions.maxErrors = 0; // errors are counted apart; the comparison wants every example
    evalOptions.call.temperature = taskConfig.temperature;
    evalOptions.call.maxTokens = taskConfig.maxTokens;
    evalOptions.call.role = "evaluation";
    evalOptions.cancel = options.cancel;
    evalOptions.onResult = options.onResult;
    WorkerPool pool(evalOptions.threads);
    evalOptions.pool = &pool;
    const Evaluator evaluator(task, adapter, metric, evalOptions);
    const auto say = [&](const std::string &what) {
        if (options.progress)
            options.progress(what);
    };
    const auto cancelled = [&] { return options.cancel && options.cancel->load(); };
    StudyComparison out;
    say("evaluating the baseline on " + std::to_string(examples.size()) + " " + options.examplesName);
    out.baseline = std::make_unique<EvalReport>(evaluator.run(baseline, examples));
    if (!(candidate == baseline) && !out.baseline->stoppedEarly && !cancelled()) {
        say("evaluating the optimized program");
        out.candidate = std::make_unique<EvalReport>(evaluator.run(candidate, examples));
    }
    const EvalReport &candidateReport = out.candidate ? *out.candidate : *out.baseline;
    if (out.baseline->stoppedEarly || candidateReport.stoppedEarly || cancelled())
        return Error::make(ErrorKind::Cancelled, "the comparison was stopped before every example was evaluated");
    auto compared = compareReports(*out.baseline, candidateReport);
    if (!compared)
        return compared.error();
    out.comparison = std::move(compared).value();
    return out;
}

Result<StudyComparison> runComparison(ComparisonSetup &setup, const Program &baseline, const Program &candidate)
{
    const StudyCompareOptions &options = setup.options;
    ProgramPairOptions pair;
    pair.threads = options.threads;
    pair.cancel = options.cancel;
    pair.progress = options.progress;
    pair.examplesName = options.split + " examples";
    auto out = evaluateProgramPair(*setup.models.task, setup.models.taskConfig, *setup.adapter, *setup.metric,
                                   setup.split().examples, baseline, candidate, pair);
    if (out && setup.models.services.ledger)
        out->calls = setup.models.services.ledger->totals();
    return out;
}

} // namespace prism
