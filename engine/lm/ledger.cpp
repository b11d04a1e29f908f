#include "lm/ledger.h"

#include <nlohmann/json.hpp>

namespace prism {

void LedgerTotals::add(const LedgerEntry &entry)
{
    ++calls;
    retries += entry.retries;
    latencyMs += entry.latencyMs;
    if (entry.cacheHit) {
        ++cacheHits;
        return;
    }
    if (entry.errorKind) {
        ++errors;
        return;
    }
    if (entry.promptTokens)
        promptTokens += *entry.promptTokens;
    else
        promptTokensUnknown = true;
    if (entry.completionTokens)
        completionTokens += *entry.completionTokens;
    else
        completionTokensUnknown = true;
    if (entry.dollars)
        dollars += *entry.dollars;
    else
        dollarsUnknown = true;
}

LedgerEntry Ledger::append(LedgerEntry entry)
{
    Listener listener;
    {
        std::lock_guard lock(m_mutex);
        entry.sequence = m_nextSequence++;
        m_entries.push_back(entry);
        listener = m_listener;
    }
    if (listener)
        listener(entry);
    return entry;
}

void Ledger::setListener(Listener listener)
{
    std::lock_guard lock(m_mutex);
    m_listener = std::move(listener);
}

std::vector<LedgerEntry> Ledger::entries() const
{
    std::lock_guard lock(m_mutex);
    return m_entries;
}

std::size_t Ledger::size() const
{
    std::lock_guard lock(m_mutex);
    return m_entries.size();
}

LedgerTotals Ledger::totals() const
{
    std::lock_guard lock(m_mutex);
    LedgerTotals t;
    for (const auto &e : m_entries)
        t.add(e);
    return t;
}

std::map<std::string, LedgerTotals> Ledger::totalsByRole() const
{
    std::lock_guard lock(m_mutex);
    std::map<std::string, LedgerTotals> out;
    for (const auto &e : m_entries)
        out[e.role].add(e);
    return out;
}

std::map<std::string, LedgerTotals> Ledger::totalsByModel() const
{
    std::lock_guard lock(m_mutex);
    std::map<std::string, LedgerTotals> out;
    for (const auto &e : m_entries)
        out[e.model].add(e);
    return out;
}

void Ledger::clear()
{
    std::lock_guard lock(m_mutex);
    m_entries.clear();
    m_nextSequence = 1;
}

Json toJson(const LedgerTotals &t)
{
    Json j = Json::object();
    j["calls"] = t.calls;
    j["cache_hits"] = t.cacheHits;
    j["lm_calls"] = t.calls - t.cacheHits;
    j["errors"] = t.errors;
    j["retries"] = t.retries;
    j["prompt_tokens"] = t.promptTokens;
    j["completion_tokens"] = t.completionTokens;
    j["prompt_tokens_unknown"] = t.promptTokensUnknown;
    j["completion_tokens_unknown"] = t.completionTokensUnknown;
    j["dollars"] = t.dollars;
    j["dollars_unknown"] = t.dollarsUnknown;
    j["latency_ms"] = t.latencyMs;
    return j;
}

Json toJson(const LedgerEntry &e)
{
    Json j = Json::object();
    j["sequence"] = e.sequence;
    j["role"] = e.role;
    j["model"] = e.model;
    j["endpoint"] = e.endpoint;
    j["prompt_tokens"] = e.promptTokens ? Json(*e.promptTokens) : Json(nullptr);
    j["completion_tokens"] = e.completionTokens ? Json(*e.completionTokens) : Json(nullptr);
    j["dollars"] = e.dollars ? Json(*e.dollars) : Json(nullptr);
    j["latency_ms"] = e.latencyMs;
    j["wait_ms"] = e.waitMs;
    j["retries"] = e.retries;
    j["cache_hit"] = e.cacheHit;
    j["error"] = e.errorKind ? Json(errorKindName(*e.errorKind)) : Json(nullptr);
    return j;
}

Json Ledger::toJson(bool includeEntries) const
{
    const auto all = entries();
    LedgerTotals total;
    std::map<std::string, LedgerTotals> byRole, byModel, byEndpoint;
    for (const auto &e : all) {
        total.add(e);
        byRole[e.role].add(e);
        byModel[e.model].add(e);
        byEndpoint[e.endpoint].add(e);
    }
    Json j = Json::object();
    j["totals"] = prism::toJson(total);
    Json roles = Json::object();
    for (const auto &[role, t] : byRole)
        roles[role] = prism::toJson(t);
    j["by_role"] = std::move(roles);
    Json models = Json::object();
    for (const auto &[model, t] : byModel)
        models[model] = prism::toJson(t);
    j["by_model"] = std::move(models);
    // Only a model with replicas spreads calls over endpoints; for one
    // endpoint per model, by_model says it all.
    if (byEndpoint.size() > byModel.size()) {
        Json endpoints = Json::object();
        for (const auto &[endpoint, t] : byEndpoint)
            endpoints[endpoint] = prism::toJson(t);
        j["by_endpoint"] = std::move(endpoints);
    }
    if (includeEntries) {
        Json list = Json::array();
        for (const auto &e : all)
            list.push_back(prism::toJson(e));
        j["entries"] = std::move(list);
    }
    return j;
}

} // namespace prism
