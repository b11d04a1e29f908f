#include "server/api_server.h"

#include "artifact/program_file.h"
#include "core/json.h"
#include "core/study.h"
#include "data/dataset.h"
#include "events/event_codec.h"
#include "run/run_store.h"
#include "server/api_request.h"
#include "server/compare_jobs.h"
#include "server/run_feed.h"
#include "server/stream_ticket.h"
#include "server/team_store.h"
#include "server/upload.h"

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <set>
#include <system_error>

namespace prism {

namespace {

constexpr const char *kRunIdPattern = "(r-[0-9]{8}-[0-9]{4,})";
constexpr const char *kCompareIdPattern = "(c-[0-9]{1,18})";

void sendJson(httplib::Response &res, int status, const Json &body)
{
    res.status = status;
    res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

// Every error body: {"code": "...", "message": "..."}.
void sendError(httplib::Response &res, int status, const std::string &code, const std::string &message)
{
    sendJson(res, status, Json{{"code", code}, {"message", message}});
}

// An engine error as the API answers it: what the client sent is 4xx, the
// server's own trouble 5xx.
void sendEngineError(httplib::Response &res, const Error &error)
{
    switch (error.kind) {
    case ErrorKind::Parse: return sendError(res, 400, "invalid_json", error.message);
    case ErrorKind::Data:
    case ErrorKind::Config:
    case ErrorKind::Script: return sendError(res, 422, "invalid_request", error.message);
    default: spdlog::error("api: {}", error.message); return sendError(res, 503, "store_unavailable", error.message);
    }
}

Json optionalNumber(const std::optional<double> &v)
{
    return v ? Json(*v) : Json();
}

Json parsedOrText(const std::string &text)
{
    Json parsed = Json::parse(text, nullptr, false);
    return parsed.is_discarded() ? Json(text) : parsed;
}

Json runJson(const RunRecord &run, bool detail)
{
    Json j{{"id", run.id},
           {"status", runStatusName(run.status)},
           {"created_at", run.createdAt},
           {"finished_at", run.finishedAt.empty() ? Json() : Json(run.finishedAt)},
           {"study_name", run.studyName},
           {"optimizer", run.optimizer},
           {"seed", run.seed},
           {"stop_reason", run.stopReason.text()},
           {"baseline_score", optionalNumber(run.baselineScore)},
           {"best_score", optionalNumber(run.bestScore)},
           {"has_artifact", run.hasArtifact},
           {"sessions", run.sessions}};
    if (detail) {
        j["study"] = parsedOrText(run.studyJson);
        j["optimizer_config"] = parsedOrText(run.optimizerConfigJson);
        j["summary"] = run.summary ? Json::parse(payloadToJson(EventPayload(*run.summary)).dump()) : Json();
    }
    return j;
}

Json trialJson(const TrialRecord &t)
{
    return Json{{"trial", t.trial},
                {"kind", t.kind},
                {"config", parsedOrText(t.configJson)},
                {"score", optionalNumber(t.score)},
                {"scored", t.scored},
                {"errors", t.errors},
                {"examples", t.examples},
                {"new_calls", t.newCalls},
                {"memo_hits", t.memoHits},
                {"state", t.state},
                {"error", t.error}};
}

Json compareJson(const CompareJob &job, bool detail)
{
    Json j{{"id", compareJobName(job.id)},
           {"run", job.runId},
           {"status", compareStatusName(job.status)},
           {"split", job.split},
           {"baseline", parsedOrText(job.baselineSpec)},
           {"candidate", parsedOrText(job.candidateSpec)},
           {"created_at", job.createdAt},
           {"finished_at", job.finishedAt.empty() ? Json() : Json(job.finishedAt)},
           {"attempts", job.claims},
           {"error", job.error.empty() ? Json() : Json(job.error)}};
    if (detail && job.status == CompareStatus::Done) {
        const Json result = parsedOrText(job.resultJson);
        j["comparison"] = result.is_object() && result.contains("comparison") ? result["comparison"] : Json();
        j["calls"] = result.is_object() && result.contains("calls") ? result["calls"] : Json();
    }
    return j;
}

// One server-sent event per run event: its seq is the id a client gives back
// as Last-Event-ID when it reconnects.
std::string sseFrame(const RunEvent &event)
{
    return "id: " + std::to_string(event.seq) + "\nevent: " + eventTypeName(event.type())
           + "\ndata: " + toJsonLine(event) + "\n\n";
}

std::string isoUtc(std::chrono::system_clock::time_point at)
{
    const std::time_t seconds = std::chrono::system_clock::to_time_t(at);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

std::optional<std::uint64_t> parseSeq(const std::string &text)
{
    if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    return std::stoull(text);
}

} // namespace

struct ApiServer::Impl {
    ApiServerConfig config;
    std::shared_ptr<RunStore> store;
    std::unique_ptr<TeamStore> teams;
    std::unique_ptr<RunFeeds> feeds;
    std::unique_ptr<CompareJobs> compares;
    std::string ticketSecret; // signs event-stream tickets (TeamStore::streamSecret)
    httplib::Server http;
    int boundPort = 0;
    std::atomic<bool> stopping{false};

    void routes();
    // The caller's team, or nothing after a 401 was sent.
    std::optional<std::string> team(const httplib::Request &req, httplib::Response &res);
    // The run when the caller's team owns it, or nothing after a 404 was sent.
    std::optional<RunRecord> visibleRun(const std::string &team, const std::string &runId, httplib::Response &res);
    // The run of the path ({id}) when the caller may see it; nothing after a 401 or 404.
    std::optional<RunRecord> callerRun(const httplib::Request &req, httplib::Response &res);

    void createRun(const httplib::Request &req, httplib::Response &res);
    Result<std::string> enqueueUpload(CreateRunRequest &request, std::vector<std::string> &warnings);
    void listRuns(const httplib::Request &req, httplib::Response &res);
    void getRun(const httplib::Request &req, httplib::Response &res);
    void cancelRun(const httplib::Request &req, httplib::Response &res);
    void resumeRun(const httplib::Request &req, httplib::Response &res);
    void getArtifact(const httplib::Request &req, httplib::Response &res);
    void getTrials(const httplib::Request &req, httplib::Response &res);
    void getLedger(const httplib::Request &req, httplib::Response &res);
    void streamEvents(const httplib::Request &req, httplib::Response &res);
    void createTicket(const httplib::Request &req, httplib::Response &res);
    // The run of the path when the request's ?ticket= opens its events;
    // nothing after a 401 or 404.
    std::optional<RunRecord> ticketRun(const httplib::Request &req, httplib::Response &res);
    void sendEventBatch(const RunRecord &run, std::uint64_t after, httplib::Response &res);
    void createCompare(const httplib::Request &req, httplib::Response &res);
    // The program text a spec names, checked against the study's program;
    // nothing after an error was sent (404, 409, 422).
    std::optional<std::string> resolveProgram(const std::string &team, const RunRecord &run, const Study &study,
                                              const ProgramSpec &spec, const std::string &which,
                                              httplib::Response &res);
    // The split has examples, read from the files the run was uploaded with.
    Result<void> checkSplit(const RunRecord &run, Study study, const std::string &split);
    void listCompares(const httplib::Request &req, httplib::Response &res);
    void getCompare(const httplib::Request &req, httplib::Response &res);
};

std::optional<std::string> ApiServer::Impl::team(const httplib::Request &req, httplib::Response &res)
{
    const std::string header = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    res.set_header("WWW-Authenticate", "Bearer");
    if (header.empty()) {
        sendError(res, 401, "unauthorized", "this request needs a token: Authorization: Bearer <token>");
        return std::nullopt;
    }
    if (header.compare(0, prefix.size(), prefix) != 0 || header.size() == prefix.size()) {
        sendError(res, 401, "unauthorized", "the Authorization header must be \"Bearer <token>\"");
        return std::nullopt;
    }
    auto token = teams->authenticate(header.substr(prefix.size()));
    if (!token) {
        sendEngineError(res, token.error());
        return std::nullopt;
    }
    if (!token.value()) {
        sendError(res, 401, "unauthorized", "the token is not known to this server (revoked, or mistyped)");
        return std::nullopt;
    }
    res.headers.erase("WWW-Authenticate");
    return token.value()->team;
}

std::optional<RunRecord> ApiServer::Impl::visibleRun(const std::string &team, const std::string &runId,
                                                     httplib::Response &res)
{
    auto owner = teams->runTeam(runId);
    if (!owner) {
        sendEngineError(res, owner.error());
        return std::nullopt;
    }
    // Another team's run answers as a run that does not exist.
    if (!owner.value() || *owner.value() != team) {
        sendError(res, 404, "not_found", "no run " + runId);
        return std::nullopt;
    }
    auto run = store->loadRun(runId);
    if (!run) {
        sendError(res, 404, "not_found", "no run " + runId);
        return std::nullopt;
    }
    return run.value();
}

std::optional<RunRecord> ApiServer::Impl::callerRun(const httplib::Request &req, httplib::Response &res)
{
    auto caller = team(req, res);
    if (!caller)
        return std::nullopt;
    return visibleRun(*caller, req.matches[1], res);
}

Result<std::string> ApiServer::Impl::enqueueUpload(CreateRunRequest &request, std::vector<std::string> &warnings)
{
    // The study's own warnings join the request's (the loader replaces its list).
    std::vector<std::string> studyWarnings;
    auto study = studyFromJsonText(request.studyText, "study", &studyWarnings);
    warnings.insert(warnings.end(), studyWarnings.begin(), studyWarnings.end());
    if (!study)
        return study.error();
    if (auto valid = checkUploadedStudy(study.value(), request.files, config.allowedEndpoints); !valid)
        return valid.error();
    // The study's optimizer with the request's settings: name them as such.
    if (auto valid = checkRunSettings(study.value(), request.settings); !valid)
        return Error::make(valid.error().kind, "settings: " + valid.error().message);
    // The data is loaded and checked here, from the uploaded files, as
    // `prism optimize --queue` checks it; the worker writes its own copy.
    auto scratch = ScratchDir::make(config.uploadDir);
    if (!scratch)
        return scratch.error();
    const std::string dir = scratch->path();
    if (auto written = writeUploadedFiles(dir, request.files); !written)
        return written.error();
    study->baseDir = dir;
    request.settings.studyPath = "(uploaded) " + study->name;
    RunController controller(store);
    controller.setMetricFactory(config.metricFactory);
    auto id = controller.enqueue(study.value(), request.settings, request.files);
    if (id)
        return id;
    // An uploaded file is named as the client named it, not by where it was checked.
    Error error = id.error();
    const std::string prefix = dir + "/";
    bool inUpload = false;
    for (auto at = error.message.find(prefix); at != std::string::npos; at = error.message.find(prefix)) {
        error.message.replace(at, prefix.size(), "files: ");
        inUpload = true;
    }
    if (inUpload)
        error.kind = ErrorKind::Data;
    return error;
}

void ApiServer::Impl::createRun(const httplib::Request &req, httplib::Response &res)
{
    auto caller = team(req, res);
    if (!caller)
        return;
    auto request = parseCreateRunRequest(req.body);
    if (!request)
        return sendEngineError(res, request.error());
    std::vector<std::string> warnings = request->warnings;
    auto id = enqueueUpload(request.value(), warnings);
    // The body was JSON; a study that does not read is the study's fault.
    if (!id && id.error().kind == ErrorKind::Parse)
        return sendError(res, 422, "invalid_study", id.error().message);
    if (!id)
        return sendEngineError(res, id.error());
    if (auto owned = teams->setRunTeam(id.value(), *caller); !owned)
        return sendEngineError(res, owned.error());
    spdlog::info("api: team {} queued run {}", *caller, id.value());
    res.set_header("Location", "/v1/runs/" + id.value());
    sendJson(res, 201, Json{{"id", id.value()}, {"status", "queued"}, {"warnings", warnings}});
}

void ApiServer::Impl::listRuns(const httplib::Request &req, httplib::Response &res)
{
    auto caller = team(req, res);
    if (!caller)
        return;
    auto ids = teams->teamRuns(*caller);
    if (!ids)
        return sendEngineError(res, ids.error());
    const std::set<std::string> mine(ids->begin(), ids->end());
    auto runs = store->listRuns();
    if (!runs)
        return sendEngineError(res, runs.error());
    Json list = Json::array();
    for (const RunRecord &run : runs.value())
        if (mine.count(run.id))
            list.push_back(runJson(run, false));
    sendJson(res, 200, Json{{"runs", list}});
}

void ApiServer::Impl::getRun(const httplib::Request &req, httplib::Response &res)
{
    if (auto run = callerRun(req, res))
        sendJson(res, 200, runJson(*run, true));
}

void ApiServer::Impl::cancelRun(const httplib::Request &req, httplib::Response &res)
{
    auto run = callerRun(req, res);
    if (!run)
        return;
    auto cancelled = store->requestCancel(run->id);
    if (!cancelled)
        return sendEngineError(res, cancelled.error());
    switch (cancelled.value()) {
    case CancelRequest::Cancelled: return sendJson(res, 200, Json{{"id", run->id}, {"status", "cancelled"}});
    case CancelRequest::Requested: return sendJson(res, 202, Json{{"id", run->id}, {"status", "cancelling"}});
    case CancelRequest::NotActive: break;
    }
    sendError(res, 409, "conflict",
              "run " + run->id + " is " + runStatusName(run->status)
                  + "; only a queued or running run can be cancelled");
}

void ApiServer::Impl::resumeRun(const httplib::Request &req, httplib::Response &res)
{
    auto run = callerRun(req, res);
    if (!run)
        return;
    if (auto requeued = store->requeueRun(run->id); !requeued) {
        if (requeued.error().kind == ErrorKind::Config)
            return sendError(res, 409, "conflict", requeued.error().message);
        return sendEngineError(res, requeued.error());
    }
    sendJson(res, 202, Json{{"id", run->id}, {"status", "queued"}});
}

void ApiServer::Impl::getArtifact(const httplib::Request &req, httplib::Response &res)
{
    auto run = callerRun(req, res);
    if (!run)
        return;
    auto artifact = store->artifact(run->id);
    if (!artifact)
        return sendEngineError(res, artifact.error());
    if (artifact->empty())
        return sendError(res, 404, "no_artifact",
                         "run " + run->id + " has no artifact yet (" + runStatusName(run->status) + ")");
    // The exact text the run wrote: byte for byte the file a local run saves.
    res.status = 200;
    res.set_content(artifact.value(), "application/json");
}

void ApiServer::Impl::getTrials(const httplib::Request &req, httplib::Response &res)
{
    auto run = callerRun(req, res);
    if (!run)
        return;
    auto trials = store->trials(run->id);
    if (!trials)
        return sendEngineError(res, trials.error());
    Json list = Json::array();
    for (const TrialRecord &t : trials.value())
        list.push_back(trialJson(t));
    sendJson(res, 200, Json{{"id", run->id}, {"trials", list}});
}

void ApiServer::Impl::getLedger(const httplib::Request &req, httplib::Response &res)
{
    auto run = callerRun(req, res);
    if (!run)
        return;
    auto rows = store->ledger(run->id);
    auto totals = rows ? store->ledgerTotals(run->id) : Result<LedgerSummary>(rows.error());
    if (!totals)
        return sendEngineError(res, totals.error());
    Json byRole = Json::object();
    for (const auto &[role, t] : totals->byRole)
        byRole[role] = toJson(t);
    Json calls = Json::array();
    for (const LedgerRow &row : rows.value()) {
        Json call = toJson(row.entry);
        call["session"] = row.session;
        call["request_key"] = row.requestKey;
        calls.push_back(std::move(call));
    }
    sendJson(res, 200, Json{{"id", run->id}, {"total", toJson(totals->total)}, {"by_role", byRole}, {"calls", calls}});
}

std::optional<RunRecord> ApiServer::Impl::ticketRun(const httplib::Request &req, httplib::Response &res)
{
    const std::string runId = req.matches[1];
    auto owner = teams->runTeam(runId);
    if (!owner) {
        sendEngineError(res, owner.error());
        return std::nullopt;
    }
    const long long now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    if (!owner.value() || !streamTicketValid(ticketSecret, req.get_param_value("ticket"), runId, *owner.value(), now)) {
        res.set_header("WWW-Authenticate", "Bearer");
        sendError(res, 401, "unauthorized",
                  "the ticket does not open this run's events (expired, or made for another run): "
                  "ask for a new one, POST /v1/runs/"
                      + runId + "/events/ticket");
        return std::nullopt;
    }
    auto run = store->loadRun(runId);
    if (!run) {
        sendError(res, 404, "not_found", "no run " + runId);
        return std::nullopt;
    }
    return run.value();
}

void ApiServer::Impl::createTicket(const httplib::Request &req, httplib::Response &res)
{
    auto run = callerRun(req, res);
    if (!run)
        return;
    long long ttl = 3600;
    if (req.has_param("ttl_seconds")) {
        const std::string text = req.get_param_value("ttl_seconds");
        auto seconds = parseSeq(text);
        if (!seconds || *seconds < 1 || *seconds > 86400)
            return sendError(res, 422, "invalid_request",
                             "ttl_seconds must be a whole number of seconds from 1 to 86400, not \""
                                 + text.substr(0, 40) + "\"");
        ttl = static_cast<long long>(*seconds);
    }
    auto owner = teams->runTeam(run->id);
    if (!owner || !owner.value())
        return sendEngineError(res, owner ? Error::make(ErrorKind::Io, "the run has no team") : owner.error());
    const auto expires = std::chrono::system_clock::now() + std::chrono::seconds(ttl);
    const long long expiresAt = std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch()).count();
    const std::string ticket = makeStreamTicket(ticketSecret, run->id, *owner.value(), expiresAt);
    sendJson(res, 201,
             Json{{"ticket", ticket},
                  {"expires_at", isoUtc(expires)},
                  {"events_url", "/v1/runs/" + run->id + "/events?ticket=" + ticket}});
}

void ApiServer::Impl::streamEvents(const httplib::Request &req, httplib::Response &res)
{
    // A browser's EventSource cannot send a token: it brings a ticket.
    const bool byTicket = req.has_param("ticket") && req.get_header_value("Authorization").empty();
    auto run = byTicket ? ticketRun(req, res) : callerRun(req, res);
    if (!run)
        return;
    // Last-Event-ID (a reconnecting EventSource) or ?after=N: the last event
    // the client has; the stream starts right after it.
    std::string from = req.get_header_value("Last-Event-ID");
    if (from.empty() && req.has_param("after"))
        from = req.get_param_value("after");
    std::uint64_t after = 0;
    if (!from.empty()) {
        auto seq = parseSeq(from);
        if (!seq)
            return sendError(res, 400, "invalid_request",
                             "Last-Event-ID (or after) must be an event's seq, a whole number; got \""
                                 + from.substr(0, 40) + "\"");
        after = *seq;
    }
    // A client that polls (the studio's mirror) asks for JSON: the events
    // there are now, at once.
    const std::string accept = req.get_header_value("Accept");
    if (accept.find("application/json") != std::string::npos && accept.find("text/event-stream") == std::string::npos)
        return sendEventBatch(run.value(), after, res);
    auto last = std::make_shared<std::uint64_t>(after);
    const std::string runId = run->id;
    res.set_header("Cache-Control", "no-cache");
    res.set_header("X-Accel-Buffering", "no"); // a reverse proxy must not hold events back
    res.set_chunked_content_provider("text/event-stream", [this, runId, last](std::size_t, httplib::DataSink &sink) {
        auto batch = feeds->next(runId, *last, std::chrono::milliseconds(config.streamKeepAliveMs));
        std::string out;
        for (const RunEvent &event : batch.events) {
            out += sseFrame(event);
            *last = event.seq;
        }
        const bool end = batch.ended || batch.error || stopping.load();
        if (batch.error)
            out += "event: error\ndata: "
                   + Json{{"code", "store_unavailable"}, {"message", batch.error->message}}.dump() + "\n\n";
        else if (batch.ended)
            out += "event: end\ndata: " + Json{{"status", runStatusName(batch.status)}}.dump() + "\n\n";
        if (out.empty())
            out = ": keep-alive\n\n"; // finds a client that went away
        if (!sink.write(out.data(), out.size()))
            return false;
        if (end)
            sink.done();
        return true;
    });
}

void ApiServer::Impl::sendEventBatch(const RunRecord &run, std::uint64_t after, httplib::Response &res)
{
    auto events = store->events(run.id, after);
    if (!events)
        return sendEngineError(res, events.error());
    Json list = Json::array();
    std::uint64_t last = after;
    for (const RunEvent &event : events.value()) {
        list.push_back(Json::parse(toJsonLine(event)));
        last = event.seq;
    }
    // The status read before the events: "finished" means these are all.
    sendJson(res, 200, Json{{"events", list}, {"status", runStatusName(run.status)}, {"last_seq", last}});
}

std::optional<std::string> ApiServer::Impl::resolveProgram(const std::string &team, const RunRecord &run,
                                                           const Study &study, const ProgramSpec &spec,
                                                           const std::string &which, httplib::Response &res)
{
    std::string text;
    switch (spec.kind) {
    case ProgramSpec::Kind::Baseline: text = toJson(study.program).dump(); break;
    case ProgramSpec::Kind::Inline: text = spec.programText; break;
    case ProgramSpec::Kind::Optimized:
    case ProgramSpec::Kind::Run: {
        std::optional<RunRecord> source = run;
        if (spec.kind == ProgramSpec::Kind::Run && spec.runId != run.id) {
            auto owner = teams->runTeam(spec.runId);
            if (!owner) {
                sendEngineError(res, owner.error());
                return std::nullopt;
            }
            auto other = owner.value() && *owner.value() == team ? store->loadRun(spec.runId)
                                                                 : Result<RunRecord>(Error::make(ErrorKind::Data, ""));
            if (!other) {
                // Another team's run answers as one that does not exist.
                sendError(res, 404, "not_found", which + ".run: no run " + spec.runId);
                return std::nullopt;
            }
            source = other.value();
        }
        auto artifact = store->artifact(source->id);
        if (!artifact) {
            sendEngineError(res, artifact.error());
            return std::nullopt;
        }
        if (artifact->empty()) {
            sendError(res, 409, "no_artifact",
                      which + ": run " + source->id + " has no artifact yet (" + runStatusName(source->status) + ")");
            return std::nullopt;
        }
        text = artifact.value();
        break;
    }
    }
    // Checked here as `prism compare --program` checks a file: a program
    // that does not fit the study is the client's error, not a failed job.
    if (auto loaded = loadProgramText(text, which, study.program); !loaded) {
        sendError(res, 422, "invalid_program", loaded.error().message);
        return std::nullopt;
    }
    return text;
}

Result<void> ApiServer::Impl::checkSplit(const RunRecord &run, Study study, const std::string &split)
{
    auto scratch = ScratchDir::make(config.uploadDir);
    if (!scratch)
        return scratch.error();
    auto placed = placeRunFiles(*store, run.id, scratch->path());
    if (!placed)
        return placed.error();
    if (!placed.value())
        return Error::make(ErrorKind::Config, "run " + run.id + " was not uploaded through the API");
    study.baseDir = scratch->path();
    auto data = loadStudyData(study);
    if (!data)
        return Error::make(ErrorKind::Data, "run " + run.id + ": its data no longer loads: " + data.error().message);
    const Dataset &examples = split == "train" ? data->train : split == "val" ? data->val : data->test;
    if (examples.examples.empty())
        return Error::make(ErrorKind::Data, "split: run " + run.id + "'s study has no " + split + " examples");
    return {};
}

void ApiServer::Impl::createCompare(const httplib::Request &req, httplib::Response &res)
{
    auto caller = team(req, res);
    if (!caller)
        return;
    auto run = visibleRun(*caller, req.matches[1], res);
    if (!run)
        return;
    auto request = parseCreateCompareRequest(req.body);
    if (!request)
        return sendEngineError(res, request.error());
    auto study = studyFromJsonText(run->studyJson, "run " + run->id + " (study snapshot)");
    if (!study) // the server's own record, not the client's request
        return sendError(res, 500, "internal", study.error().message);
    CompareJob job;
    job.runId = run->id;
    job.team = *caller;
    job.split = request->split;
    job.baselineSpec = request->baseline.specText;
    job.candidateSpec = request->candidate.specText;
    auto baseline = resolveProgram(*caller, *run, study.value(), request->baseline, "baseline", res);
    if (!baseline)
        return;
    auto candidate = resolveProgram(*caller, *run, study.value(), request->candidate, "candidate", res);
    if (!candidate)
        return;
    job.baselineProgram = *baseline;
    job.candidateProgram = *candidate;
    if (auto split = checkSplit(run.value(), study.value(), job.split); !split)
        return sendEngineError(res, split.error());
    auto id = compares->add(job);
    if (!id)
        return sendEngineError(res, id.error());
    spdlog::info("api: team {} queued compare job {} on run {}", *caller, compareJobName(id.value()), run->id);
    res.set_header("Location", "/v1/compares/" + compareJobName(id.value()));
    sendJson(res, 202, Json{{"id", compareJobName(id.value())}, {"status", "queued"}, {"warnings", request->warnings}});
}

void ApiServer::Impl::listCompares(const httplib::Request &req, httplib::Response &res)
{
    auto run = callerRun(req, res);
    if (!run)
        return;
    auto jobs = compares->runJobs(run->id);
    if (!jobs)
        return sendEngineError(res, jobs.error());
    Json list = Json::array();
    for (const CompareJob &job : jobs.value())
        list.push_back(compareJson(job, false));
    sendJson(res, 200, Json{{"id", run->id}, {"compares", list}});
}

void ApiServer::Impl::getCompare(const httplib::Request &req, httplib::Response &res)
{
    auto caller = team(req, res);
    if (!caller)
        return;
    const std::string name = req.matches[1];
    auto id = compareJobId(name);
    auto job = id ? compares->job(*id) : Result<std::optional<CompareJob>>(std::optional<CompareJob>());
    if (!job)
        return sendEngineError(res, job.error());
    // Another team's job answers as one that does not exist.
    if (!job.value() || job.value()->team != *caller)
        return sendError(res, 404, "not_found", "no compare job " + name);
    sendJson(res, 200, compareJson(*job.value(), true));
}

void ApiServer::Impl::routes()
{
    using Handler = void (Impl::*)(const httplib::Request &, httplib::Response &);
    const auto bind = [this](Handler handler) {
        return [this, handler](const httplib::Request &req, httplib::Response &res) { (this->*handler)(req, res); };
    };
    const std::string run = std::string("/v1/runs/") + kRunIdPattern;
    http.Get("/v1/health", [](const httplib::Request &, httplib::Response &res) {
        sendJson(res, 200, Json{{"ok", true}});
    });
    http.Post("/v1/runs", bind(&Impl::createRun));
    http.Get("/v1/runs", bind(&Impl::listRuns));
    http.Get(run, bind(&Impl::getRun));
    http.Post(run + "/cancel", bind(&Impl::cancelRun));
    http.Post(run + "/resume", bind(&Impl::resumeRun));
    http.Get(run + "/artifact", bind(&Impl::getArtifact));
    http.Get(run + "/trials", bind(&Impl::getTrials));
    http.Get(run + "/ledger", bind(&Impl::getLedger));
    http.Get(run + "/events", bind(&Impl::streamEvents));
    http.Post(run + "/events/ticket", bind(&Impl::createTicket));
    http.Post(run + "/compares", bind(&Impl::createCompare));
    http.Get(run + "/compares", bind(&Impl::listCompares));
    http.Get(std::string("/v1/compares/") + kCompareIdPattern, bind(&Impl::getCompare));
    // Anything no handler answered (an unknown path, a body over the limit)
    // still gets a JSON error.
    http.set_error_handler([this](const httplib::Request &, httplib::Response &res) {
        if (!res.body.empty())
            return;
        if (res.status == 413)
            return sendError(res, 413, "too_large",
                             "the request body is over " + std::to_string(config.maxRequestBytes) + " bytes");
        if (res.status == 404)
            return sendError(res, 404, "not_found", "no such endpoint");
        sendError(res, res.status, "bad_request",
                  "the request could not be read (HTTP " + std::to_string(res.status)
                      + "): malformed request line or headers, or a POST without Content-Length");
    });
    http.set_exception_handler([](const httplib::Request &req, httplib::Response &res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
            std::rethrow_exception(ep);
        } catch (const std::exception &e) {
            what = e.what();
        } catch (...) {}
        spdlog::error("api: {} {}: {}", req.method, req.path, what);
        sendError(res, 500, "internal", "the server failed on this request: " + what);
    });
}

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

ApiServer::~ApiServer()
{
    stop();
}

Result<std::unique_ptr<ApiServer>> ApiServer::create(ApiServerConfig config)
{
    auto impl = std::make_unique<Impl>();
    impl->config = std::move(config);
    auto store = RunStore::open(impl->config.storeUrl);
    if (!store)
        return store.error();
    if (!store.value()->isDatabase())
        return Error::make(ErrorKind::Config,
                           store.value()->path()
                               + ": the API server needs a PostgreSQL store (--store postgresql://...)");
    impl->store = store.value();
    auto teams = TeamStore::open(impl->config.storeUrl);
    if (!teams)
        return teams.error();
    impl->teams = std::move(teams.value());
    auto secret = impl->teams->streamSecret();
    if (!secret)
        return secret.error();
    impl->ticketSecret = secret.value();
    auto compares = CompareJobs::open(impl->config.storeUrl);
    if (!compares)
        return compares.error();
    impl->compares = std::move(compares.value());
    if (impl->config.uploadDir.empty())
        impl->config.uploadDir = std::filesystem::temp_directory_path().string();
    impl->feeds = std::make_unique<RunFeeds>(impl->store, std::chrono::milliseconds(impl->config.eventPollMs));
    const int threads = std::max(2, impl->config.httpThreads);
    impl->http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
    impl->http.set_payload_max_length(impl->config.maxRequestBytes);
    impl->http.set_read_timeout(30, 0);
    impl->routes();
    const std::string &host = impl->config.host;
    if (impl->config.port == 0)
        impl->boundPort = impl->http.bind_to_any_port(host);
    else if (impl->http.bind_to_port(host, impl->config.port))
        impl->boundPort = impl->config.port;
    if (impl->boundPort <= 0)
        return Error::make(ErrorKind::Io, host + ":" + std::to_string(impl->config.port)
                                              + ": cannot listen there (in use, or not an address of this machine)");
    return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

int ApiServer::port() const
{
    return m_impl->boundPort;
}

Result<void> ApiServer::serve()
{
    if (!m_impl->http.listen_after_bind() && !m_impl->stopping.load())
        return Error::make(ErrorKind::Io, "the API server stopped listening");
    return {};
}

void ApiServer::stop()
{
    if (m_impl->stopping.exchange(true))
        return;
    m_impl->feeds->shutdown();
    m_impl->http.stop();
}

} // namespace prism
