#include "engine/runplan.h"

#include "adapter/adapter.h"
#include "optimize/labeled_fewshot.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>

namespace {

// Sizes of the proposer's prompts and answers (characters), guessed from
// DSPy's grounded-proposer templates (optimize/proposer.*): each call is a
// fixed instruction text plus what it is shown.
constexpr std::size_t kDescriptorChars = 1100;     // DatasetDescriptor, plus the example batch
constexpr std::size_t kSummarizerChars = 2400;     // ObservationSummarizer with the observations
constexpr std::size_t kDescriptionChars = 1000;    // DescribeProgram / DescribeModule, plus the program code
constexpr std::size_t kInstructionChars = 3200;    // GenerateSingleModuleInstruction with summary, descriptions, tip
constexpr std::size_t kProposerAnswerChars = 400;  // a description, an observation or an instruction
constexpr std::size_t kExampleReprOverhead = 40;   // "Example({...}) (input_keys={...})"
constexpr int kMaxDescriptorCalls = 10;            // MIPROV2.md (c): at most 10 descriptor calls
constexpr int kProposalDemos = 3;                  // task demos shown per instruction proposal

// Per call of an in-process simulator, and per HTTP request before its tokens.
constexpr double kSimSecondsPerCall = 0.002;
constexpr double kHttpSecondsPerCall = 0.6;
constexpr double kHttpCompletionTokensPerSecond = 60.0;

prism::Error configError(std::string message)
{
    return prism::Error::make(prism::ErrorKind::Config, std::move(message));
}

// The average prompt of one task call: each predictor rendered by the study's
// adapter for the first training row with `demos` labeled demos.
prism::Result<std::size_t> promptCharsPerCall(const prism::Study &study, const std::vector<prism::Example> &train,
                                              std::size_t demos)
{
    const auto adapter = prism::makeAdapter(study.eval.adapter);
    if (!adapter)
        return configError("unknown adapter '" + study.eval.adapter + "' in the study's eval settings (chat or json)");
    const auto &predictors = study.program.predictors;
    if (predictors.empty())
        return configError("the program has no predictors");
    std::size_t total = 0;
    for (const auto &predictor : predictors) {
        const prism::Signature signature = predictor.effectiveSignature();
        std::vector<prism::Demo> shown;
        for (std::size_t i = 0; i < std::min(demos, train.size()); ++i)
            shown.push_back(prism::labeledDemo(predictor, train[i]));
        prism::Fields inputs;
        for (const auto &field : signature.inputs) {
            const prism::Value *value = train.empty() ? nullptr : train.front().values.find(field.name);
            // What an earlier stage produces is only known at run time.
            inputs.set(field.name, value ? *value : prism::Value("{" + field.name + "}"));
        }
        for (const auto &message : adapter->format(signature, shown, inputs))
            total += message.content.size();
    }
    return total / predictors.size();
}

// How long a row looks in the proposer's dataset view, averaged over a few rows.
std::size_t exampleReprChars(const std::vector<prism::Example> &train)
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

void addCalls(prism::CostEstimate &estimate, long long calls, std::size_t promptChars, std::size_t completionChars)
{
    estimate.calls += calls;
    estimate.promptTokens += calls * prism::estimateTokens(promptChars);
    estimate.completionTokens += calls * prism::estimateTokens(completionChars);
}

double secondsFor(const prism::CostEstimate &estimate, const prism::ModelConfig &model, int threads)
{
    if (estimate.calls == 0)
        return 0.0;
    const int parallel = std::max(1, std::min(threads, model.maxConcurrency));
    double perCall = kSimSecondsPerCall;
    if (model.provider != "simlm")
        perCall = kHttpSecondsPerCall + static_cast<double>(estimate.completionTokens) / static_cast<double>(estimate.calls) /
                                            kHttpCompletionTokensPerSecond;
    return static_cast<double>(estimate.calls) * perCall / parallel;
}

} // namespace

