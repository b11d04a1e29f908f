#pragma once

// Internal to the `prism` command line: argument parsing, the eval command
// and its output. Not part of the engine.
#include "core/program.h"
#include "core/result.h"
#include "eval/evaluator.h"

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace prism::cli {

enum ExitCode : int {
    ExitOk = 0,
    ExitStoppedEarly = 1, // the evaluation ran but stopped early (errors or cancel)
    ExitUsage = 2,        // bad flags, unknown command
    ExitLoad = 3,         // a study, dataset, program or model that cannot be loaded
};

std::string mainUsage();
std::string evalUsage();
std::string versionText();

// Prints "prism: error: <message>" as one line on stderr.
void printError(const std::string &message);
void setupLogging(bool verbose);

struct EvalArgs {
    std::string studyPath;
    std::string split; // "" = test, else val, else train
    std::string programPath;
    std::optional<int> threads;
    std::optional<int> maxErrors;
    std::string model;
    bool json = false;
    bool quiet = false;
    bool verbose = false;
    bool help = false;
};

// args excludes the program name and the command. A Config error is a usage error.
Result<EvalArgs> parseEvalArgs(const std::vector<std::string> &args);
int runEval(const EvalArgs &args);

// Loads a program JSON ({"predictors": [...]}) and checks that its predictors
// have the same fields as the study's program.
Result<Program> loadProgramFile(const std::string &path, const Program &studyProgram);

// What the eval output shows besides the report itself.
struct EvalContext {
    std::string studyName;
    std::string split;
    std::string model;
    std::string adapter;
    std::vector<std::string> shownFields; // output fields shown as expected / predicted
    int maxErrors = 0;
};

std::string renderEvalText(const EvalContext &context, const EvalReport &report);
std::string renderEvalJson(const EvalContext &context, const EvalReport &report);

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

// Text helpers for one-line table cells.
std::string oneLine(const std::string &text);
std::string truncateText(const std::string &text, std::size_t maxChars);
std::size_t displayWidth(const std::string &text);
std::string withThousands(long long value);

} // namespace prism::cli
