#include "cli.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace prism::cli {

namespace {

Error usageError(std::string message)
{
    return Error::make(ErrorKind::Config, std::move(message));
}

std::optional<int> parseInt(const std::string &text)
{
    int value = 0;
    const char *end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || text.empty())
        return std::nullopt;
    return value;
}

std::optional<long long> parseLong(const std::string &text)
{
    long long value = 0;
    const char *end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || text.empty())
        return std::nullopt;
    return value;
}

std::optional<double> parseDouble(const std::string &text)
{
    if (text.empty())
        return std::nullopt;
    char *end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (*end != '\0' || !std::isfinite(v))
        return std::nullopt;
    return v;
}

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

bool takesValue(const std::string &arg)
{
    static const char *const kOptions[] = {"--split", "--program", "--model", "--threads", "--max-errors", "--provider",
                                           "--base-url", "--api-key-env", "--concurrency", "--timeout",
                                           "--budget-calls", "--budget-tokens", "--budget-dollars", "--budget-seconds"};
    for (const char *o : kOptions)
        if (arg == o)
            return true;
    return false;
}

} // namespace

Result<EvalArgs> parseEvalArgs(const std::vector<std::string> &args)
{
    EvalArgs out;
    std::vector<std::string> positional;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        std::optional<std::string> inlineValue;
        if (arg.rfind("--", 0) == 0) {
            const auto eq = arg.find('=');
            if (eq != std::string::npos) {
                inlineValue = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
            }
        }
        // The value of an option: "--opt=value" or the next argument.
        auto value = [&]() -> std::optional<std::string> {
            if (inlineValue)
                return inlineValue;
            if (i + 1 < args.size())
                return args[++i];
            return std::nullopt;
        };
        auto flag = [&](bool &target) -> Result<void> {
            if (inlineValue)
                return usageError("option " + arg + " takes no value");
            target = true;
            return {};
        };

        if (arg == "-h" || arg == "--help") {
            out.help = true;
            return out;
        }
        Result<void> flagResult;
        if (arg == "--json") {
            flagResult = flag(out.json);
        } else if (arg == "--quiet" || arg == "-q") {
            flagResult = flag(out.quiet);
        } else if (arg == "--verbose" || arg == "-v") {
            flagResult = flag(out.verbose);
        } else if (arg == "--no-cache") {
            flagResult = flag(out.noCache);
        } else if (takesValue(arg)) {
            auto v = value();
            if (!v || (!inlineValue && v->rfind("--", 0) == 0))
                return usageError("option " + arg + " needs a value");
            if (arg == "--split") {
                if (*v != "train" && *v != "val" && *v != "test")
                    return usageError("--split must be train, val or test, not '" + *v + "'");
                out.split = *v;
            } else if (arg == "--program") {
                out.programPath = *v;
            } else if (arg == "--model") {
                if (v->empty())
                    return usageError("--model needs a model name");
                out.model = *v;
            } else if (arg == "--provider") {
                if (*v != "simlm" && *v != "openai" && *v != "anthropic")
                    return usageError("--provider must be simlm, openai or anthropic, not '" + *v + "'");
                out.provider = *v;
            } else if (arg == "--base-url") {
                // Not echoed: a URL may carry credentials.
                if (v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0)
                    return usageError("--base-url must start with http:// or https://, e.g. http://127.0.0.1:11434/v1");
                out.baseUrl = *v;
            } else if (arg == "--api-key-env") {
                // Not echoed: this may be a key pasted by mistake.
                if (!isEnvName(*v))
                    return usageError("--api-key-env takes the NAME of an environment variable (e.g. OPENAI_API_KEY), "
                                      "not the key itself");
                out.apiKeyEnv = *v;
            } else if (arg == "--threads" || arg == "--concurrency") {
                auto n = parseInt(*v);
                if (!n || *n < 1)
                    return usageError(arg + " must be a whole number >= 1, not '" + *v + "'");
                (arg == "--threads" ? out.threads : out.concurrency) = *n;
            } else if (arg == "--max-errors") {
                auto n = parseInt(*v);
                if (!n || *n < 0)
                    return usageError("--max-errors must be a whole number >= 0, not '" + *v + "'");
                out.maxErrors = *n;
            } else if (arg == "--budget-calls" || arg == "--budget-tokens") {
                auto n = parseLong(*v);
                if (!n || *n < 1)
                    return usageError(arg + " must be a whole number >= 1, not '" + *v + "'");
                (arg == "--budget-calls" ? out.budget.maxCalls : out.budget.maxTokens) = *n;
            } else {
                auto x = parseDouble(*v);
                if (!x || *x <= 0)
                    return usageError(arg + " must be a number > 0, not '" + *v + "'");
                if (arg == "--timeout")
                    out.timeoutSeconds = *x;
                else if (arg == "--budget-dollars")
                    out.budget.maxDollars = *x;
                else
                    out.budget.maxWallSeconds = *x;
            }
        } else if (arg.size() > 1 && arg[0] == '-') {
            return usageError("unknown option '" + args[i] + "'");
        } else {
            positional.push_back(arg);
        }
        if (!flagResult)
            return flagResult.error();
    }
    if (positional.empty())
        return usageError("eval needs a STUDY file");
    if (positional.size() > 1)
        return usageError("eval takes one STUDY file, got also '" + positional[1] + "'");
    out.studyPath = positional.front();
    return out;
}

} // namespace prism::cli
