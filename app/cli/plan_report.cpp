// `prism optimize STUDY --dry-run`: the engine's plan of the run (optimize/plan.h),
// the same figures the Run page's estimate shows, as text or one JSON object.
// No model call, no run, no file: the study and its rows are only read.
#include "cli.h"

#include "core/json.h"
#include "core/study.h"
#include "data/dataset.h"
#include "modelsetup/lm_setup.h"
#include "optimize/plan.h"
#include "optimize/screening.h"
#include "run/run_controller.h"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace prism::cli {

namespace {

Json costJson(const CostEstimate &e)
{
    Json j = Json::object();
    j["calls"] = e.calls;
    j["prompt_tokens"] = e.promptTokens;
    j["completion_tokens"] = e.completionTokens;
    j["dollars"] = e.dollars ? Json(*e.dollars) : Json(nullptr);
    return j;
}

std::string dollarsText(const std::optional<double> &dollars)
{
    return dollars ? fmt::format("${:.4f}", *dollars) : std::string("unknown (no price)");
}

// "165 calls, 52,140 tokens in / 3,300 out, $0.0000"
std::string costText(const CostEstimate &e)
{
    return fmt::format("{} calls, {} tokens in / {} out, {}", withThousands(e.calls), withThousands(e.promptTokens),
                       withThousands(e.completionTokens), dollarsText(e.dollars));
}

// As the Run page words it.
std::string durationText(double seconds)
{
    if (seconds < 1.0)
        return "under a second";
    if (seconds < 90.0)
        return fmt::format("about {} s", std::lround(seconds));
    if (seconds < 5400.0)
        return fmt::format("about {} min", std::lround(seconds / 60.0));
    return fmt::format("about {:.1f} h", seconds / 3600.0);
}

Json planJson(const Study &study, const OptimizePlan &p, int threads)
{
    Json j = Json::object();
    j["study"] = study.name;
    j["optimizer"] = p.optimizer;
    j["seed"] = study.optimizer.seed;
    j["threads"] = threads;
    j["task_model"] = study.taskModel.model;
    j["proposer_model"] = study.proposerModel.model;
    j["rows"] = Json{{"train", p.trainRows}, {"val", p.valRows}, {"test", p.testRows}};
    Json frozen = Json::array();
    for (const auto &predictor : study.program.predictors)
        if (predictor.frozen)
            frozen.push_back(predictor.name);
    j["frozen"] = frozen;
    if (p.optimizer == "miprov2") {
        Json m = Json::object();
        m["auto"] = p.mipro.autoName.empty() ? Json(nullptr) : Json(p.mipro.autoName);
        m["num_trials"] = p.trials;
        m["demo_sets"] = p.mipro.numFewshotCandidates;
        m["instruction_candidates"] = p.mipro.numInstructCandidates;
        m["minibatch"] = p.minibatch;
        m["minibatch_size"] = p.minibatch ? Json(study.optimizer.minibatchSize) : Json(nullptr);
        m["full_evals"] = p.fullEvals;
        j["miprov2"] = m;
    }
    if (p.optimizer == "gepa") {
        const GepaConfig &g = study.optimizer.gepa;
        Json m = Json::object();
        m["auto"] = study.optimizer.autoMode.empty() ? Json(nullptr) : Json(study.optimizer.autoMode);
        m["max_metric_calls"] = p.maxMetricCalls;
        m["budget"] = p.budgetBasis;
        m["max_reflection_calls"] = p.reflectionCalls;
        m["reflection_minibatch_size"] = g.reflectionMinibatchSize;
        m["candidate_selection_strategy"] = gepaSelectionName(g.candidateSelection);
        m["component_selector"] = gepaComponentsName(g.componentSelector);
        m["use_merge"] = g.useMerge;
        j["gepa"] = m;
        j["reflection_model"] = study.reflectionModel.model;
    }
    if (p.optimizer == "random_search") {
        const OptimizerConfig &c = study.optimizer;
        Json m = Json::object();
        m["num_candidates"] = c.numCandidates.value_or(kRandomSearchCandidates);
        m["candidates"] = p.candidates;
        m["stop_at_score"] = c.stopAtScore ? Json(*c.stopAtScore) : Json(nullptr);
        j["random_search"] = m;
    }
    j["program_runs"] = Json{{"bootstrap", p.bootstrapRuns},
                             {"trials", p.trialRuns},
                             {"full_evaluations", p.fullEvalRuns},
                             {"test_comparison", p.testRuns}};
    j["proposer_calls"] = Json{{"dataset_summary", p.datasetCalls},
                               {"descriptions", p.descriptionCalls},
                               {"instructions", p.instructionCalls}};
    // Keyed as `prism optimize --json` reports what a run made.
    Json roles = Json::object();
    if (p.bootstrap.calls > 0)
        roles["bootstrap"] = costJson(p.bootstrap);
    if (p.evaluation().calls > 0)
        roles["evaluation"] = costJson(p.evaluation());
    if (p.test.calls > 0)
        roles["test_comparison"] = costJson(p.test);
    if (p.proposer.calls > 0)
        roles["proposer"] = costJson(p.proposer);
    if (p.reflection.calls > 0)
        roles["reflection"] = costJson(p.reflection);
    if (p.judge.calls > 0) {
        roles["judge"] = costJson(p.judge);
        j["judge_model"] = study.judgeModel.model;
    }
    j["calls_by_role"] = roles;
    j["steps"] = Json{{"bootstrap", costJson(p.bootstrap)},
                      {"trials", costJson(p.trialCost)},
                      {"full_evaluations", costJson(p.fullEvalCost)},
                      {"test_comparison", costJson(p.test)},
                      {"proposer", costJson(p.proposer)}};
    j["task"] = costJson(p.task);
    j["proposer"] = costJson(p.proposer);
    j["total"] = costJson(p.total());
    j["seconds"] = p.seconds;
    return j;
}

std::string planText(const Study &study, const OptimizePlan &p, int threads)
{
    std::string mode = p.optimizer;
    if (p.optimizer == "miprov2")
        mode += p.mipro.autoName.empty() ? std::string(" (manual)") : " (auto " + p.mipro.autoName + ")";
    if (p.optimizer == "gepa" && !study.optimizer.autoMode.empty())
        mode += " (auto " + study.optimizer.autoMode + ")";
    std::string text = fmt::format("Plan for {}: {}, seed {} (a dry run: no model call, no run stored)\n", study.name,
                                   mode, study.optimizer.seed);
    text += fmt::format("  rows        train {}, validation {}, test {}\n", p.trainRows, p.valRows,
                        p.testRows > 0 ? std::to_string(p.testRows) : std::string("not compared"));
    std::string frozen;
    for (const auto &predictor : study.program.predictors)
        if (predictor.frozen)
            frozen += (frozen.empty() ? "" : ", ") + predictor.name;
    if (!frozen.empty())
        text += fmt::format("  frozen      {} (kept as it is: the optimizer varies the other stages)\n", frozen);
    if (p.optimizer == "miprov2") {
        text += fmt::format("  search      {} trials; {} demo sets and {} instruction candidates per predictor; ",
                            p.trials, p.mipro.numFewshotCandidates, p.mipro.numInstructCandidates);
        text += p.minibatch ? fmt::format("minibatches of {}, {} full evaluations\n", study.optimizer.minibatchSize,
                                          p.fullEvals)
                : screenSize(p.valRows) < p.valRows
                    ? fmt::format("the baseline and the first batch score all {} validation rows, later trials "
                                  "a screen of {} first (docs/MIPROV2.md, screening)\n",
                                  p.valRows, screenSize(p.valRows))
                    : fmt::format("every trial scores the {} validation rows\n", p.valRows);
    }
    if (p.optimizer == "random_search") {
        text += fmt::format("  search      {} candidates (zero-shot, labeled, unshuffled and {} shuffled bootstraps), "
                            "each scoring the {} validation rows",
                            p.candidates, p.candidates - 3, p.valRows);
        text += study.optimizer.stopAtScore
                    ? fmt::format("; stops at the first scoring at least {}%\n", *study.optimizer.stopAtScore)
                    : "\n";
    }
    if (p.optimizer == "gepa") {
        text += fmt::format("  budget      {} metric calls ({})\n", withThousands(p.maxMetricCalls), p.budgetBasis);
        text += fmt::format("  runs        up to {} program runs on minibatches and validation rows: {}\n",
                            withThousands(p.trialRuns), costText(p.trialCost));
        text += fmt::format("  reflection  up to {} calls on {}: {}\n", withThousands(p.reflectionCalls),
                            study.reflectionModel.model, costText(p.reflection));
    } else {
        text += fmt::format("  bootstrap   up to {} program runs: {}\n", withThousands(p.bootstrapRuns),
                            costText(p.bootstrap));
        text += fmt::format("  trials      {} validation rows scored: {}\n", withThousands(p.trialRuns),
                            costText(p.trialCost));
    }
    if (p.fullEvalRuns > 0)
        text += fmt::format("  full evals  {} validation rows scored: {}\n", withThousands(p.fullEvalRuns),
                            costText(p.fullEvalCost));
    if (p.testRuns > 0)
        text += fmt::format("  test        {} test rows scored (baseline and result): {}\n", withThousands(p.testRuns),
                            costText(p.test));
    if (p.optimizer != "gepa")
        text += fmt::format("  proposer    {} (dataset summary {}, descriptions {}, instructions {})\n",
                            costText(p.proposer), p.datasetCalls, p.descriptionCalls, p.instructionCalls);
    if (p.judgeCalls > 0)
        text += fmt::format("  judge       up to {} calls on {}, one per scored run: {}\n", withThousands(p.judgeCalls),
                            study.judgeModel.model, costText(p.judge));
    text += fmt::format("  task model  {}: {}\n", study.taskModel.model, costText(p.task));
    text += fmt::format("  total       {}\n", costText(p.total()));
    text +=
        fmt::format("  time        {} with {} thread{}\n", durationText(p.seconds), threads, threads == 1 ? "" : "s");
    text += "Counts are what the optimizer asks for at most: repeated scores, early stops and cached answers cost "
            "no call. Tokens and time are rough guesses.\n";
    return text;
}

} // namespace

