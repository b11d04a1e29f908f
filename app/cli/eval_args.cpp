#include "cli.h"

#include <charconv>

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
        } else if (arg == "--split" || arg == "--program" || arg == "--model" || arg == "--threads" || arg == "--max-errors") {
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
            } else if (arg == "--threads") {
                auto n = parseInt(*v);
                if (!n || *n < 1)
                    return usageError("--threads must be a whole number >= 1, not '" + *v + "'");
                out.threads = *n;
            } else {
                auto n = parseInt(*v);
                if (!n || *n < 0)
                    return usageError("--max-errors must be a whole number >= 0, not '" + *v + "'");
                out.maxErrors = *n;
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