prism::CostEstimate RunPlan::total() const
{
    prism::CostEstimate sum = task;
    sum += proposer;
    return sum;
}

prism::Result<RunPlan> planRun(const prism::Study &study, const std::vector<prism::Example> &train, std::size_t valRows,
                               const prism::PriceTable &prices, int threads)
{
    const prism::OptimizerConfig &c = study.optimizer;
    const auto predictors = static_cast<long long>(study.program.predictors.size());
    if (train.empty())
        return prism::Error::make(prism::ErrorKind::Data, "the study has no training rows to optimize on");

    RunPlan plan;
    plan.optimizer = c.name;
    plan.trainRows = train.size();
    plan.valRows = valRows;
    std::size_t taskDemos = 0; // demos in a typical task prompt
    std::size_t descriptorCalls = 0;
    std::size_t descriptionCalls = 0;
    std::size_t instructionCalls = 0;

    if (c.name == "labeled") {
        if (c.maxLabeledDemos < 0)
            return configError("labeled: max_labeled_demos must be 0 or more");
        taskDemos = static_cast<std::size_t>(c.maxLabeledDemos);
        plan.evaluationRuns = valRows > 0 ? 2 * static_cast<long long>(valRows) : 0; // the student and the result
    } else if (c.name == "bootstrap") {
        if (c.maxBootstrappedDemos < 0 || c.maxLabeledDemos < 0 || c.maxRounds < 1)
            return configError("bootstrap: max_bootstrapped_demos and max_labeled_demos must be 0 or more and "
                               "max_rounds at least 1");
        taskDemos = static_cast<std::size_t>(std::max(c.maxLabeledDemos, c.maxBootstrappedDemos));
        if (c.maxBootstrappedDemos > 0)
            plan.bootstrapRuns = static_cast<long long>(train.size()) * c.maxRounds;
        plan.evaluationRuns = valRows > 0 ? 2 * static_cast<long long>(valRows) : 0;
    } else if (c.name == "miprov2") {
        auto resolved = prism::resolveMiproSettings(c, static_cast<int>(predictors));
        if (!resolved)
            return resolved.error();
        const prism::MiproSettings &s = resolved.value();
        plan.mipro = s;
        // Without a valset MIPROv2 validates on half of the trainset.
        if (valRows == 0) {
            plan.valRows = train.size() / 2;
            plan.trainRows = train.size() - plan.valRows;
        }
        if (s.valSize)
            plan.valRows = std::min(plan.valRows, static_cast<std::size_t>(*s.valSize));
        const bool wanted = s.autoMode ? plan.valRows > static_cast<std::size_t>(prism::kAutoMinibatchThreshold) : c.minibatch;
        plan.minibatch = wanted && plan.valRows > static_cast<std::size_t>(c.minibatchSize);
        const auto V = static_cast<long long>(plan.valRows);
        const long long trials = s.numTrials;
        if (plan.minibatch) {
            plan.fullEvals = static_cast<int>((trials + c.minibatchFullEvalSteps - 1) / c.minibatchFullEvalSteps);
            plan.evaluationRuns = V + trials * c.minibatchSize + plan.fullEvals * V;
        } else {
            plan.evaluationRuns = (trials + 1) * V;
        }
        const int sets = s.numFewshotCandidates;
        const bool bootstraps = !s.zeroShot && !s.labeledOnly && (sets >= 3 || (sets >= 2 && c.maxLabeledDemos == 0));
        if (bootstraps)
            plan.bootstrapRuns = static_cast<long long>(plan.trainRows) * c.maxRounds;
        if (!s.zeroShot)
            taskDemos = static_cast<std::size_t>(std::max(c.maxLabeledDemos, c.maxBootstrappedDemos));
        if (c.dataAwareProposer) {
            const std::size_t batches = (plan.trainRows + static_cast<std::size_t>(c.viewDataBatchSize) - 1) /
                                        static_cast<std::size_t>(c.viewDataBatchSize);
            descriptorCalls = std::min<std::size_t>(batches, kMaxDescriptorCalls);
        }
        if (c.programAwareProposer)
            descriptionCalls = 1 + static_cast<std::size_t>(predictors);
        instructionCalls = static_cast<std::size_t>(s.numInstructCandidates - 1) * static_cast<std::size_t>(predictors);
    } else {
        return configError("unknown optimizer '" + c.name + "' (miprov2, bootstrap or labeled)");
    }

    auto promptChars = promptCharsPerCall(study, train, taskDemos);
    if (!promptChars)
        return promptChars.error();
    const std::size_t completionChars = prism::defaultCompletionChars(study.program);
    addCalls(plan.task, (plan.bootstrapRuns + plan.evaluationRuns) * predictors, promptChars.value(), completionChars);
    plan.task.dollars = prices.dollars(study.taskModel.model, plan.task.promptTokens, plan.task.completionTokens);

    const std::size_t exampleChars = exampleReprChars(train);
    if (descriptorCalls > 0) {
        addCalls(plan.proposer, static_cast<long long>(descriptorCalls),
                 kDescriptorChars + static_cast<std::size_t>(c.viewDataBatchSize) * exampleChars, kProposerAnswerChars);
        addCalls(plan.proposer, 1, kSummarizerChars, kProposerAnswerChars);
    }
    addCalls(plan.proposer, static_cast<long long>(descriptionCalls), kDescriptionChars + promptChars.value(),
             kProposerAnswerChars);
    addCalls(plan.proposer, static_cast<long long>(instructionCalls),
             kInstructionChars + (c.fewshotAwareProposer ? kProposalDemos * exampleChars : 0), kProposerAnswerChars);
    plan.proposerCalls = plan.proposer.calls;
    plan.proposer.dollars =
        prices.dollars(study.proposerModel.model, plan.proposer.promptTokens, plan.proposer.completionTokens);

    plan.seconds = secondsFor(plan.task, study.taskModel, threads) + secondsFor(plan.proposer, study.proposerModel, threads);
    return plan;
}

