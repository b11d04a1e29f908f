#pragma once

// The `prism` command line's options: one CLI11 parser per command and the
// option groups every command shares (model, budget, run, output), defined
// once so that the same flag means the same thing, with the same checks and
// messages, wherever it is accepted.
#include "core/program.h"
#include "lm/budget.h"
#include "modelsetup/lm_setup.h"

#include <CLI/App.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace prism {
struct Study;
}

namespace prism::cli {

// The most threads any command runs on.
inline constexpr int kMaxThreads = 1024;

// One command's options, parsed with CLI11. Values are taken as text and
// checked after parsing, in the order the options were added, so that a bad
// value gets a message naming the option ("--seed must be a whole number >= 0,
// not 'x'"). Usage errors print "prism: error: ..." and the command's usage.
class CommandLine {
public:
    CommandLine(std::string command, std::string usage);

    // A value option, "--name value" or "--name=value"; the last one given wins.
    void text(const std::string &names, std::optional<std::string> &target);
    // A value option whose text is checked: check returns the message of a bad value.
    void checked(const std::string &names, std::function<std::optional<std::string>(const std::string &)> check);
    // A number > 0 (finite).
    void positiveNumber(const std::string &names, std::optional<double> &target);
    // One of the given words.
    void choice(const std::string &names, std::optional<std::string> &target, const std::vector<std::string> &words);
    // A flag; "--flag=value" is a usage error.
    void flag(const std::string &names, bool &target);
    // Arguments that are not options, in order.
    void positionals(std::vector<std::string> &target);

    // Parses args (without the program name and the command). Returns the
    // exit code when the command must stop: ExitOk after printing the help for
    // -h/--help, ExitUsage after printing a usage error; nullopt to go on.
    std::optional<int> parse(const std::vector<std::string> &args);
    // Prints a usage error about the parsed arguments (e.g. a missing
    // positional) and returns ExitUsage.
    int fail(const std::string &message) const;
    // Whether the option was given (after parse).
    bool given(const std::string &name) const;
    const std::string &usage() const { return m_usage; }

private:
    struct Check {
        std::string name;
        CLI::Option *option = nullptr;
        const std::string *raw = nullptr;
        std::function<std::optional<std::string>(const std::string &)> check;
    };
    CLI::Option *addValue(const std::string &names, std::string &storage);
    std::string optionName(const std::string &names) const;

    CLI::App m_app;
    std::string m_command;
    std::string m_usage;
    std::deque<std::string> m_values; // stable storage of the raw texts
    std::vector<Check> m_checks;
    std::vector<std::string> m_valueNames;
    std::vector<std::string> m_flagNames;
    std::vector<std::string> m_positionals;
    std::vector<std::string> *m_positionalTarget = nullptr;
};

// Number parsers shared by every command: nullopt when text is not entirely a number.
std::optional<long long> parseWholeNumber(const std::string &text);
std::optional<double> parseNumber(const std::string &text);

// --- Model flags: which model answers and how it is reached. Applied the
// way eval applies them: ModelOverrides over the study's task model
// (lm_setup's applyOverrides), --no-cache as LmSetupOptions::useCache, and
// --module on the study's program before anything else sees it.
struct ModelFlags {
    ModelOverrides overrides;
    std::optional<PredictorKind> module; // --module predict|cot
    bool noCache = false;
};
enum class ModuleFlag { Accepted, Refused };
void addModelFlags(CommandLine &line, ModelFlags &flags, ModuleFlag module = ModuleFlag::Accepted);
// Sets every predictor of the study's program to the --module kind, if given.
void applyModule(Study &study, const ModelFlags &flags);
// The usage lines of the model flags (the same for every command).
std::string modelFlagsHelp(ModuleFlag module = ModuleFlag::Accepted);

// --- Budget flags: --budget-calls, --budget-tokens, --budget-dollars, --budget-seconds.
void addBudgetFlags(CommandLine &line, Budget &budget);
std::string budgetFlagsHelp();

// --- Run flags. Which of them a command takes is its own choice.
struct RunFlags {
    std::optional<int> threads; // 1..kMaxThreads
    std::optional<std::uint64_t> seed;
    std::optional<int> maxErrors; // >= 0
};
enum RunFlagSet : unsigned { ThreadsFlag = 1, SeedFlag = 2, MaxErrorsFlag = 4 };
void addRunFlags(CommandLine &line, RunFlags &flags, unsigned which);
// The one thread-count rule of every command: --threads when given, else the
// study's eval.threads; never raised to match anything else.
int resolveThreads(const RunFlags &flags, int studyThreads);
// The usage line of --threads, shared by every command that takes it.
std::string threadsHelp();

// --- Output flags. --out and --events only where a command writes them.
struct OutputFlags {
    bool json = false;
    bool quiet = false;
    bool verbose = false;
    std::optional<std::string> out;
    std::optional<std::string> events;
};
enum OutputFlagSet : unsigned { JsonFlag = 1, QuietFlag = 2, VerboseFlag = 4, OutFlag = 8, EventsFlag = 16 };
void addOutputFlags(CommandLine &line, OutputFlags &flags, unsigned which);
// Checks every file a command will write by the rule of core/outfile.h, before
// any work (no model call, no run, no file): prints the first path that cannot
// be written, naming it and why, and returns ExitLoad; nullopt when all can.
std::optional<int> checkOutputPaths(const std::vector<std::optional<std::string>> &paths);

} // namespace prism::cli
