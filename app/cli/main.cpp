// prism: the command line. Wiring only; commands live in cmd_*.cpp.
#include "cli.h"
#include "cmd_simlm.h"

#include <cstdio>
#include <string>
#include <vector>

using namespace prism::cli;

namespace {

int usageError(const std::string &message, const std::string &usage)
{
    printError(message);
    std::fputs(usage.c_str(), stderr);
    return ExitUsage;
}

int printTo(std::FILE *stream, const std::string &text, int code)
{
    std::fputs(text.c_str(), stream);
    return code;
}

} // namespace

int main(int argc, char **argv)
{
    const ScriptingScope scripting;
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty())
        return printTo(stderr, mainUsage(), ExitUsage);
    const std::string &command = args.front();
    const std::vector<std::string> rest(args.begin() + 1, args.end());

    if (command == "-h" || command == "--help")
        return printTo(stdout, mainUsage(), ExitOk);
    if (command == "--version" || command == "-V")
        return printTo(stdout, versionText(), ExitOk);
    if (command == "help") {
        if (rest.empty())
            return printTo(stdout, mainUsage(), ExitOk);
        if (rest.front() == "eval")
            return printTo(stdout, evalUsage(), ExitOk);
        if (rest.front() == "simlm")
            return printTo(stdout, simlmServeUsage(), ExitOk);
        if (rest.front() == "optimize")
            return printTo(stdout, optimizeUsage(), ExitOk);
        if (rest.front() == "compare")
            return printTo(stdout, compareUsage(), ExitOk);
        if (rest.front() == "runs")
            return printTo(stdout, runsUsage(), ExitOk);
        if (rest.front() == "resume")
            return printTo(stdout, resumeUsage(), ExitOk);
        if (rest.front() == "export")
            return printTo(stdout, exportUsage(), ExitOk);
        if (rest.front() == "cache")
            return printTo(stdout, cacheUsage(), ExitOk);
        return usageError("no help for unknown command '" + rest.front() + "'", mainUsage());
    }
    if (command == "eval") {
        auto parsed = parseEvalArgs(rest);
        if (!parsed)
            return usageError(parsed.error().message, evalUsage());
        if (parsed->help)
            return printTo(stdout, evalUsage(), ExitOk);
        setupLogging(parsed->verbose);
        return runEval(parsed.value());
    }
    if (command == "simlm") {
        if (rest.empty() || rest.front() == "-h" || rest.front() == "--help")
            return printTo(rest.empty() ? stderr : stdout, simlmServeUsage(), rest.empty() ? ExitUsage : ExitOk);
        if (rest.front() != "serve")
            return usageError("unknown simlm command '" + rest.front() + "' (known: serve)", simlmServeUsage());
        setupLogging(false);
        return cmdSimlmServe(std::vector<std::string>(rest.begin() + 1, rest.end()));
    }
    if (command == "optimize")
        return runOptimizeCommand(rest);
    if (command == "compare")
        return runCompareCommand(rest);
    if (command == "runs")
        return runRunsCommand(rest);
    if (command == "resume")
        return runResumeCommand(rest);
    if (command == "export")
        return runExportCommand(rest);
    if (command == "cache")
        return runCacheCommand(rest);
    if (!command.empty() && command[0] == '-')
        return usageError("unknown option '" + command + "'", mainUsage());
    return usageError("unknown command '" + command + "'", mainUsage());
}
