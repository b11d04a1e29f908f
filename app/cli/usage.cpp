#include "cli.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace prism::cli {

std::string mainUsage()
{
    return "usage: prism <command> [options]\n"
           "\n"
           "Commands:\n"
           "  eval STUDY     run a study's program over one split and score it\n"
           "  help [COMMAND] show help for a command\n"
           "\n"
           "Options:\n"
           "  -h, --help     show this help\n"
           "  --version      show the version\n";
}

std::string evalUsage()
{
    return "usage: prism eval STUDY [--split train|val|test] [--program FILE] [--threads N]\n"
           "                  [--model NAME] [--max-errors N] [--json] [--quiet] [--verbose]\n"
           "\n"
           "Runs the study's program (or the one in FILE) over a split and scores every\n"
           "example with the study's metric. Errors (LM failures, unparsable answers) are\n"
           "counted apart and never scored as 0.\n"
           "\n"
           "Options:\n"
           "  --split S        train, val or test (default: test, else val, else train)\n"
           "  --program FILE   evaluate the program in FILE ({\"predictors\": [...]});\n"
           "                   its fields must match the study's\n"
           "  --threads N      examples in parallel (default: the study's eval.threads)\n"
           "  --model NAME     task model name, replacing the study's (e.g. sim-large)\n"
           "  --max-errors N   stop starting examples after N errors; 0 = no limit\n"
           "                   (default: the study's eval.max_errors)\n"
           "  --json           print one JSON object instead of the table\n"
           "  --quiet          no progress line on stderr\n"
           "  --verbose        debug logs on stderr\n"
           "\n"
           "Exit codes: 0 done, 1 stopped early (too many errors or interrupted),\n"
           "2 bad usage, 3 a study, dataset, program or model that cannot be loaded.\n";
}

std::string versionText()
{
    return std::string("prism ") + PRISM_VERSION + "\n";
}

void printError(const std::string &message)
{
    std::fprintf(stderr, "prism: error: %s\n", oneLine(message).c_str());
}

void setupLogging(bool verbose)
{
    auto logger = spdlog::stderr_logger_mt("prism");
    logger->set_pattern("prism: %l: %v");
    logger->set_level(verbose ? spdlog::level::debug : spdlog::level::warn);
    spdlog::set_default_logger(logger);
}

} // namespace prism::cli
