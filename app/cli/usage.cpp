#include "cli.h"
#include "options.h"

#include "core/study.h"

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
           "  optimize STUDY optimize the study's program (MIPROv2, GEPA, bootstrap, random search, labeled)\n"
           "  compare STUDY  baseline vs optimized program, with a bootstrap interval\n"
           "  runs           list the runs in the run store\n"
           "  resume RUN_ID  continue a cancelled or crashed run\n"
           "  export RUN_ID  write a run's artifact, events, prompt or trial table\n"
           "  cache [clear]  show the response cache's size, or empty it\n"
           "  simlm serve    serve the built-in simulator as an OpenAI-compatible API\n"
           "  serve          a team server: --worker runs queued runs, --api the REST API\n"
           "  help [COMMAND] show help for a command\n"
           "\n"
           "Options:\n"
           "  -h, --help     show this help\n"
           "  --version      show the version\n";
}

std::string evalUsage()
{
    return "usage: prism eval STUDY [--split train|val|test] [--program FILE] [--threads N]\n"
           "                  [--provider P] [--base-url URL] [--model NAME] [--api-key-env NAME]\n"
           "                  [--concurrency N] [--timeout S] [--max-prompt-tokens N] [--no-cache]\n"
           "                  [--module predict|cot]\n"
           "                  [--budget-calls N] [--budget-tokens N] [--budget-dollars X]\n"
           "                  [--budget-seconds S] [--max-errors N] [--json] [--quiet] [--verbose]\n"
           "\n"
           "Runs the study's program (or the one in FILE) over a split and scores every\n"
           "example with the study's metric. Errors (LM failures, unparsable answers) are\n"
           "counted apart and never scored as 0. Every LM call goes through the scheduler\n"
           "(retries, rate limits), the response cache and the ledger printed at the end.\n"
           "\n"
           "Options:\n"
           "  --split S          train, val or test (default: test, else val, else train)\n"
           "  --program FILE     evaluate the program in FILE: what optimize --out writes,\n"
           "                     a DSPy saved program, or {\"predictors\": [...]}; its\n"
           "                     predictors and fields must match the study's\n"
           + threadsHelp()
           + "  --max-errors N     stop starting examples after N errors; 0 = no limit\n"
             "                     (default: the study's eval.max_errors)\n"
             "\n"
           + modelFlagsHelp() + "\n" + budgetFlagsHelp()
           + "\n"
             "Output:\n"
             "  --json             print one JSON object instead of the table; for a\n"
             "                     pipeline, each row's stages and first_wrong_stage\n"
             "  --quiet            no progress line on stderr\n"
             "  --verbose          debug logs on stderr\n"
             "\n"
             "Exit codes: 0 done, 1 stopped early (too many errors, a budget, interrupted),\n"
             "2 bad usage, 3 a study, dataset, program or model that cannot be loaded or\n"
             "reached (bad key, unreachable server, unknown model).\n";
}

std::string versionText()
{
    return std::string("prism ") + PRISM_VERSION + "\n";
}

void printError(const std::string &message)
{
    std::fprintf(stderr, "prism: error: %s\n", oneLine(message).c_str());
}

void printWarning(const std::string &message)
{
    std::fprintf(stderr, "prism: warning: %s\n", oneLine(message).c_str());
}

Result<Study> loadStudyForCommand(const std::string &path)
{
    std::vector<std::string> warnings;
    auto study = loadStudy(path, &warnings);
    for (const auto &w : warnings)
        printWarning(w);
    return study;
}

void setupLogging(bool verbose)
{
    auto logger = spdlog::stderr_logger_mt("prism");
    logger->set_pattern("prism: %l: %v");
    logger->set_level(verbose ? spdlog::level::debug : spdlog::level::warn);
    spdlog::set_default_logger(logger);
}

} // namespace prism::cli
