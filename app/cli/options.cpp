#include "options.h"

#include "cli.h"
#include "core/outfile.h"
#include "core/study.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace prism::cli {

namespace {

// An environment variable name, not a key pasted by mistake.
bool isEnvName(const std::string &name)
{
    if (name.empty() || name.size() > 128 || (name[0] >= '0' && name[0] <= '9'))
        return false;
    for (char c : name) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

// "a, b or c"
std::string wordList(const std::vector<std::string> &words)
{
    std::string out;
    for (std::size_t i = 0; i < words.size(); ++i)
        out += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + words[i];
    return out;
}

bool isHelp(const std::string &arg)
{
    return arg == "-h" || arg == "--help";
}

} // namespace

std::optional<long long> parseWholeNumber(const std::string &text)
{
    long long value = 0;
    const char *end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end)
        return std::nullopt;
    return value;
}

std::optional<double> parseNumber(const std::string &text)
{
    if (text.empty())
        return std::nullopt;
    char *end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (*end != '\0' || !std::isfinite(v))
        return std::nullopt;
    return v;
}

CommandLine::CommandLine(std::string command, std::string usage)
    : m_app("", "prism " + command), m_command(std::move(command)), m_usage(std::move(usage))
{
    // Unknown options are left over rather than thrown, so that the message
    // is ours ("unknown option '--bogus'") and names the argument as given.
    m_app.allow_extras();
    m_app.add_option("args", m_positionals);
}

std::string CommandLine::optionName(const std::string &names) const
{
    // "-q,--quiet" is named by its long form.
    const auto comma = names.rfind(',');
    return comma == std::string::npos ? names : names.substr(comma + 1);
}

CLI::Option *CommandLine::addValue(const std::string &names, std::string &storage)
{
    m_valueNames.push_back(optionName(names));
    return m_app.add_option(names, storage)->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

void CommandLine::checked(const std::string &names,
                          std::function<std::optional<std::string>(const std::string &)> check)
{
    std::string &storage = m_values.emplace_back();
    CLI::Option *option = addValue(names, storage);
    m_checks.push_back(Check{optionName(names), option, &storage, std::move(check)});
}

void CommandLine::text(const std::string &names, std::optional<std::string> &target)
{
    checked(names, [&target](const std::string &v) -> std::optional<std::string> {
        target = v;
        return std::nullopt;
    });
}

void CommandLine::positiveNumber(const std::string &names, std::optional<double> &target)
{
    const std::string name = optionName(names);
    checked(names, [&target, name](const std::string &v) -> std::optional<std::string> {
        const auto x = parseNumber(v);
        if (!x || *x <= 0)
            return name + " must be a number > 0, not '" + v + "'";
        target = *x;
        return std::nullopt;
    });
}

void CommandLine::choice(const std::string &names, std::optional<std::string> &target,
                         const std::vector<std::string> &words)
{
    const std::string name = optionName(names);
    checked(names, [&target, name, words](const std::string &v) -> std::optional<std::string> {
        if (std::find(words.begin(), words.end(), v) == words.end())
            return name + " must be " + wordList(words) + ", not '" + v + "'";
        target = v;
        return std::nullopt;
    });
}

void CommandLine::flag(const std::string &names, bool &target)
{
    m_flagNames.push_back(optionName(names));
    m_app.add_flag(names, target)->disable_flag_override();
}

void CommandLine::positionals(std::vector<std::string> &target)
{
    m_positionalTarget = &target;
}

int CommandLine::fail(const std::string &message) const
{
    printError(message);
    std::fputs(m_usage.c_str(), stderr);
    return ExitUsage;
}

bool CommandLine::given(const std::string &name) const
{
    return m_app.count(name) > 0;
}

std::optional<int> CommandLine::parse(const std::vector<std::string> &args)
{
    const auto endOfOptions = std::find(args.begin(), args.end(), "--");
    const bool wantsHelp = std::any_of(args.begin(), endOfOptions, isHelp);
    auto help = [this]() {
        std::fputs(m_usage.c_str(), stdout);
        return ExitOk;
    };
    if (wantsHelp)
        return help();
    // CLI11 accepts "--flag=true"; a flag takes no value at all.
    for (auto it = args.begin(); it != endOfOptions; ++it) {
        const auto eq = it->find('=');
        if (it->rfind("--", 0) == 0 && eq != std::string::npos
            && std::find(m_flagNames.begin(), m_flagNames.end(), it->substr(0, eq)) != m_flagNames.end())
            return fail("option " + it->substr(0, eq) + " takes no value");
    }
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        m_app.parse(reversed);
    } catch (const CLI::CallForHelp &) {
        return help();
    } catch (const CLI::ParseError &e) {
        // "--seed: 1 required TEXT missing": an option without its value.
        const std::string what = e.what();
        const std::string name = what.substr(0, what.find(':'));
        if (std::find(m_valueNames.begin(), m_valueNames.end(), name) != m_valueNames.end())
            return fail("option " + name + " needs a value");
        return fail(what);
    }
    for (const auto &extra : m_app.remaining())
        if (extra != "--")
            return fail("unknown option '" + extra + "'");
    for (const auto &c : m_checks) {
        if (c.option->count() == 0)
            continue;
        // CLI11 takes the next argument whatever it is: "--seed --json" has no seed.
        const std::string &raw = *c.raw;
        if (raw.rfind("--", 0) == 0)
            return fail("option " + c.name + " needs a value");
        if (auto problem = c.check(raw))
            return fail(*problem);
    }
    if (m_positionalTarget)
        *m_positionalTarget = m_positionals;
    return std::nullopt;
}

