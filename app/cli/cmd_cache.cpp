// prism cache [clear] [--path FILE] [--json]: what the response cache holds, and emptying it.
#include "cli.h"
#include "options.h"

#include "core/json.h"
#include "lm/response_cache.h"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include <cstdio>

namespace prism::cli {

std::string cacheUsage()
{
    return "usage: prism cache [clear] [--path FILE|URL] [--json]\n"
           "\n"
           "Shows the response cache (where it is, how many answers, how big); `clear`\n"
           "deletes every cached answer. The cache is $PRISM_CACHE when set (a file, or a\n"
           "postgresql:// URL that a team's machines share), else userDataDir()/cache.sqlite\n"
           "($PRISM_DATA_DIR, else $XDG_DATA_HOME/prism, else ~/.local/share/prism);\n"
           "--path names another file or database. Runs keep their own call journal in\n"
           "the run store, so clearing the cache never breaks a resume.\n";
}

namespace {

std::string humanBytes(long long bytes)
{
    if (bytes < 1024)
        return fmt::format("{} B", bytes);
    if (bytes < 1024 * 1024)
        return fmt::format("{:.1f} KiB", bytes / 1024.0);
    return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024.0));
}

} // namespace

int runCacheCommand(const std::vector<std::string> &args)
{
    std::optional<std::string> path;
    OutputFlags output;
    std::vector<std::string> positional;
    CommandLine line("cache", cacheUsage());
    line.text("--path", path);
    addOutputFlags(line, output, JsonFlag);
    line.positionals(positional);
    if (auto stop = line.parse(args))
        return *stop;
    const bool clear = !positional.empty() && positional.front() == "clear";
    if (positional.size() > 1 || (!positional.empty() && !clear))
        return line.fail("unknown cache command '" + positional.back() + "' (known: clear)");
    auto cache = path ? ResponseCache::open(*path) : ResponseCache::openDefault();
    if (!cache) {
        printError(cache.error().message);
        return ExitLoad;
    }
    long long cleared = 0;
    if (clear) {
        auto before = cache.value()->entryCount();
        if (!before) {
            printError(before.error().message);
            return ExitLoad;
        }
        cleared = before.value();
        if (auto r = cache.value()->clear(); !r) {
            printError(r.error().message);
            return ExitLoad;
        }
    }
    auto entries = cache.value()->entryCount();
    auto bytes = cache.value()->sizeBytes();
    if (!entries || !bytes) {
        printError(!entries ? entries.error().message : bytes.error().message);
        return ExitLoad;
    }
    if (output.json) {
        Json out = {{"path", cache.value()->path()}, {"entries", entries.value()}, {"bytes", bytes.value()}};
        if (clear)
            out["cleared"] = cleared;
        std::printf("%s\n", out.dump(2).c_str());
        return ExitOk;
    }
    if (clear)
        std::printf("cleared %lld cached answer%s\n", cleared, cleared == 1 ? "" : "s");
    std::printf("%s: %lld answer%s, %s\n", cache.value()->path().c_str(), entries.value(),
                entries.value() == 1 ? "" : "s", humanBytes(bytes.value()).c_str());
    return ExitOk;
}

} // namespace prism::cli
