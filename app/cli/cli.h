#pragma once

// Internal to the `prism` command line: the commands and their output.
// Options are parsed in options.h. Not part of the engine.
#include "core/program.h"
#include "core/result.h"
#include "eval/evaluator.h"
#include "lm/budget.h"
#include "lm/ledger.h"
#include "metric/judge.h"

#include <cstddef>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace prism {
class Metric;
struct MetricSpec;
class RunController;
class RunStore;
class RunState;
struct RunEvent;
struct RunSettings;
struct Comparison;
struct Study;
} // namespace prism

namespace prism::cli {

enum ExitCode : int {
    ExitOk = 0,
    ExitStoppedEarly = 1, // the evaluation ran but stopped early (errors or cancel)
    ExitUsage = 2,        // bad flags, unknown command
    ExitLoad = 3,         // a study, dataset, program or model that cannot be loaded or reached
};

std::string mainUsage();
std::string evalUsage();
std::string versionText();

// The study's metric: built-ins, and JavaScript metrics when the scripting
// layer is built (see app/CMakeLists.txt); else makeMetric's error.
// `judge`: studyJudge(study, models) (run/study_judge.h); null for a metric without a judge.
Result<std::unique_ptr<Metric>> studyMetric(const MetricSpec &spec, const Program &program,
                                            std::shared_ptr<const Judge> judge = nullptr);
// Held by main(): the Qt application studyMetric may create is destroyed when
// main returns, not among the static destructors after it (where Qt crashes).
struct ScriptingScope {
    ScriptingScope() = default;
    ~ScriptingScope();
    ScriptingScope(const ScriptingScope &) = delete;
    ScriptingScope &operator=(const ScriptingScope &) = delete;
};

// Prints "prism: error: <message>" as one line on stderr.
void printError(const std::string &message);
// Prints "prism: warning: <message>" as one line on stderr.
void printWarning(const std::string &message);
// loadStudy for a command: the study's warnings (unknown keys) go to stderr.
Result<Study> loadStudyForCommand(const std::string &path);
void setupLogging(bool verbose);

// prism eval: parses args (without the program name and the command), runs
// the evaluation and prints its report; returns the exit code.
int runEvalCommand(const std::vector<std::string> &args);

// A program file of either format (artifact/program_file.h: the loader every
// command and the studio share); what it ignored goes to stderr as warnings.
Result<Program> loadProgramForCommand(const std::string &path, const Program &studyProgram);

// The response cache as one evaluation or run saw it.
struct CacheSummary {
    bool enabled = false;  // answers were looked up in the cache
    bool bypassed = false; // --no-cache: not read, fresh answers stored
    long long hits = 0;
    long long misses = 0;
    std::string problem; // why there is no cache, when it could not be opened
};

// What the eval output shows besides the report itself.
struct EvalContext {
    std::string studyName;
    std::string split;
    std::string model;
    std::string adapter;
    std::vector<std::string> shownFields; // output fields shown as expected / predicted
    int maxErrors = 0;
    std::shared_ptr<const Ledger> ledger; // null: no ledger section
    CacheSummary cache;
    bool stages = false; // a pipeline: --json lists each example's stages (EvalOptions::keepStages)
};

// "LM calls: ..." with the totals, then a table by role and model.
std::string renderLedgerText(const Ledger &ledger);
// "Cache: N hits, M misses" (+ " (no LM calls made)" when every request was a
// hit), "Cache: off (--no-cache) ..." or the problem; empty when nothing to say.
std::string renderCacheLine(const CacheSummary &cache, const LedgerTotals &totals);
Json cacheToJson(const CacheSummary &cache);

// `prism eval`'s reports are built from one piece per example, made as each
// result arrives (EvalOptions::sink), so the results themselves are not kept.
using EvalTextRow = std::vector<std::string>; // #, input, expected, predicted, score, error
EvalTextRow evalTextRow(const EvalContext &context, const ExampleResult &result);
// The text report: a table of `rows` (packCells(evalTextRow(...)) pieces)
// whose column widths fit the header and every row, then the totals.
class PieceSpool;
struct EvalTextTable {
    std::vector<std::size_t> widths; // per column, grown by add()
    void add(const EvalTextRow &row);
};
void writeEvalText(std::FILE *out, const EvalContext &context, const EvalReport &report, PieceSpool &rows,
                   const EvalTextTable &table);
// One entry of --json's "results", pretty-printed as it sits in the document.
std::string evalJsonItem(const EvalContext &context, const ExampleResult &result);
// The --json document, its "results" made of `items` in order.
void writeEvalJson(std::FILE *out, const EvalContext &context, const EvalReport &report, PieceSpool &items);

// A single updating line "eval 12/15" on stderr; silent when disabled.
// advance() may be called from several threads.
class ProgressLine {
public:
    ProgressLine(std::size_t total, bool enabled);
    void advance();
    void finish();

private:
    std::mutex m_mutex;
    std::size_t m_total = 0;
    std::size_t m_done = 0;
    bool m_enabled = false;
};

// The line `prism optimize` prints on stderr for an event (when stderr is not
// a terminal) once state has folded it: "phase: search", "trial 3 (minibatch):
// 62.50%", "best so far: 70.00%", "warning: ..."; empty for events it skips.
std::string progressLine(const RunEvent &event, const RunState &state);

// Text helpers for terminal tables (text.cpp). Widths are terminal columns:
// 0 for combining marks, 2 for East Asian wide characters and emoji, else 1.
std::string oneLine(const std::string &text); // line breaks and tabs as single spaces
// C0/C1 controls, DEL and bidi controls as visible escapes ("\u202e"), bytes
// that are not UTF-8 as "\xff": nothing in a cell can move the cursor or
// reorder the line.
std::string escapeControls(const std::string &text);
std::size_t displayWidth(const std::string &text);
std::string truncateText(const std::string &text, std::size_t maxWidth); // "..." ends a cut
// A table cell from any text: one line, escaped, at most maxWidth columns.
std::string tableCell(const std::string &text, std::size_t maxWidth);
std::string withThousands(long long value);

// --- runs: optimize, resume, compare, runs, export (cmd_optimize.cpp,
// cmd_compare.cpp, cmd_runs.cpp). Each command parses its own args (without
// the program name and the command, see options.h) and prints its own errors.
std::string optimizeUsage();
std::string compareUsage();
std::string runsUsage();
std::string resumeUsage();
std::string exportUsage();
int runOptimizeCommand(const std::vector<std::string> &args);
// optimize --dry-run (plan_report.cpp): the engine's plan of the run the
// study and settings would start, as text or one JSON object on stdout; no
// model call, no run, no file. Returns the exit code.
int printOptimizePlan(const Study &study, const RunSettings &settings, bool json);
int runCompareCommand(const std::vector<std::string> &args);
int runRunsCommand(const std::vector<std::string> &args);
int runResumeCommand(const std::vector<std::string> &args);
int runExportCommand(const std::vector<std::string> &args);
std::string cacheUsage();
int runCacheCommand(const std::vector<std::string> &args);
std::string serveUsage();
int runServeCommand(const std::vector<std::string> &args);

// The run store at path, or the default one when path is empty.
Result<std::shared_ptr<RunStore>> openRunStore(const std::string &path);

// What optimize and resume print and write once the run ends.
struct RunOutputOptions {
    std::string outPath;    // the artifact; "" = artifacts/RUN_ID.json beside the store
    std::string eventsPath; // JSONL event log; "" = none
    bool json = false;
    bool quiet = false;
};
// Adds the progress and event-log listeners, calls start, waits for the run,
// compares on the test split and prints the summary. Returns the exit code.
int driveRun(RunController &controller, const RunOutputOptions &options,
             const std::function<Result<std::string>()> &start);

// Comparison output, shared by compare and optimize.
std::vector<std::string> comparisonShownFields(const Study &study);
std::string renderComparisonText(const Comparison &comparison, const std::string &split,
                                 const std::vector<std::string> &shownFields);

} // namespace prism::cli