int printOptimizePlan(const Study &input, const RunSettings &settings, bool json)
{
    // The overrides RunController::start applies, and the models setupModels resolves.
    Study study = input;
    study.optimizer = runOptimizerConfig(input, settings);
    const ModelConfig task = applyOverrides(study.taskModel, settings.models);
    if (study.reflectionModel == study.proposerModel && study.proposerModel == study.taskModel)
        study.reflectionModel = task;
    if (study.proposerModel == study.taskModel)
        study.proposerModel = task;
    study.taskModel = task;

    auto data = loadStudyData(study);
    if (!data) {
        printError(settings.studyPath + ": " + data.error().message);
        return ExitLoad;
    }
    auto prices = PriceTable::loadDefault();
    if (!prices)
        printError("the price file could not be read; the plan uses the built-in prices: " + prices.error().message);
    PlanInputs inputs;
    inputs.valRows = data->val.examples.size();
    inputs.testRows = data->test.examples.size();
    inputs.compareOnTest = settings.compareOnTest;
    inputs.threads = std::max(1, settings.threads.value_or(study.eval.threads));
    auto plan = planOptimization(study, data->train.examples, inputs, prices ? prices.value() : PriceTable::defaults());
    if (!plan) {
        printError(settings.studyPath + ": " + plan.error().message);
        return ExitLoad;
    }
    const std::string text =
        json ? planJson(study, plan.value(), inputs.threads).dump(2, ' ', false, Json::error_handler_t::replace) + "\n"
             : planText(study, plan.value(), inputs.threads);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return ExitOk;
}

} // namespace prism::cli
