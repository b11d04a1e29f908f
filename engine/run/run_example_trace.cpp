#include "run/run_example_trace.h"

#include "eval/lm_judge.h"

#include "adapter/adapter.h"
#include "core/json.h"
#include "modelsetup/lm_setup.h"
#include "run/run_store.h"

#include <nlohmann/json.hpp>

namespace prism {

namespace {

std::string textAt(const Json &object, const char *key)
{
    return object.contains(key) && object[key].is_string() ? object[key].get<std::string>() : std::string();
}

// The run's task model: the snapshot's entry with the launch's overrides (as resume reads them).
ModelConfig runTaskConfig(const Study &study, const std::string &optionsJson)
{
    const Json options = Json::parse(optionsJson, nullptr, false);
    ModelOverrides overrides;
    if (options.is_object() && options.contains("model_overrides") && options["model_overrides"].is_object()) {
        const Json &m = options["model_overrides"];
        overrides.provider = providerFromName(textAt(m, "provider"));
        overrides.baseUrl = textAt(m, "base_url");
        overrides.model = textAt(m, "model");
    }
    return applyOverrides(study.taskModel, overrides);
}

// The study's program with the config's instruction candidates and demo sets.
Result<Program> configProgram(RunStore &store, const std::string &runId, const Program &base,
                              const std::string &configKey)
{
    auto trials = store.trials(runId);
    if (!trials)
        return trials.error();
    const TrialRecord *trial = nullptr;
    for (const auto &t : *trials)
        if (t.configKey == configKey)
            trial = &t;
    if (!trial)
        return Error::make(ErrorKind::Data, "run " + runId + " has no trial of config " + configKey);
    auto candidates = store.candidates(runId);
    if (!candidates)
        return candidates.error();
    auto demoSets = store.demoSets(runId);
    if (!demoSets)
        return demoSets.error();
    Program program = base;
    for (const ConfigChoice &choice : trial->config) {
        Predictor *p = program.find(choice.predictor);
        if (!p)
            return Error::make(ErrorKind::Data, "run " + runId + ": config " + configKey + " names predictor '"
                                                    + choice.predictor + "', which the study does not have");
        bool found = false;
        for (const auto &c : *candidates)
            if (c.predictor == choice.predictor && c.index == choice.instruction) {
                p->signature.instruction = c.text;
                found = true;
            }
        if (!found)
            return Error::make(ErrorKind::Data, "run " + runId + ": instruction " + std::to_string(choice.instruction)
                                                    + " of '" + choice.predictor + "' is not in the run store");
        if (!choice.demos)
            continue; // zero-shot search: the study's demos stay
        const DemoSetRecord *set = nullptr;
        for (const auto &d : *demoSets)
            if (d.predictor == choice.predictor && d.index == *choice.demos)
                set = &d;
        if (!set)
            return Error::make(ErrorKind::Data, "run " + runId + ": demo set " + std::to_string(*choice.demos) + " of '"
                                                    + choice.predictor + "' is not in the run store");
        const Json demos = Json::parse(set->demosJson, nullptr, false);
        if (!demos.is_array())
            return Error::make(ErrorKind::Data, "run " + runId + ": demo set " + std::to_string(*choice.demos) + " of '"
                                                    + choice.predictor + "' is unreadable");
        p->demos.clear();
        for (const auto &d : demos) {
            auto demo = demoFromJson(d);
            if (!demo)
                return demo.error();
            p->demos.push_back(std::move(*demo));
        }
    }
    return program;
}

} // namespace

Result<RunExampleSetup> prepareRunExample(RunStore &store, const std::string &runId, const std::string &configKey,
                                          int exampleIndex)
{
    auto run = store.loadRun(runId);
    if (!run)
        return run.error();
    auto study = studyFromJsonText(run->studyJson, "run " + runId + " (study snapshot)");
    if (!study)
        return study.error();
    RunExampleSetup setup;
    setup.study = std::move(*study);
    setup.taskConfig = runTaskConfig(setup.study, run->optionsJson);
    const ModelConfig proposerConfig =
        setup.study.proposerModel == setup.study.taskModel ? setup.taskConfig : setup.study.proposerModel;
    setup.judgeConfig = setup.study.judgeModel == setup.study.proposerModel ? proposerConfig : setup.study.judgeModel;
    setup.exampleIndex = exampleIndex;
    auto program = configProgram(store, runId, setup.study.program, configKey);
    if (!program)
        return program.error();
    setup.program = std::move(*program);

    auto results = store.exampleResults(runId, configKey);
    if (!results)
        return results.error();
    const ExampleResultRecord *record = nullptr;
    for (const auto &r : *results)
        if (r.exampleIndex == exampleIndex)
            record = &r;
    const std::string where = "run " + runId + ", config " + configKey + ", example " + std::to_string(exampleIndex);
    if (!record)
        return Error::make(ErrorKind::Data, where + ": the run store has no result for it");
    const Json prediction = Json::parse(record->predictionJson, nullptr, false);
    if (!prediction.is_object() || !prediction.contains("example"))
        return Error::make(ErrorKind::Data, where
                                                + ": the run stored no copy of the example (runs recorded before "
                                                  "traces existed); test the row on the Metric page instead");
    auto example = exampleFromJson(prediction["example"]);
    if (!example)
        return Error::make(ErrorKind::Data, where + ": the stored example is unreadable: " + example.error().message);
    setup.example = std::move(*example);
    if (prediction.contains("values")) {
        auto values = fieldsFromJson(prediction["values"]);
        if (values)
            setup.storedPrediction = std::move(*values);
    }
    setup.storedScore = record->score;
    setup.storedCalls = record->calls;
    return setup;
}

Result<ExampleTrace> replayRunExample(RunStore &store, const std::string &runId, const RunExampleSetup &setup,
                                      const Metric &metric)
{
    auto lm = JournalReplayLm::open(store, runId, lmIdentity(setup.taskConfig));
    if (!lm)
        return lm.error();
    const auto adapter = makeAdapter(setup.study.eval.adapter);
    // The trial runner's call settings: the task model's temperature and token limit.
    CallOptions call;
    call.temperature = setup.taskConfig.temperature;
    call.maxTokens = setup.taskConfig.maxTokens;
    call.role = "evaluation";
    return traceExample(setup.program, setup.example, static_cast<std::size_t>(setup.exampleIndex), **lm, *adapter,
                        metric, call, &setup.study.metric);
}

Result<std::shared_ptr<const Judge>> replayJudge(RunStore &store, const std::string &runId,
                                                 const RunExampleSetup &setup)
{
    if (setup.study.metric.kind != "judge")
        return std::shared_ptr<const Judge>();
    auto lm = JournalReplayLm::open(store, runId, lmIdentity(setup.judgeConfig));
    if (!lm)
        return lm.error();
    return makeLmJudge(setup.study.metric, std::shared_ptr<Lm>(std::move(*lm)), setup.study.eval.adapter,
                       setup.judgeConfig);
}

} // namespace prism
