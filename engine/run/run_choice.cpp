#include "run/run_choice.h"

#include "artifact/artifact.h"
#include "core/study.h"
#include "optimize/scoring.h"
#include "run/run_store.h"

#include <map>

namespace prism {

namespace {

// What the choice reads of a run: its record, its study snapshot, its events.
struct RunSnapshot {
    RunRecord run;
    Study study;
    std::vector<RunEvent> events;
};

Result<RunSnapshot> loadSnapshot(RunStore &store, const std::string &runId)
{
    auto run = store.loadRun(runId);
    if (!run)
        return run.error();
    auto study = studyFromJsonText(run->studyJson, "the study snapshot of run " + runId);
    if (!study)
        return study.error();
    auto events = store.events(runId);
    if (!events)
        return events.error();
    return RunSnapshot{std::move(*run), std::move(*study), std::move(*events)};
}

Result<Program> programOf(const RunSnapshot &snapshot, const std::vector<ConfigChoice> &config)
{
    const std::string &runId = snapshot.run.id;
    std::map<std::pair<std::string, std::size_t>, std::string> instructions;
    std::map<std::pair<std::string, std::size_t>, std::vector<Demo>> demoSets;
    for (const RunEvent &e : snapshot.events) {
        if (const auto *p = std::get_if<InstructionProposedEvent>(&e.payload))
            instructions[{p->predictor, p->index}] = p->text;
        else if (const auto *d = std::get_if<DemoSetReadyEvent>(&e.payload))
            demoSets[{d->predictor, d->index}] = d->demos;
    }
    Program program = snapshot.study.program;
    for (const ConfigChoice &c : config) {
        Predictor *p = program.find(c.predictor);
        auto instruction = instructions.find({c.predictor, static_cast<std::size_t>(c.instruction)});
        if (!p || instruction == instructions.end())
            return Error::make(ErrorKind::Data, "run " + runId + ": predictor '" + c.predictor + "' has no instruction "
                                                    + std::to_string(c.instruction));
        p->signature.instruction = instruction->second;
        if (c.demos) {
            auto demos = demoSets.find({c.predictor, static_cast<std::size_t>(*c.demos)});
            if (demos == demoSets.end())
                return Error::make(ErrorKind::Data, "run " + runId + ": predictor '" + c.predictor
                                                        + "' has no demo set " + std::to_string(*c.demos));
            p->demos = demos->second;
        }
    }
    return program;
}

} // namespace

Result<Program> programOfConfig(RunStore &store, const std::string &runId, const std::vector<ConfigChoice> &config)
{
    auto snapshot = loadSnapshot(store, runId);
    if (!snapshot)
        return snapshot.error();
    return programOf(*snapshot, config);
}

Result<ProgramChosenEvent> chooseRunProgram(RunStore &store, const std::string &runId,
                                            const std::vector<ConfigChoice> &config, const std::string &by)
{
    auto snapshot = loadSnapshot(store, runId);
    if (!snapshot)
        return snapshot.error();
    if (snapshot->run.status != RunStatus::Finished)
        return Error::make(ErrorKind::Config, "run " + runId
                                                  + " has not finished: only a finished run's program can be "
                                                    "chosen (a resume would replace it)");
    auto program = programOf(*snapshot, config);
    if (!program)
        return program.error();
    const std::vector<RunEvent> &events = snapshot->events;

    ProgramChosenEvent chosen;
    chosen.config = config;
    chosen.configKey = configKeyOf(config);
    chosen.by = by;
    for (const RunEvent &e : events) {
        if (const auto *full = std::get_if<FullEvalFinishedEvent>(&e.payload);
            full && full->configKey == chosen.configKey)
            chosen.score = full->score;
        if (const auto *best = std::get_if<BestUpdatedEvent>(&e.payload))
            chosen.replaced = best->configKey;
        if (const auto *earlier = std::get_if<ProgramChosenEvent>(&e.payload))
            chosen.replaced = earlier->configKey;
    }

    auto text = store.artifact(runId);
    if (!text)
        return text.error();
    std::optional<ArtifactInfo> info;
    if (!text->empty()) {
        auto loaded = loadDspyProgram(*text, "the artifact of run " + runId, snapshot->study.program);
        if (!loaded)
            return loaded.error();
        info = loaded->info;
    }
    if (!info)
        info = artifactInfoFromStudy(snapshot->study);
    info->optimizedScore = chosen.score;
    // The test comparison measured the replaced program: compare again for this one.
    info->splitScores.erase("test");
    info->chosenBy = by;
    info->chosenConfigKey = chosen.configKey;
    info->replacedConfigKey = chosen.replaced;
    if (auto saved = store.setArtifact(runId, programToDspyJson(*program, info)); !saved)
        return saved.error();

    auto last = store.lastSeq(runId);
    if (!last)
        return last.error();
    RunEvent event;
    event.seq = *last + 1;
    event.payload = chosen;
    if (!events.empty())
        event.elapsedSeconds = events.back().elapsedSeconds;
    if (auto appended = store.appendEvent(runId, event); !appended)
        return appended.error();
    return chosen;
}

} // namespace prism
