#include "cli.h"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <map>
#include <utility>

namespace prism::cli {

namespace {

// A sum that misses some numbers is a lower bound; with none known it is unknown.
std::string countText(long long value, bool someUnknown)
{
    if (!someUnknown)
        return withThousands(value);
    return value == 0 ? std::string("unknown") : ">= " + withThousands(value);
}

std::string dollarText(double value)
{
    return value < 1.0 ? fmt::format("${:.4f}", value) : fmt::format("${:.2f}", value);
}

std::string dollarsText(const LedgerTotals &t)
{
    if (!t.dollarsUnknown)
        return dollarText(t.dollars);
    return t.dollars == 0.0 ? std::string("unknown") : ">= " + dollarText(t.dollars);
}

std::string padTo(const std::string &text, std::size_t width, bool left)
{
    const std::size_t w = displayWidth(text);
    if (w >= width)
        return text;
    const std::string pad(width - w, ' ');
    return left ? pad + text : text + pad;
}

} // namespace

std::string renderLedgerText(const Ledger &ledger)
{
    const std::vector<LedgerEntry> entries = ledger.entries();
    LedgerTotals total;
    std::map<std::pair<std::string, std::string>, LedgerTotals> byRoleModel;
    std::map<std::string, LedgerTotals> byModel, byEndpoint;
    for (const auto &e : entries) {
        total.add(e);
        byRoleModel[{e.role, e.model}].add(e);
        byModel[e.model].add(e);
        byEndpoint[e.endpoint].add(e);
    }
    const long long made = total.calls - total.cacheHits;
    std::string out =
        fmt::format("LM calls: {} made, {} answered from the cache; retries: {}; failed: {}; tokens in: {}, "
                    "out: {}; cost: {}\n",
                    withThousands(made), withThousands(total.cacheHits), withThousands(total.retries),
                    withThousands(total.errors), countText(total.promptTokens, total.promptTokensUnknown),
                    countText(total.completionTokens, total.completionTokensUnknown), dollarsText(total));
    if (byRoleModel.empty())
        return out;

    using Row = std::vector<std::string>;
    std::vector<Row> rows;
    rows.push_back({"role", "model", "calls", "cached", "retries", "failed", "tokens in", "tokens out", "dollars"});
    auto rowOf = [](const std::string &role, const std::string &model, const LedgerTotals &t) {
        return Row{role,
                   escapeControls(model),
                   withThousands(t.calls - t.cacheHits),
                   withThousands(t.cacheHits),
                   withThousands(t.retries),
                   withThousands(t.errors),
                   countText(t.promptTokens, t.promptTokensUnknown),
                   countText(t.completionTokens, t.completionTokensUnknown),
                   dollarsText(t)};
    };
    for (const auto &[key, t] : byRoleModel)
        rows.push_back(rowOf(key.first, key.second, t));
    if (byRoleModel.size() > 1)
        rows.push_back(rowOf("total", "", total));

    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto &row : rows)
        for (std::size_t c = 0; c < row.size(); ++c)
            widths[c] = std::max(widths[c], displayWidth(row[c]));
    for (const auto &row : rows) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c)
            line += "  " + padTo(row[c], widths[c], c >= 2);
        line.erase(line.find_last_not_of(' ') + 1);
        out += line + "\n";
    }
    // A model with replicas: how its calls were spread.
    if (byEndpoint.size() > byModel.size()) {
        out += "Endpoints:\n";
        for (const auto &[endpoint, t] : byEndpoint)
            out += fmt::format("  {}: {} calls{}\n", escapeControls(endpoint), withThousands(t.calls - t.cacheHits),
                               t.errors ? " (" + withThousands(t.errors) + " failed)" : std::string());
    }
    return out;
}

std::string renderCacheLine(const CacheSummary &cache, const LedgerTotals &totals)
{
    if (cache.bypassed)
        return "Cache: not read (--no-cache); fresh answers stored for the next run\n";
    if (!cache.problem.empty())
        return "Cache: unavailable (" + oneLine(cache.problem) + ")\n";
    if (!cache.enabled)
        return {};
    std::string line = fmt::format("Cache: {} hit{}, {} miss{}", withThousands(cache.hits), cache.hits == 1 ? "" : "s",
                                   withThousands(cache.misses), cache.misses == 1 ? "" : "es");
    if (totals.calls > 0 && totals.cacheHits == totals.calls)
        line += " (no LM calls made)";
    return line + "\n";
}

Json cacheToJson(const CacheSummary &cache)
{
    Json j = Json::object();
    j["hits"] = cache.hits;
    j["misses"] = cache.misses;
    j["enabled"] = cache.enabled;
    j["bypassed"] = cache.bypassed;
    if (!cache.problem.empty())
        j["problem"] = cache.problem;
    return j;
}

} // namespace prism::cli
