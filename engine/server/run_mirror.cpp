#include "server/run_mirror.h"

#include "events/event_codec.h"
#include "events/run_status.h"
#include "run/run_store.h"
#include "server/api_client.h"

#include <nlohmann/json.hpp>

namespace prism {

namespace {

std::string text(const Json &j, const char *key)
{
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

std::optional<double> number(const Json &j, const char *key)
{
    return j.contains(key) && j[key].is_number() ? std::optional<double>(j[key].get<double>()) : std::nullopt;
}

std::optional<long long> whole(const Json &j, const char *key)
{
    return j.contains(key) && j[key].is_number_integer() ? std::optional<long long>(j[key].get<long long>())
                                                         : std::nullopt;
}

bool isOver(RunStatus status)
{
    return status != RunStatus::Running && status != RunStatus::Queued;
}

Result<RunRecord> recordFromJson(const Json &j)
{
    RunRecord run;
    run.id = text(j, "id");
    if (run.id.empty() || text(j, "status").empty())
        return Error::make(ErrorKind::Parse, "the server's run has no id or no status");
    run.status = runStatusFromName(text(j, "status"));
    run.createdAt = text(j, "created_at");
    run.finishedAt = text(j, "finished_at");
    run.studyName = text(j, "study_name");
    run.studyPath = "(server)";
    run.studyJson = j.contains("study") ? j["study"].dump() : "{}";
    run.optimizer = text(j, "optimizer");
    run.optimizerConfigJson = j.contains("optimizer_config") ? j["optimizer_config"].dump() : "{}";
    run.optionsJson = "{}";
    run.seed = j.contains("seed") && j["seed"].is_number_unsigned() ? j["seed"].get<std::uint64_t>() : 0;
    run.stopReason = StopReason::fromText(text(j, "stop_reason"));
    run.baselineScore = number(j, "baseline_score");
    run.bestScore = number(j, "best_score");
    run.sessions = static_cast<int>(whole(j, "sessions").value_or(1));
    run.owner = "team-server:0"; // another machine's process: not resumed from here
    if (j.contains("summary") && j["summary"].is_object()) {
        auto summary = payloadFromJson(EventType::RunFinished, nlohmann::ordered_json::parse(j["summary"].dump()), 0);
        if (summary)
            if (const auto *finished = std::get_if<RunFinishedEvent>(&summary.value()))
                run.summary = *finished;
    }
    return run;
}

LedgerRow ledgerRowFromJson(const Json &j)
{
    LedgerRow row;
    row.session = static_cast<int>(whole(j, "session").value_or(1));
    row.requestKey = text(j, "request_key");
    LedgerEntry &e = row.entry;
    e.sequence = whole(j, "sequence").value_or(0);
    e.role = text(j, "role");
    e.model = text(j, "model");
    e.endpoint = text(j, "endpoint");
    e.promptTokens = whole(j, "prompt_tokens");
    e.completionTokens = whole(j, "completion_tokens");
    e.dollars = number(j, "dollars");
    e.latencyMs = number(j, "latency_ms").value_or(0.0);
    e.waitMs = number(j, "wait_ms").value_or(0.0);
    e.retries = static_cast<int>(whole(j, "retries").value_or(0));
    e.cacheHit = j.contains("cache_hit") && j["cache_hit"].is_boolean() && j["cache_hit"].get<bool>();
    if (j.contains("error") && j["error"].is_string())
        e.errorKind = errorKindFromName(j["error"].get<std::string>()).value_or(ErrorKind::Internal);
    return row;
}

} // namespace

RunMirror::RunMirror(std::shared_ptr<ApiClient> client, std::shared_ptr<RunStore> mirror)
    : m_client(std::move(client)), m_mirror(std::move(mirror))
{}

Result<RunMirror::Change> RunMirror::syncRun(const std::string &runId)
{
    Change change;
    change.runId = runId;
    const std::string base = "/v1/runs/" + runId;
    auto detail = m_client->getJson(base);
    if (!detail)
        return detail.error();
    auto record = recordFromJson(detail.value());
    if (!record)
        return record.error();
    change.added = !m_known.count(runId) && !m_mirror->loadRun(runId).ok();
    auto last = change.added ? Result<std::uint64_t>(0) : m_mirror->lastSeq(runId);
    if (!last)
        return last.error();
    // Events first, then the row: a reader never sees "finished" before the
    // events that led there.
    auto batch = m_client->getJson(base + "/events?after=" + std::to_string(last.value()));
    if (!batch)
        return batch.error();
    if (change.added)
        if (auto imported = m_mirror->importRun(record.value()); !imported)
            return imported.error();
    for (const Json &line : batch.value()["events"]) {
        auto event = runEventFromJsonLine(line.dump());
        if (!event)
            return event.error();
        if (event->seq <= last.value())
            continue;
        if (auto appended = m_mirror->appendEvent(runId, event.value()); !appended)
            return appended.error();
        change.events.push_back(std::move(event.value()));
    }
    const RunStatus batchStatus = runStatusFromName(text(batch.value(), "status"));
    auto ledger = m_client->getJson(base + "/ledger");
    if (!ledger)
        return ledger.error();
    auto have = m_mirror->ledger(runId);
    if (!have)
        return have.error();
    const Json &calls = ledger.value()["calls"];
    for (std::size_t i = have->size(); i < calls.size(); ++i)
        if (auto added = m_mirror->appendLedger(runId, ledgerRowFromJson(calls[i])); !added)
            return added.error();
    if (detail.value().value("has_artifact", false)) {
        auto local = m_mirror->artifact(runId);
        if (local && local->empty()) {
            auto artifact = m_client->getText(base + "/artifact");
            if (!artifact)
                return artifact.error();
            if (auto set = m_mirror->setArtifact(runId, artifact.value()); !set)
                return set.error();
        }
    }
    if (auto imported = m_mirror->importRun(record.value()); !imported)
        return imported.error();
    // Complete when the events were read after the run had ended.
    change.ended = isOver(batchStatus) && isOver(record->status);
    m_known[runId] = Known{runStatusName(record->status), change.ended};
    return change;
}

Result<std::vector<RunMirror::Change>> RunMirror::sync()
{
    auto list = m_client->getJson("/v1/runs");
    if (!list)
        return list.error();
    std::vector<Change> changes;
    for (const Json &run : list.value()["runs"]) {
        const std::string id = text(run, "id");
        const std::string status = text(run, "status");
        auto known = m_known.find(id);
        if (known != m_known.end() && known->second.complete && known->second.status == status)
            continue;
        auto change = syncRun(id);
        if (!change)
            return change.error();
        if (change->added || !change->events.empty() || known == m_known.end() || known->second.status != status)
            changes.push_back(std::move(change.value()));
    }
    return changes;
}

} // namespace prism
