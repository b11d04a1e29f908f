// prism runs, prism resume, prism export: the run store from the command line.
#include "cli.h"
#include "options.h"

#include "artifact/artifact.h"
#include "artifact/program_file.h"
#include "artifact/prompt_export.h"
#include "core/json.h"
#include "core/pg_db.h"
#include "core/study.h"
#include "events/event_codec.h"
#include "run/run_controller.h"
#include "run/run_store.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>

namespace prism::cli {

namespace {

int loadFailure(const Error &error)
{
    printError(error.message);
    return ExitLoad;
}

std::string scoreCell(std::optional<double> v)
{
    return v ? fmt::format("{:.2f}%", *v) : std::string("-");
}

std::string padRight(const std::string &text, std::size_t width)
{
    const std::size_t w = displayWidth(text);
    return w >= width ? text : text + std::string(width - w, ' ');
}

// RFC 4180: quote a cell that holds a comma, a quote or a line break.
std::string csvCell(const std::string &text)
{
    if (text.find_first_of(",\"\r\n") == std::string::npos)
        return text;
    std::string out = "\"";
    for (char c : text)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string trialsCsv(const std::vector<TrialRecord> &trials)
{
    std::string out = "trial,kind,config_key,config,score,scored,errors,examples,new_calls,memo_hits,state,error\r\n";
    for (const auto &t : trials) {
        out += std::to_string(t.trial) + "," + csvCell(t.kind) + "," + csvCell(t.configKey) + ","
               + csvCell(t.configJson) + "," + (t.score ? fmt::format("{}", *t.score) : std::string()) + ","
               + std::to_string(t.scored) + "," + std::to_string(t.errors) + "," + std::to_string(t.examples) + ","
               + std::to_string(t.newCalls) + "," + std::to_string(t.memoHits) + "," + csvCell(t.state) + ","
               + csvCell(t.error) + "\r\n";
    }
    return out;
}

} // namespace

namespace {

// What runs, resume and export share: --store PATH and one RUN_ID.
struct StoreArgs {
    std::optional<std::string> storePath;
    std::vector<std::string> positional;
};

void addStoreArgs(CommandLine &line, StoreArgs &args)
{
    line.text("--store", args.storePath);
    line.positionals(args.positional);
}

// The store of an existing run: a --store path that is not there is a typo,
// not a new empty store to leave behind (issue 13 item 13).
Result<std::shared_ptr<RunStore>> openStoreOfRun(const StoreArgs &args)
{
    std::error_code ec;
    if (args.storePath && !pg::isUrl(*args.storePath) && !std::filesystem::exists(*args.storePath, ec))
        return Error::make(ErrorKind::Io, "no run " + args.positional.front() + ": the run store " + *args.storePath
                                              + " does not exist (give the --store the run was started with)");
    return openRunStore(args.storePath.value_or(""));
}

} // namespace

std::string runsUsage()
{
    return "usage: prism runs [--json] [--store PATH]\n"
           "\n"
           "Lists the runs in the run store, newest first: id, when it was created,\n"
           "study, optimizer, seed, status, best validation score and stop reason.\n"
           "\n"
           "Options:\n"
           "  --json         print a JSON array\n"
           "  --store PATH   the run store: a file, or a postgresql:// URL\n"
           "                 (default: $PRISM_STORE, else runs.sqlite in the data directory)\n";
}

std::string resumeUsage()
{
    return "usage: prism resume RUN_ID [--threads N] [--out FILE] [--events FILE.jsonl] [--json]\n"
           "                          [--store PATH] [model options] [--quiet] [--verbose]\n"
           "\n"
           "Continues a run that was cancelled or whose process died. The run is replayed\n"
           "from its start with the answers recorded in the run store, so nothing already\n"
           "paid for is called again and the result equals that of an uninterrupted run.\n"
           "The study snapshot, models, budget, cache setting and test-split comparison\n"
           "(on unless the run was started with --no-compare) of the run are reused;\n"
           "the data files must be unchanged.\n"
           "\n"
           "Options: as for `prism optimize` (--threads does not change the result;\n"
           "without it the run's own thread count is used).\n"
           "\n"
           + modelFlagsHelp(ModuleFlag::Refused)
           + "\n"
             "Model options replace those the run was started with, for this session only\n"
             "(a later resume without them uses the run's own again). The journal answers\n"
             "a call only when provider, base URL and model are the ones it was recorded\n"
             "with: after --provider, --base-url or --model, calls are made (and paid for)\n"
             "again, the result is that of the new model and the run's events from the\n"
             "first difference on are recorded again. --timeout, --concurrency,\n"
             "--api-key-env and --no-cache change nothing in the result.\n";
}

std::string exportUsage()
{
    return "usage: prism export RUN_ID [--out FILE] [--events FILE.jsonl] [--prompt FILE.txt]\n"
           "                          [--messages FILE.json] [--trials FILE.csv] [--store PATH]\n"
           "\n"
           "Writes what a run produced: the compiled program in DSPy's format (to FILE,\n"
           "or stdout without --out), and optionally its event log (one JSON line per\n"
           "event), its rendered prompt (plain text, or chat messages JSON) and its\n"
           "trial table (CSV).\n";
}

int runRunsCommand(const std::vector<std::string> &args)
{
    StoreArgs storeArgs;
    OutputFlags output;
    CommandLine line("runs", runsUsage());
    addOutputFlags(line, output, JsonFlag);
    addStoreArgs(line, storeArgs);
    if (auto stop = line.parse(args))
        return *stop;
    if (!storeArgs.positional.empty())
        return line.fail("runs takes no arguments, got '" + storeArgs.positional.front() + "'");
    auto store = openRunStore(storeArgs.storePath.value_or(""));
    if (!store)
        return loadFailure(store.error());
    auto runs = store.value()->listRuns();
    if (!runs)
        return loadFailure(runs.error());

    std::string text;
    if (output.json) {
        Json out = Json::array();
        for (const auto &r : runs.value()) {
            Json j = Json::object();
            j["id"] = r.id;
            j["created_at"] = r.createdAt;
            j["finished_at"] = r.finishedAt.empty() ? Json(nullptr) : Json(r.finishedAt);
            j["study"] = r.studyName;
            j["study_path"] = r.studyPath;
            j["optimizer"] = r.optimizer;
            j["seed"] = r.seed;
            j["status"] = runStatusName(r.status);
            j["baseline_score"] = r.baselineScore ? Json(*r.baselineScore) : Json(nullptr);
            j["best_score"] = r.bestScore ? Json(*r.bestScore) : Json(nullptr);
            j["stop_reason"] = r.stopReason.text();
            j["sessions"] = r.sessions;
            out.push_back(j);
        }
        text = out.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
    } else if (runs->empty()) {
        text = "No runs in " + store.value()->path() + "\n";
    } else {
        const std::vector<std::string> header = {"ID",   "CREATED", "STUDY", "OPTIMIZER",
                                                 "SEED", "STATUS",  "BEST",  "STOP REASON"};
        std::vector<std::vector<std::string>> rows;
        for (const auto &r : runs.value())
            rows.push_back({r.id, r.createdAt, tableCell(r.studyName, 32), r.optimizer, std::to_string(r.seed),
                            runStatusName(r.status), scoreCell(r.bestScore), tableCell(r.stopReason.text(), 40)});
        std::vector<std::size_t> widths(header.size());
        for (std::size_t c = 0; c < header.size(); ++c) {
            widths[c] = displayWidth(header[c]);
            for (const auto &row : rows)
                widths[c] = std::max(widths[c], displayWidth(row[c]));
        }
        auto line = [&](const std::vector<std::string> &cells) {
            std::string l;
            for (std::size_t c = 0; c < cells.size(); ++c)
                l += c + 1 == cells.size() ? cells[c] : padRight(cells[c], widths[c]) + "  ";
            return l + "\n";
        };
        text = line(header);
        for (const auto &row : rows)
            text += line(row);
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    return ExitOk;
}

int runResumeCommand(const std::vector<std::string> &args)
{
    StoreArgs storeArgs;
    RunFlags run;
    ModelFlags model;
    OutputFlags output;
    CommandLine line("resume", resumeUsage());
    addRunFlags(line, run, ThreadsFlag);
    addOutputFlags(line, output, OutFlag | EventsFlag | JsonFlag | QuietFlag | VerboseFlag);
    addModelFlags(line, model, ModuleFlag::Refused);
    addStoreArgs(line, storeArgs);
    if (auto stop = line.parse(args))
        return *stop;
    if (storeArgs.positional.size() != 1)
        return line.fail(storeArgs.positional.empty() ? "resume needs a RUN_ID (see `prism runs`)"
                                                      : "resume takes one RUN_ID");
    ResumeSettings settings;
    settings.threads = run.threads;
    settings.models = model.overrides;
    settings.noCache = model.noCache;
    setupLogging(output.verbose);
    RunOutputOptions outputOptions;
    outputOptions.outPath = output.out.value_or("");
    outputOptions.eventsPath = output.events.value_or("");
    outputOptions.json = output.json;
    outputOptions.quiet = output.quiet;
    // Every file the run will write, before it costs a call (issue 13 item 8).
    if (auto stop = checkOutputPaths({output.out, output.events}))
        return *stop;

    auto store = openStoreOfRun(storeArgs);
    if (!store)
        return loadFailure(store.error());
    const std::string runId = storeArgs.positional.front();
    RunController controller(store.value());
    controller.setMetricFactory(studyMetric);
    return driveRun(controller, outputOptions, [&]() { return controller.resume(runId, settings); });
}

int runExportCommand(const std::vector<std::string> &args)
{
    StoreArgs storeArgs;
    OutputFlags output;
    std::optional<std::string> promptPath;
    std::optional<std::string> messagesPath;
    std::optional<std::string> trialsPath;
    CommandLine line("export", exportUsage());
    addOutputFlags(line, output, OutFlag | EventsFlag);
    line.text("--prompt", promptPath);
    line.text("--messages", messagesPath);
    line.text("--trials", trialsPath);
    addStoreArgs(line, storeArgs);
    if (auto stop = line.parse(args))
        return *stop;
    if (storeArgs.positional.size() != 1)
        return line.fail(storeArgs.positional.empty() ? "export needs a RUN_ID (see `prism runs`)"
                                                      : "export takes one RUN_ID");
    const std::string runId = storeArgs.positional.front();
    // All of them before any is written: a bad last path does not leave the first ones behind.
    if (auto stop = checkOutputPaths({output.out, output.events, promptPath, messagesPath, trialsPath}))
        return *stop;
    auto store = openStoreOfRun(storeArgs);
    if (!store)
        return loadFailure(store.error());
    auto run = store.value()->loadRun(runId);
    if (!run)
        return loadFailure(run.error());
    auto artifact = store.value()->artifact(runId);
    if (!artifact)
        return loadFailure(artifact.error());

    auto write = [](const std::string &path, const std::string &content) -> int {
        if (auto w = writeFileAtomic(path, content); !w) {
            printError(w.error().message);
            return ExitLoad;
        }
        return ExitOk;
    };
    if (const auto &path = output.events) {
        auto events = store.value()->events(runId);
        if (!events)
            return loadFailure(events.error());
        std::string text;
        for (const auto &e : events.value())
            text += toJsonLine(e) + "\n";
        if (int rc = write(*path, text); rc != ExitOk)
            return rc;
    }
    if (const auto &path = trialsPath) {
        auto trials = store.value()->trials(runId);
        if (!trials)
            return loadFailure(trials.error());
        if (int rc = write(*path, trialsCsv(trials.value())); rc != ExitOk)
            return rc;
    }
    const bool wantsPrompt = promptPath || messagesPath;
    const bool anyFile = wantsPrompt || output.out || output.events || trialsPath;
    if (artifact->empty()) {
        if (wantsPrompt || output.out || !anyFile) {
            printError("run " + runId + " has no artifact (status " + runStatusName(run->status) + ")");
            return ExitLoad;
        }
        return ExitOk;
    }
    if (wantsPrompt) {
        auto study = studyFromJsonText(run->studyJson, "run " + runId + " (study snapshot)");
        if (!study)
            return loadFailure(study.error());
        auto loaded = loadProgramText(artifact.value(), "run " + runId + " artifact", study->program);
        if (!loaded)
            return loadFailure(loaded.error());
        auto adapter = makeAdapter(study->eval.adapter);
        // No example: the inputs show as {field} placeholders.
        if (const auto &path = promptPath)
            if (int rc = write(*path, renderPromptText(loaded->program, Fields(), *adapter)); rc != ExitOk)
                return rc;
        if (const auto &path = messagesPath)
            if (int rc = write(*path, renderPromptMessagesJson(loaded->program, Fields(), *adapter)); rc != ExitOk)
                return rc;
    }
    if (const auto &path = output.out)
        return write(*path, artifact.value());
    if (!anyFile)
        std::fwrite(artifact->data(), 1, artifact->size(), stdout);
    return ExitOk;
}

} // namespace prism::cli
