#include "cli.h"

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
           "  optimize STUDY optimize the study's program (MIPROv2, bootstrap, labeled)\n"
           "  compare STUDY  baseline vs optimized program, with a bootstrap interval\n"
           "  runs           list the runs in the run store\n"
           "  resume RUN_ID  continue a cancelled or crashed run\n"
           "  export RUN_ID  write a run's artifact, events, prompt or trial table\n"
           "  cache [clear]  show the response cache's size, or empty it\n"
           "  simlm serve    serve the built-in simulator as an OpenAI-compatible API\n"
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
           "                  [--concurrency N] [--timeout S] [--no-cache] [--budget-calls N]\n"
           "                  [--budget-tokens N] [--budget-dollars X] [--budget-seconds S]\n"
           "                  [--max-errors N] [--json] [--quiet] [--verbose]\n"
           "\n"
           "Runs the study's program (or the one in FILE) over a split and scores every\n"
           "example with the study's metric. Errors (LM failures, unparsable answers) are\n"
           "counted apart and never scored as 0. Every LM call goes through the scheduler\n"
           "(retries, rate limits), the response cache and the ledger printed at the end.\n"
           "\n"
           "Options:\n"
           "  --split S          train, val or test (default: test, else val, else train)\n"
           "  --program FILE     evaluate the program in FILE ({\"predictors\": [...]});\n"
           "                     its fields must match the study's\n"
           "  --threads N        examples in parallel (default: the larger of the study's\n"
           "                     eval.threads and the concurrency)\n"
           "  --max-errors N     stop starting examples after N errors; 0 = no limit\n"
           "                     (default: the study's eval.max_errors)\n"
           "\n"
           "Model (replacing the study's task model; see docs/MODELS.md):\n"
           "  --provider P       simlm, openai (any OpenAI-compatible server) or anthropic\n"
           "  --base-url URL     endpoint, e.g. http://127.0.0.1:11434/v1; alone it means an\n"
           "                     OpenAI-compatible server\n"
           "  --model NAME       model name (e.g. sim-large, gpt-4o-mini, llama3.1)\n"
           "  --api-key-env NAME the environment variable that holds the API key (the key\n"
           "                     itself is never written anywhere)\n"
           "  --concurrency N    calls in flight to the endpoint (default: the model's\n"
           "                     max_concurrency)\n"
           "  --timeout S        seconds before a call times out and is retried\n"
           "  --no-cache         do not answer from the response cache (fresh answers are\n"
           "                     still stored)\n"
           "\n"
           "Budgets (nothing new starts once one is reached; calls under way finish):\n"
           "  --budget-calls N   at most N LM calls (cache hits are free)\n"
           "  --budget-tokens N  at most N tokens in and out\n"
           "  --budget-dollars X at most X US dollars (from the price table)\n"
           "  --budget-seconds S at most S seconds of wall time\n"
           "\n"
           "Output:\n"
           "  --json             print one JSON object instead of the table\n"
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