void addModelFlags(CommandLine &line, ModelFlags &flags, ModuleFlag module)
{
    ModelOverrides &o = flags.overrides;
    line.checked("--provider", [&o](const std::string &v) -> std::optional<std::string> {
        o.provider = providerFromName(v);
        if (!o.provider)
            return "--provider must be simlm, openai or anthropic, not '" + v + "'";
        return std::nullopt;
    });
    line.checked("--base-url", [&o](const std::string &v) -> std::optional<std::string> {
        // Not echoed: a URL may carry credentials.
        if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
            return std::string("--base-url must start with http:// or https://, e.g. http://127.0.0.1:11434/v1");
        o.baseUrl = v;
        return std::nullopt;
    });
    line.checked("--model", [&o](const std::string &v) -> std::optional<std::string> {
        if (v.empty())
            return std::string("--model needs a model name");
        o.model = v;
        return std::nullopt;
    });
    line.checked("--api-key-env", [&o](const std::string &v) -> std::optional<std::string> {
        // Not echoed: this may be a key pasted by mistake.
        if (!isEnvName(v))
            return std::string(
                "--api-key-env takes the NAME of an environment variable (e.g. OPENAI_API_KEY), not the key itself");
        o.apiKeyEnv = v;
        return std::nullopt;
    });
    line.checked("--concurrency", [&o](const std::string &v) -> std::optional<std::string> {
        const auto n = parseWholeNumber(v);
        if (!n || *n < 1 || *n > INT_MAX)
            return "--concurrency must be a whole number >= 1, not '" + v + "'";
        o.maxConcurrency = static_cast<int>(*n);
        return std::nullopt;
    });
    line.checked("--timeout", [&o](const std::string &v) -> std::optional<std::string> {
        const auto x = parseNumber(v);
        if (!x || *x <= 0)
            return "--timeout must be a number > 0, not '" + v + "'";
        o.timeoutSeconds = *x;
        return std::nullopt;
    });
    line.checked("--max-prompt-tokens", [&o](const std::string &v) -> std::optional<std::string> {
        const auto n = parseWholeNumber(v);
        if (!n || *n < 1 || *n > INT_MAX)
            return "--max-prompt-tokens must be a whole number >= 1, not '" + v + "'";
        o.maxPromptTokens = static_cast<int>(*n);
        return std::nullopt;
    });
    line.flag("--no-cache", flags.noCache);
    if (module == ModuleFlag::Accepted) {
        line.checked("--module", [&flags](const std::string &v) -> std::optional<std::string> {
            if (v != "predict" && v != "cot")
                return "--module must be predict or cot, not '" + v + "'";
            flags.module = v == "cot" ? PredictorKind::ChainOfThought : PredictorKind::Predict;
            return std::nullopt;
        });
    }
}

void applyModule(Study &study, const ModelFlags &flags)
{
    if (!flags.module)
        return;
    for (auto &predictor : study.program.predictors)
        predictor.kind = *flags.module;
}