std::string describeAutoPreset(const std::string &preset, const prism::Study &study, std::size_t trainRows,
                               std::size_t valRows)
{
    const prism::AutoPreset *table = prism::autoPreset(preset);
    if (!table)
        return {};
    prism::OptimizerConfig config = study.optimizer;
    config.autoMode = preset;
    config.numTrials.reset();
    config.numCandidates.reset();
    auto resolved = prism::resolveMiproSettings(config, static_cast<int>(study.program.predictors.size()));
    if (!resolved)
        return preset + ": " + resolved.error().message;
    const prism::MiproSettings &s = resolved.value();

    std::string text = s.zeroShot
        ? fmt::format("{}: {} instruction candidates per predictor (zero-shot: no demo sets), {} trials", preset,
                      s.numInstructCandidates, s.numTrials)
        : fmt::format("{}: {} demo sets and {} instruction candidates per predictor, {} trials", preset,
                      s.numFewshotCandidates, s.numInstructCandidates, s.numTrials);
    text += fmt::format("; the validation set is cut to at most {} rows", table->valSize);
    const std::size_t val = std::min(valRows > 0 ? valRows : trainRows / 2, static_cast<std::size_t>(table->valSize));
    if (val > static_cast<std::size_t>(prism::kAutoMinibatchThreshold) && val > static_cast<std::size_t>(config.minibatchSize))
        text += fmt::format("; trials score minibatches of {} rows, with a full evaluation every {} trials",
                            config.minibatchSize, config.minibatchFullEvalSteps);
    else
        text += fmt::format("; with {} validation rows (minibatches need more than {}) every trial is a full evaluation",
                            val, std::max(prism::kAutoMinibatchThreshold, config.minibatchSize));
    return text + ".";
}
