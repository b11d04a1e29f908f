// prism: the command line. Wiring only; commands live in cmd_*.cpp and parse
// their options with CLI11 (options.h).
#include "cli.h"
#include "cmd_simlm.h"
#include "options.h"

#include <cstdio>
#include <string>
#include <vector>

using namespace prism::cli;

namespace {

int printTo(std::FILE *stream, const std::string &text, int code)
{
    std::fputs(text.c_str(), stream);
    return code;
}

struct Command {
    const char *name;
    std::string (*usage)();
    int (*run)(const std::vector<std::string> &args);
};

int runSimlmCommand(const std::vector<std::string> &args)
{
    if (args.empty())
        return printTo(stderr, simlmServeUsage(), ExitUsage);
    if (args.front() == "-h" || args.front() == "--help")
        return printTo(stdout, simlmServeUsage(), ExitOk);
    if (args.front() != "serve") {
        printError("unknown simlm command '" + args.front() + "' (known: serve)");
        return printTo(stderr, simlmServeUsage(), ExitUsage);
    }
    setupLogging(false);
    return cmdSimlmServe(std::vector<std::string>(args.begin() + 1, args.end()));
}

const Command kCommands[] = {
    {"eval", evalUsage, runEvalCommand},          {"optimize", optimizeUsage, runOptimizeCommand},
    {"compare", compareUsage, runCompareCommand}, {"runs", runsUsage, runRunsCommand},
    {"resume", resumeUsage, runResumeCommand},    {"export", exportUsage, runExportCommand},
    {"cache", cacheUsage, runCacheCommand},       {"simlm", simlmServeUsage, runSimlmCommand},
    {"serve", serveUsage, runServeCommand},
};

const Command *findCommand(const std::string &name)
{
    for (const Command &c : kCommands)
        if (name == c.name)
            return &c;
    return nullptr;
}

// prism help [COMMAND]
int runHelpCommand(const std::vector<std::string> &args)
{
    std::vector<std::string> positional;
    CommandLine line("help", mainUsage());
    line.positionals(positional);
    if (auto stop = line.parse(args))
        return *stop;
    if (positional.empty())
        return printTo(stdout, mainUsage(), ExitOk);
    if (positional.size() > 1)
        return line.fail("help takes one COMMAND, got also '" + positional[1] + "'");
    const Command *command = findCommand(positional.front());
    if (!command)
        return line.fail("no help for unknown command '" + positional.front() + "'");
    return printTo(stdout, command->usage(), ExitOk);
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
    if (command == "help")
        return runHelpCommand(rest);
    if (const Command *c = findCommand(command))
        return c->run(rest);
    printError(!command.empty() && command[0] == '-' ? "unknown option '" + command + "'"
                                                     : "unknown command '" + command + "'");
    return printTo(stderr, mainUsage(), ExitUsage);
}
