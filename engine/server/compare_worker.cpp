#include "server/compare_worker.h"

#include "artifact/program_file.h"
#include "core/json.h"
#include "run/run_store.h"
#include "run/study_compare.h"
#include "server/upload.h"

#include <nlohmann/json.hpp>

namespace prism {

namespace {

Result<Program> jobProgram(const std::string &text, const std::string &which, const Program &studyProgram)
{
    auto loaded = loadProgramText(text, which + " program", studyProgram);
    if (!loaded)
        return loaded.error();
    return std::move(loaded->program);
}

} // namespace

Result<std::string> runCompareJob(RunStore &store, const CompareJob &job, const CompareWorkOptions &options)
{
    auto run = store.loadRun(job.runId);
    if (!run)
        return run.error();
    auto study = studyFromJsonText(run->studyJson, "run " + job.runId + " (study snapshot)");
    if (!study)
        return study.error();
    auto baseline = jobProgram(job.baselineProgram, "the baseline", study->program);
    if (!baseline)
        return baseline.error();
    auto candidate = jobProgram(job.candidateProgram, "the candidate", study->program);
    if (!candidate)
        return candidate.error();
    auto placed = placeRunFiles(store, job.runId, options.filesDir);
    if (!placed)
        return placed.error();
    const Json launch = Json::parse(run->optionsJson, nullptr, false);
    const auto launchText = [&launch](const char *key) {
        return launch.is_object() && launch.contains(key) && launch[key].is_string() ? launch[key].get<std::string>()
                                                                                     : std::string();
    };
    // Uploaded files are here now; a run queued from the CLI reads where it was queued.
    study->baseDir = placed.value() ? options.filesDir : launchText("base_dir");

    StudyCompareOptions compare;
    compare.split = job.split;
    compare.overrides = runModelOverrides(run.value());
    // As the run reads the response cache, or not (its use_cache setting).
    compare.useCache = !launch.is_object() || !launch.contains("use_cache") || !launch["use_cache"].is_boolean()
                       || launch["use_cache"].get<bool>();
    compare.threads = std::max(1, options.threads.value_or(study->eval.threads));
    compare.cancel = options.cancel;
    compare.scheduler = options.scheduler;
    compare.metricFactory = options.metricFactory;
    compare.where = "run " + job.runId + "'s study";
    auto setup = prepareComparison(study.value(), compare);
    if (!setup)
        return setup.error();
    auto compared = runComparison(setup.value(), baseline.value(), candidate.value());
    if (!compared)
        return compared.error();
    const Json result{{"comparison", comparisonToJson(compared->comparison, job.split)},
                      {"calls", toJson(compared->calls)}};
    return result.dump(-1, ' ', false, Json::error_handler_t::replace);
}

} // namespace prism