std::string modelFlagsHelp(ModuleFlag module)
{
    std::string text = "Model (replacing the study's task model; see docs/MODELS.md):\n"
                       "  --provider P       simlm, openai (any OpenAI-compatible server) or anthropic\n"
                       "  --base-url URL     endpoint, e.g. http://127.0.0.1:11434/v1; alone it means an\n"
                       "                     OpenAI-compatible server\n"
                       "  --model NAME       model name (e.g. sim-large, gpt-4o-mini, llama3.1)\n"
                       "  --api-key-env NAME the environment variable that holds the API key (the key\n"
                       "                     itself is never written anywhere)\n"
                       "  --concurrency N    calls in flight to the endpoint (default: the model's\n"
                       "                     max_concurrency)\n"
                       "  --timeout S        seconds before a call times out and is retried\n"
                       "  --max-prompt-tokens N  the longest prompt a call may send (default: the\n"
                       "                     model's max_prompt_tokens, else its family's window);\n"
                       "                     a longer one is an example error, never sent\n"
                       "  --no-cache         do not answer from the response cache (fresh answers are\n"
                       "                     still stored)\n";
    if (module == ModuleFlag::Accepted)
        text += "  --module M         predict or cot: run the study's program as Predict or as\n"
                "                     ChainOfThought (a `reasoning` output first), without\n"
                "                     editing the study\n";
    return text;
}

void addBudgetFlags(CommandLine &line, Budget &budget)
{
    auto whole = [&line](const char *name, std::optional<long long> &target) {
        line.checked(name, [&target, name = std::string(name)](const std::string &v) -> std::optional<std::string> {
            const auto n = parseWholeNumber(v);
            if (!n || *n < 1)
                return name + " must be a whole number >= 1, not '" + v + "'";
            target = *n;
            return std::nullopt;
        });
    };
    whole("--budget-calls", budget.maxCalls);
    whole("--budget-tokens", budget.maxTokens);
    line.positiveNumber("--budget-dollars", budget.maxDollars);
    line.positiveNumber("--budget-seconds", budget.maxWallSeconds);
}

std::string budgetFlagsHelp()
{
    return "Budgets (nothing new starts once one is reached; calls under way finish):\n"
           "  --budget-calls N   at most N LM calls (cache hits are free)\n"
           "  --budget-tokens N  at most N tokens in and out\n"
           "  --budget-dollars X at most X US dollars (from the price table)\n"
           "  --budget-seconds S at most S seconds of wall time\n";
}

void addRunFlags(CommandLine &line, RunFlags &flags, unsigned which)
{
    if (which & ThreadsFlag)
        line.checked("--threads", [&flags](const std::string &v) -> std::optional<std::string> {
            const auto n = parseWholeNumber(v);
            if (!n || *n < 1 || *n > kMaxThreads)
                return "--threads must be a whole number from 1 to " + std::to_string(kMaxThreads) + ", not '" + v
                       + "'";
            flags.threads = static_cast<int>(*n);
            return std::nullopt;
        });
    if (which & SeedFlag)
        line.checked("--seed", [&flags](const std::string &v) -> std::optional<std::string> {
            const auto n = parseWholeNumber(v);
            if (!n || *n < 0)
                return "--seed must be a whole number >= 0, not '" + v + "'";
            flags.seed = static_cast<std::uint64_t>(*n);
            return std::nullopt;
        });
    if (which & MaxErrorsFlag)
        line.checked("--max-errors", [&flags](const std::string &v) -> std::optional<std::string> {
            const auto n = parseWholeNumber(v);
            if (!n || *n < 0 || *n > INT_MAX)
                return "--max-errors must be a whole number >= 0, not '" + v + "'";
            flags.maxErrors = static_cast<int>(*n);
            return std::nullopt;
        });
}

int resolveThreads(const RunFlags &flags, int studyThreads)
{
    return std::max(1, flags.threads.value_or(studyThreads));
}

std::string threadsHelp()
{
    return "  --threads N        examples (and trials) in parallel, 1 to 1024 (default: the\n"
           "                     study's eval.threads); results do not depend on it\n";
}

void addOutputFlags(CommandLine &line, OutputFlags &flags, unsigned which)
{
    if (which & JsonFlag)
        line.flag("--json", flags.json);
    if (which & QuietFlag)
        line.flag("-q,--quiet", flags.quiet);
    if (which & VerboseFlag)
        line.flag("-v,--verbose", flags.verbose);
    if (which & OutFlag)
        line.text("--out", flags.out);
    if (which & EventsFlag)
        line.text("--events", flags.events);
}

std::optional<int> checkOutputPaths(const std::vector<std::optional<std::string>> &paths)
{
    for (const auto &path : paths) {
        if (!path)
            continue;
        if (auto writable = checkWritableOutput(*path); !writable) {
            printError(writable.error().message);
            return ExitLoad;
        }
    }
    return std::nullopt;
}

} // namespace prism::cli
