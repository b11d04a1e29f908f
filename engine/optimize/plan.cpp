#include "optimize/plan.h"

#include "adapter/adapter.h"
#include "optimize/labeled_fewshot.h"
#include "optimize/scoring.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>

namespace prism {

namespace {

// Sizes of the proposer's prompts and answers (characters), guessed from
// DSPy's grounded-proposer templates (optimize/proposer.*): each call is a
// fixed instruction text plus what it is shown.
constexpr std::size_t kDescriptorChars = 1100;    // DatasetDescriptor, plus the example batch
constexpr std::size_t kSummarizerChars = 2400;    // ObservationSummarizer with the observations
constexpr std::size_t kDescriptionChars = 1000;   // DescribeProgram / DescribeModule, plus the program code
constexpr std::size_t kInstructionChars = 3200;   // GenerateSingleModuleInstruction with summary, descriptions, tip
constexpr std::size_t kProposerAnswerChars = 400; // a description, an observation or an instruction
constexpr std::size_t kExampleReprOverhead = 40;  // "Example({...}) (input_keys={...})"
// The judge's prompt (engine/eval/lm_judge.*): the adapter's frame for its
// signature around the rubric, the task's inputs, the reference and the response.
constexpr std::size_t kJudgeFrameChars = 1200;
constexpr std::size_t kJudgeAnswerChars = 240; // a one-sentence reason and the score

Error configError(std::string message)
{
    return Error::make(ErrorKind::Config, std::move(message));
}

long long asCount(std::size_t n)
{
    return static_cast<long long>(n);
}

// Demos in a typical task prompt, for its size.
std::size_t demosShown(const OptimizerConfig &c)
{
    return static_cast<std::size_t>(std::max(c.maxLabeledDemos, c.maxBootstrappedDemos));
}

// LabeledFewShot: no call but scoring the student and the result on the valset.
Result<std::size_t> planLabeled(const OptimizerConfig &c, OptimizePlan &plan)
{
    if (c.maxLabeledDemos < 0)
        return configError("labeled: max_labeled_demos must be 0 or more");
    plan.trialRuns = 2 * asCount(plan.valRows);
    return static_cast<std::size_t>(c.maxLabeledDemos);
}

// BootstrapFewShot: one set of traces (each row, each round at most), then
// the student and the result on the valset.
Result<std::size_t> planBootstrap(const OptimizerConfig &c, OptimizePlan &plan)
{
    if (c.maxBootstrappedDemos < 0 || c.maxLabeledDemos < 0 || c.maxRounds < 1)
        return configError("bootstrap: max_bootstrapped_demos and max_labeled_demos must be 0 or more and "
                           "max_rounds at least 1");
    if (c.maxBootstrappedDemos > 0)
        plan.bootstrapRuns = asCount(plan.trainRows) * c.maxRounds;
    plan.trialRuns = 2 * asCount(plan.valRows);
    return demosShown(c);
}

// BootstrapFewShotWithRandomSearch: one teacher for every bootstrap (each
// row, each round at most once), then every candidate on the validation set
// (the trainset when there is none, as DSPy scores).
Result<std::size_t> planRandomSearch(const OptimizerConfig &c, std::size_t predictors, OptimizePlan &plan)
{
    if (auto valid = validateOptimizerSettings(c, predictors); !valid)
        return valid.error();
    if (plan.valRows == 0)
        plan.valRows = plan.trainRows;
    plan.candidates = 3 + c.numCandidates.value_or(kRandomSearchCandidates);
    if (c.maxBootstrappedDemos > 0)
        plan.bootstrapRuns = asCount(plan.trainRows) * c.maxRounds;
    plan.trialRuns = plan.candidates * asCount(plan.valRows);
    return demosShown(c);
}

// MIPROv2 as miprov2.cpp runs it: (a) the data split and subsample, (b) demo
// sets (bootstrapped when a set beyond the empty and the labeled one exists),
// (c) proposals, (d) the baseline, trials and full evaluations.
Result<std::size_t> planMipro(const OptimizerConfig &c, std::size_t predictors, OptimizePlan &plan)
{
    auto resolved = resolveMiproSettings(c, static_cast<int>(predictors));
    if (!resolved)
        return resolved.error();
    const MiproSettings &s = resolved.value();
    plan.mipro = s;
    if (plan.valRows == 0) {
        if (plan.trainRows < 2)
            return Error::make(ErrorKind::Data,
                               fmt::format("miprov2: without a validation set the trainset must have at "
                                           "least 2 examples to split (it has {})",
                                           plan.trainRows));
        plan.valRows = plan.trainRows / 2;
        plan.trainRows -= plan.valRows;
    }
    if (s.valSize)
        plan.valRows = std::min(plan.valRows, static_cast<std::size_t>(*s.valSize));
    plan.minibatch = miproUsesMinibatches(c, s, plan.valRows);

    const int sets = s.numFewshotCandidates;
    const bool bootstraps = !s.zeroShot && !s.labeledOnly && (sets >= 3 || (sets >= 2 && c.maxLabeledDemos == 0));
    if (bootstraps)
        plan.bootstrapRuns = asCount(plan.trainRows) * c.maxRounds;

    const auto k = static_cast<std::size_t>(s.numInstructCandidates);
    if (c.dataAwareProposer && k > 1) {
        const std::size_t batch = static_cast<std::size_t>(c.viewDataBatchSize);
        const std::size_t batches = std::max<std::size_t>(1, (plan.trainRows + batch - 1) / batch);
        plan.datasetCalls = asCount(std::min<std::size_t>(batches, kMaxDescriptorCalls)) + 1; // + the summarizer
    }
    if (c.programAwareProposer && k > 1)
        plan.descriptionCalls = 1 + asCount(predictors);
    plan.instructionCalls = asCount((k - 1) * predictors);

    // A space of the baseline alone is not searched.
    const bool searchable = k > 1 || (!s.zeroShot && sets > 1);
    plan.trials = searchable ? s.numTrials : 0;
    const auto V = asCount(plan.valRows);
    if (plan.minibatch) {
        plan.fullEvals = (plan.trials + c.minibatchFullEvalSteps - 1) / c.minibatchFullEvalSteps;
        plan.trialRuns = V + static_cast<long long>(plan.trials) * c.minibatchSize;
        plan.fullEvalRuns = plan.fullEvals * V;
    } else {
        plan.trialRuns = (plan.trials + 1) * V;
    }
    return s.zeroShot ? std::size_t{0} : demosShown(c);
}

// The average prompt of one task call: each predictor rendered by the study's
// adapter for the first training row with `demos` labeled demos.
Result<std::size_t> promptCharsPerCall(const Study &study, const std::vector<Example> &train, std::size_t demos)
{
    const auto adapter = makeAdapter(study.eval.adapter);
    const auto &predictors = study.program.predictors;
    std::size_t total = 0;
    for (const auto &predictor : predictors) {
        const Signature signature = predictor.effectiveSignature();
        std::vector<Demo> shown;
        for (std::size_t i = 0; i < std::min(demos, train.size()); ++i)
            shown.push_back(labeledDemo(predictor, train[i]));
        Fields inputs;
        for (const auto &field : signature.inputs) {
            const Value *value = train.empty() ? nullptr : train.front().values.find(field.name);
            // What an earlier stage produces is only known at run time.
            inputs.set(field.name, value ? *value : Value("{" + field.name + "}"));
        }
        for (const auto &message : adapter->format(signature, shown, inputs))
            total += message.content.size();
    }
    return total / predictors.size();
}

// How long a row looks in the proposer's dataset view, averaged over a few rows.
std::size_t exampleReprChars(const std::vector<Example> &train)
{
    const std::size_t n = std::min<std::size_t>(train.size(), 20);
    if (n == 0)
        return kExampleReprOverhead;
    std::size_t chars = 0;
    for (std::size_t i = 0; i < n; ++i)
        for (const auto &[name, value] : train[i].values)
            chars += name.size() + value.toText().size() + 8;
    return chars / n + kExampleReprOverhead;
}

// GEPA: at most its metric-call budget of program runs; a reflection per
// iteration, and an iteration spends at least one minibatch of new runs
// unless it is idle, so the budget over the minibatch bounds them (times the
// predictors when every predictor reflects at once).
Result<std::size_t> planGepa(const OptimizerConfig &c, std::size_t predictors, OptimizePlan &plan)
{
    if (auto valid = validateOptimizerSettings(c, predictors); !valid)
        return valid.error();
    if (plan.valRows == 0) {
        plan.valRows = plan.trainRows / 2;
        plan.trainRows -= plan.valRows;
    }
    const GepaBudget budget = gepaBudget(c, static_cast<int>(predictors), plan.trainRows, plan.valRows);
    plan.maxMetricCalls = budget.maxMetricCalls;
    plan.budgetBasis = budget.basis;
    plan.trialRuns = budget.maxMetricCalls;
    const long long minibatch =
        std::max<long long>(1, std::min<long long>(c.gepa.reflectionMinibatchSize, asCount(plan.trainRows)));
    long long reflections = (budget.maxMetricCalls + minibatch - 1) / minibatch;
    if (c.gepa.componentSelector == GepaComponents::All)
        reflections *= asCount(predictors);
    if (c.gepa.maxReflectionCalls)
        reflections = std::min<long long>(reflections, *c.gepa.maxReflectionCalls);
    plan.reflectionCalls = reflections;
    return std::size_t{0};
}

// Tokens and dollars of the counted calls.
Result<void> costPlan(const Study &study, const std::vector<Example> &train, std::size_t taskDemos,
                      const PriceTable &prices, OptimizePlan &plan)
{
    auto promptChars = promptCharsPerCall(study, train, taskDemos);
    if (!promptChars)
        return promptChars.error();
    const std::size_t prompt = promptChars.value();
    const std::size_t completion = defaultCompletionChars(study.program);
    const auto predictors = asCount(study.program.predictors.size());
    const std::string &taskModel = study.taskModel.model;
    auto taskCost = [&](long long runs) {
        CostEstimate e;
        addEstimatedCalls(e, runs * predictors, prompt, completion);
        e.dollars = prices.dollars(taskModel, e.promptTokens, e.completionTokens);
        return e;
    };
    plan.bootstrap = taskCost(plan.bootstrapRuns);
    plan.trialCost = taskCost(plan.trialRuns);
    plan.fullEvalCost = taskCost(plan.fullEvalRuns);
    plan.test = taskCost(plan.testRuns);
    plan.task = plan.bootstrap;
    plan.task += plan.trialCost;
    plan.task += plan.fullEvalCost;
    plan.task += plan.test;

    const OptimizerConfig &c = study.optimizer;
    const std::size_t exampleChars = exampleReprChars(train);
    if (plan.datasetCalls > 0) {
        addEstimatedCalls(plan.proposer, plan.datasetCalls - 1,
                          kDescriptorChars + static_cast<std::size_t>(c.viewDataBatchSize) * exampleChars,
                          kProposerAnswerChars);
        addEstimatedCalls(plan.proposer, 1, kSummarizerChars, kProposerAnswerChars);
    }
    addEstimatedCalls(plan.proposer, plan.descriptionCalls, kDescriptionChars + prompt, kProposerAnswerChars);
    addEstimatedCalls(plan.proposer, plan.instructionCalls,
                      kInstructionChars + (c.fewshotAwareProposer ? kProposerDemos * exampleChars : 0),
                      kProposerAnswerChars);
    plan.proposer.dollars =
        prices.dollars(study.proposerModel.model, plan.proposer.promptTokens, plan.proposer.completionTokens);
    // A reflection shows the instruction and a minibatch of records (inputs, outputs, feedback).
    const std::size_t records = static_cast<std::size_t>(c.gepa.reflectionMinibatchSize) * (2 * exampleChars + 120);
    addEstimatedCalls(plan.reflection, plan.reflectionCalls, kInstructionChars + records, kProposerAnswerChars);
    plan.reflection.dollars =
        prices.dollars(study.reflectionModel.model, plan.reflection.promptTokens, plan.reflection.completionTokens);
    if (study.metric.kind == "judge") {
        // Every scored run is one judge call at most: its inputs and response, about two rows' worth.
        plan.judgeCalls = plan.bootstrapRuns + plan.trialRuns + plan.fullEvalRuns + plan.testRuns;
        addEstimatedCalls(plan.judge, plan.judgeCalls,
                          kJudgeFrameChars + study.metric.judge.rubric.size() + 2 * exampleChars, kJudgeAnswerChars);
        plan.judge.dollars =
            prices.dollars(study.judgeModel.model, plan.judge.promptTokens, plan.judge.completionTokens);
    } else {
        plan.judge.dollars = 0.0; // no judge: nothing to price
    }
    return {};
}

} // namespace

CostEstimate OptimizePlan::total() const
{
    CostEstimate sum = task;
    sum += proposer;
    sum += reflection;
    sum += judge;
    return sum;
}

CostEstimate OptimizePlan::evaluation() const
{
    CostEstimate sum = trialCost;
    sum += fullEvalCost;
    return sum;
}

Result<OptimizePlan> planOptimization(const Study &study, const std::vector<Example> &train, const PlanInputs &inputs,
                                      const PriceTable &prices)
{
    const OptimizerConfig &c = study.optimizer;
    // Frozen stages get no proposals or reflections; the presets count the others.
    const std::size_t predictors = study.program.tunableCount();
    if (train.empty())
        return Error::make(ErrorKind::Data, "the study has no training rows to optimize on");
    if (study.program.predictors.empty())
        return configError("the program has no predictors");
    if (auto tunable = checkTunable(study.program, c.name); !tunable)
        return tunable.error();

    OptimizePlan plan;
    plan.optimizer = c.name;
    plan.trainRows = train.size();
    plan.valRows = inputs.valRows;
    Result<std::size_t> taskDemos = std::size_t{0};
    if (c.name == "labeled")
        taskDemos = planLabeled(c, plan);
    else if (c.name == "bootstrap")
        taskDemos = planBootstrap(c, plan);
    else if (c.name == "miprov2")
        taskDemos = planMipro(c, predictors, plan);
    else if (c.name == "gepa")
        taskDemos = planGepa(c, predictors, plan);
    else if (c.name == "random_search")
        taskDemos = planRandomSearch(c, predictors, plan);
    else
        return configError("unknown optimizer '" + c.name + "' (miprov2, gepa, bootstrap, labeled or random_search)");
    if (!taskDemos)
        return taskDemos.error();
    plan.evaluationRuns = plan.trialRuns + plan.fullEvalRuns;
    plan.proposerCalls = plan.datasetCalls + plan.descriptionCalls + plan.instructionCalls;
    if (inputs.compareOnTest && inputs.testRows > 0) {
        plan.testRows = inputs.testRows;
        plan.testRuns = 2 * asCount(inputs.testRows); // the baseline, then the result unless it is the baseline
    }
    if (auto costed = costPlan(study, train, taskDemos.value(), prices, plan); !costed)
        return costed.error();
    const int threads = std::max(1, inputs.threads);
    plan.seconds = estimateSeconds(plan.task, study.taskModel, threads)
                   + estimateSeconds(plan.proposer, study.proposerModel, threads)
                   + estimateSeconds(plan.reflection, study.reflectionModel, 1)
                   + estimateSeconds(plan.judge, study.judgeModel, threads);
    return plan;
}

std::string describeAutoPreset(const std::string &preset, const Study &study, std::size_t trainRows,
                               std::size_t valRows)
{
    const AutoPreset *table = autoPreset(preset);
    if (!table)
        return {};
    OptimizerConfig config = study.optimizer;
    config.autoMode = preset;
    config.numTrials.reset();
    config.numCandidates.reset();
    auto resolved = resolveMiproSettings(config, static_cast<int>(study.program.tunableCount()));
    if (!resolved)
        return preset + ": " + resolved.error().message;
    const MiproSettings &s = resolved.value();

    std::string text =
        s.zeroShot ? fmt::format("{}: {} instruction candidates per predictor (zero-shot: no demo sets), {} trials",
                                 preset, s.numInstructCandidates, s.numTrials)
                   : fmt::format("{}: {} demo sets and {} instruction candidates per predictor, {} trials", preset,
                                 s.numFewshotCandidates, s.numInstructCandidates, s.numTrials);
    text += fmt::format("; the validation set is cut to at most {} rows", table->valSize);
    const std::size_t val = std::min(valRows > 0 ? valRows : trainRows / 2, static_cast<std::size_t>(table->valSize));
    if (miproUsesMinibatches(config, s, val))
        text += fmt::format("; trials score minibatches of {} rows, with a full evaluation every {} trials",
                            config.minibatchSize, config.minibatchFullEvalSteps);
    else
        text +=
            fmt::format("; with {} validation rows (minibatches need more than {}) every trial is a full evaluation",
                        val, std::max(kAutoMinibatchThreshold, config.minibatchSize));
    return text + ".";
}

} // namespace prism
