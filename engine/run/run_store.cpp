#include "run/run_store.h"

#include "core/paths.h"
#include "core/sqlite_db.h"
#include "events/event_codec.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <ctime>
#include <thread>
#include <unistd.h>

namespace prism {

namespace {

using Stmt = sqlite::Statement;

const char *kSchema =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS runs ("
    "  id TEXT PRIMARY KEY, created_at TEXT NOT NULL, finished_at TEXT,"
    "  study_name TEXT NOT NULL, study_path TEXT NOT NULL, study_json TEXT NOT NULL,"
    "  optimizer TEXT NOT NULL, optimizer_config TEXT NOT NULL, options TEXT NOT NULL, seed INTEGER NOT NULL,"
    "  status TEXT NOT NULL, stop_reason TEXT NOT NULL DEFAULT '',"
    "  baseline_score REAL, best_score REAL, artifact TEXT,"
    "  sessions INTEGER NOT NULL DEFAULT 1, cancel_seq INTEGER, summary TEXT, owner TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE IF NOT EXISTS events ("
    "  run_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL, elapsed REAL NOT NULL,"
    "  PRIMARY KEY (run_id, seq));"
    "CREATE TABLE IF NOT EXISTS trials ("
    "  run_id TEXT NOT NULL, seq INTEGER NOT NULL, trial INTEGER NOT NULL, kind TEXT NOT NULL,"
    "  config_key TEXT NOT NULL, config TEXT NOT NULL, score REAL, scored INTEGER NOT NULL, errors INTEGER NOT NULL,"
    "  examples INTEGER NOT NULL, new_calls INTEGER NOT NULL, memo_hits INTEGER NOT NULL,"
    "  state TEXT NOT NULL, error TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY (run_id, seq));"
    "CREATE TABLE IF NOT EXISTS example_results ("
    "  run_id TEXT NOT NULL, config_key TEXT NOT NULL, example_index INTEGER NOT NULL,"
    "  score REAL, error TEXT NOT NULL DEFAULT '', prediction TEXT NOT NULL DEFAULT '', calls INTEGER NOT NULL DEFAULT "
    "0,"
    "  seq INTEGER,"
    "  PRIMARY KEY (run_id, config_key, example_index));"
    "CREATE TABLE IF NOT EXISTS candidates ("
    "  run_id TEXT NOT NULL, seq INTEGER NOT NULL, predictor TEXT NOT NULL, idx INTEGER NOT NULL,"
    "  text TEXT NOT NULL, tip TEXT NOT NULL, PRIMARY KEY (run_id, seq));"
    "CREATE TABLE IF NOT EXISTS demo_sets ("
    "  run_id TEXT NOT NULL, seq INTEGER NOT NULL, predictor TEXT NOT NULL, idx INTEGER NOT NULL,"
    "  kind TEXT NOT NULL, demos TEXT NOT NULL, PRIMARY KEY (run_id, seq));"
    "CREATE TABLE IF NOT EXISTS summaries ("
    "  run_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, predictor TEXT NOT NULL,"
    "  text TEXT NOT NULL, PRIMARY KEY (run_id, seq));"
    "CREATE TABLE IF NOT EXISTS ledger ("
    "  run_id TEXT NOT NULL, id INTEGER PRIMARY KEY AUTOINCREMENT, session INTEGER NOT NULL,"
    "  request_key TEXT NOT NULL, role TEXT NOT NULL, model TEXT NOT NULL, endpoint TEXT NOT NULL,"
    "  prompt_tokens INTEGER, completion_tokens INTEGER, dollars REAL, latency_ms REAL NOT NULL,"
    "  wait_ms REAL NOT NULL, retries INTEGER NOT NULL, cache_hit INTEGER NOT NULL, error_kind TEXT);"
    "CREATE INDEX IF NOT EXISTS ledger_run ON ledger (run_id);"
    "CREATE TABLE IF NOT EXISTS calls ("
    "  run_id TEXT NOT NULL, request_key TEXT NOT NULL, response TEXT NOT NULL, session INTEGER NOT NULL,"
    "  PRIMARY KEY (run_id, request_key));";

// Makes the commits of its scope durable against a crash of the machine:
// synchronous=FULL syncs the WAL at commit (which covers earlier NORMAL
// commits too), then the connection goes back to NORMAL.
// durable = false keeps NORMAL: the commit is atomic and survives a crash
// of the process (WAL), only a crash of the machine can lose it.
class DurableCommit {
public:
    explicit DurableCommit(sqlite3 *db, bool durable = true) : m_db(durable ? db : nullptr)
    {
        if (m_db)
            sqlite3_exec(m_db, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
    }
    ~DurableCommit()
    {
        if (m_db)
            sqlite3_exec(m_db, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
    }
    DurableCommit(const DurableCommit &) = delete;
    DurableCommit &operator=(const DurableCommit &) = delete;

private:
    sqlite3 *m_db;
};

// Events are synced to disk in groups: a sync costs milliseconds, and a run on
// a fast model emits thousands of events a second. An event commit syncs (and
// with it every commit before it) when this long has passed since the last sync.
constexpr std::chrono::milliseconds kEventSyncInterval{200};

std::string isoNowUtc()
{
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::string dayStampUtc()
{
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y%m%d", &tm);
    return buf;
}

std::string hostName()
{
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0)
        return "localhost";
    return host;
}

std::optional<ErrorKind> errorKindFromName(const std::string &name)
{
    for (int k = 0; k <= static_cast<int>(ErrorKind::Internal); ++k)
        if (name == errorKindName(static_cast<ErrorKind>(k)))
            return static_cast<ErrorKind>(k);
    return std::nullopt;
}

std::string responseToJsonText(const ChatResponse &r)
{
    Json j = Json::object();
    j["choices"] = r.choices;
    j["prompt_tokens"] = r.usage.promptTokens ? Json(*r.usage.promptTokens) : Json(nullptr);
    j["completion_tokens"] = r.usage.completionTokens ? Json(*r.usage.completionTokens) : Json(nullptr);
    j["calls"] = r.usage.calls;
    j["model"] = r.model;
    j["request_id"] = r.requestId;
    j["latency_ms"] = r.latencyMs;
    j["cache_hit"] = r.cacheHit;
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<ChatResponse> responseFromJsonText(const std::string &text)
{
    const Json j = Json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("choices") || !j["choices"].is_array())
        return std::nullopt;
    ChatResponse r;
    for (const auto &c : j["choices"]) {
        if (!c.is_string())
            return std::nullopt;
        r.choices.push_back(c.get<std::string>());
    }
    if (j.contains("prompt_tokens") && j["prompt_tokens"].is_number_integer())
        r.usage.promptTokens = j["prompt_tokens"].get<long long>();
    if (j.contains("completion_tokens") && j["completion_tokens"].is_number_integer())
        r.usage.completionTokens = j["completion_tokens"].get<long long>();
    if (j.contains("calls") && j["calls"].is_number_integer())
        r.usage.calls = j["calls"].get<int>();
    if (j.contains("model") && j["model"].is_string())
        r.model = j["model"].get<std::string>();
    if (j.contains("request_id") && j["request_id"].is_string())
        r.requestId = j["request_id"].get<std::string>();
    if (j.contains("latency_ms") && j["latency_ms"].is_number())
        r.latencyMs = j["latency_ms"].get<double>();
    if (j.contains("cache_hit") && j["cache_hit"].is_boolean())
        r.cacheHit = j["cache_hit"].get<bool>();
    return r;
}

RunRecord readRunRow(const Stmt &s)
{
    RunRecord r;
    r.id = s.columnText(0);
    r.createdAt = s.columnText(1);
    r.finishedAt = s.columnText(2);
    r.studyName = s.columnText(3);
    r.studyPath = s.columnText(4);
    r.studyJson = s.columnText(5);
    r.optimizer = s.columnText(6);
    r.optimizerConfigJson = s.columnText(7);
    r.optionsJson = s.columnText(8);
    r.seed = static_cast<std::uint64_t>(s.columnInt(9));
    r.status = runStatusFromName(s.columnText(10));
    r.stopReason = StopReason::fromText(s.columnText(11));
    r.baselineScore = s.columnOptReal(12);
    r.bestScore = s.columnOptReal(13);
    r.hasArtifact = !s.columnNull(14) && s.columnInt(14) != 0;
    r.sessions = static_cast<int>(s.columnInt(15));
    if (auto c = s.columnOptInt(16))
        r.cancelSeq = static_cast<std::uint64_t>(*c);
    if (const std::string summary = s.columnText(17); !summary.empty()) {
        // A summary that does not decode is left out (the run row still lists).
        if (auto decoded = decodePayload(EventType::RunFinished, summary, 0))
            r.summary = std::get<RunFinishedEvent>(decoded.value());
        else
            spdlog::warn("run {}: its stored summary is unreadable: {}", r.id, decoded.error().message);
    }
    r.owner = s.columnText(18);
    return r;
}

} // namespace

std::string runOwner()
{
    return hostName() + ":" + std::to_string(static_cast<long long>(::getpid()));
}

bool runOwnerAlive(const std::string &owner)
{
    const auto colon = owner.rfind(':');
    if (colon == std::string::npos || owner.substr(0, colon) != hostName())
        return false; // another machine: cannot tell, so do not block
    long long pid = 0;
    try {
        pid = std::stoll(owner.substr(colon + 1));
    } catch (const std::exception &) {
        return false;
    }
    if (pid <= 0 || pid == static_cast<long long>(::getpid()))
        return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

RunStore::RunStore(std::string path, sqlite3 *db) : m_path(std::move(path)), m_db(db) {}

RunStore::~RunStore()
{
    sqlite3_close_v2(m_db);
}

Error RunStore::sqlError(const std::string &what) const
{
    return Error::make(ErrorKind::Io, m_path + ": run store " + what + " failed: " + sqlite3_errmsg(m_db));
}

Result<void> RunStore::execLocked(const char *sql, const std::string &what)
{
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
        return sqlError(what);
    return {};
}

Result<std::shared_ptr<RunStore>> RunStore::open(const std::string &path, StoreAccess access)
{
    const bool readOnly = access == StoreAccess::ReadOnly;
    sqlite::Connection connection =
        sqlite::openConnection(path, readOnly ? sqlite::Access::ReadOnly : sqlite::Access::ReadWrite);
    if (!connection.db)
        return Error::make(
            ErrorKind::Io,
            path + ": cannot open the run store (" + connection.error
                + (readOnly ? ")" : "); check that the directory exists and is writable, or choose another path"));
    sqlite3 *db = connection.db;
    auto fail = [&](const std::string &what) -> Error {
        const std::string message = sqlite3_errmsg(db);
        const int code = sqlite3_errcode(db) & 0xff;
        sqlite3_close_v2(db);
        if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
            return Error::make(ErrorKind::Io,
                               path + ": not a usable run store (" + message
                                   + "); move the file away to start a new store, or choose another path");
        if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_PERM)
            return Error::make(ErrorKind::Io, path + ": the run store cannot be written (" + message
                                                  + "); make the directory writable or choose another path");
        return Error::make(ErrorKind::Io, path + ": cannot " + what + " the run store (" + message + ")");
    };
    // A read-only connection (the studio's) finds the schema the writer made.
    if (!readOnly) {
        // NORMAL: a commit survives a crash of the process, not of the machine.
        // Events (and run status changes) switch to FULL for their commit, which
        // syncs the WAL with every commit before it (docs/RUNS.md has the cost).
        int setupRc =
            sqlite::execSetup(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;");
        if (setupRc == SQLITE_OK)
            setupRc = sqlite::execSetup(db, kSchema);
        if (setupRc != SQLITE_OK)
            return fail("set up");
    }

    // The schema version: written once, checked on every open.
    {
        Stmt get(db, "SELECT value FROM meta WHERE key = 'schema_version'");
        if (!get.prepared() && readOnly) { // a writer would have made the table
            const std::string message = sqlite3_errmsg(db);
            sqlite3_close_v2(db);
            return Error::make(ErrorKind::Io, path + ": not a Prism run store (" + message + "); choose another path");
        }
        if (!get.prepared())
            return fail("read");
        const int step = get.step();
        if (step == SQLITE_ROW) {
            const std::string version = get.columnText(0);
            if (version != std::to_string(kRunStoreSchemaVersion)) {
                sqlite3_close_v2(db);
                return Error::make(ErrorKind::Io,
                                   path + ": run store schema version " + version + " is not the "
                                       + std::to_string(kRunStoreSchemaVersion)
                                       + " this Prism understands; use a matching Prism or another --store path");
            }
        } else if (step == SQLITE_DONE && readOnly) {
            sqlite3_close_v2(db);
            return Error::make(ErrorKind::Io,
                               path + ": not a Prism run store (no schema version); choose another path");
        } else if (step == SQLITE_DONE) {
            Stmt put(db, "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)");
            put.text(1, std::to_string(kRunStoreSchemaVersion));
            if (!put.prepared() || !put.done())
                return fail("write");
        } else {
            return fail("read");
        }
    }
    // A foreign database with tables of the same names but other columns fails here, not mid-run.
    {
        Stmt probe(
            db, "SELECT id, created_at, finished_at, study_name, study_path, study_json, optimizer, optimizer_config,"
                " options, seed, status, stop_reason, baseline_score, best_score, artifact, sessions, cancel_seq, "
                "summary, owner"
                " FROM runs LIMIT 0");
        Stmt probe2(db, "SELECT run_id, request_key, response, session FROM calls LIMIT 0");
        if (!probe.prepared() || !probe2.prepared()) {
            const std::string message = sqlite3_errmsg(db);
            sqlite3_close_v2(db);
            return Error::make(ErrorKind::Io, path + ": not a Prism run store (" + message + "); choose another path");
        }
    }
    return std::shared_ptr<RunStore>(new RunStore(path, db));
}

Result<std::string> RunStore::defaultPath()
{
    return userDataPath("runs.sqlite");
}

Result<std::shared_ptr<RunStore>> RunStore::openDefault()
{
    auto path = defaultPath();
    if (!path)
        return path.error();
    return open(path.value());
}

Result<void> RunStore::requireRunLocked(const std::string &runId)
{
    Stmt s(m_db, "SELECT 1 FROM runs WHERE id = ?");
    if (!s.prepared())
        return sqlError("lookup");
    s.text(1, runId);
    const int rc = s.step();
    if (rc == SQLITE_ROW)
        return {};
    if (rc == SQLITE_DONE)
        return Error::make(ErrorKind::Data, m_path + ": no run '" + runId + "' in the run store");
    return sqlError("lookup");
}

Result<std::string> RunStore::createRun(const NewRun &run)
{
    std::lock_guard lock(m_mutex);
    const DurableCommit durable(m_db);
    // IMMEDIATE: two processes creating runs the same day get different numbers.
    if (auto r = execLocked("BEGIN IMMEDIATE", "transaction start"); !r)
        return r.error();
    auto rollback = [&](Error e) -> Error {
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
        return e;
    };
    const std::string prefix = "r-" + dayStampUtc() + "-";
    long long next = 1;
    {
        Stmt s(m_db, "SELECT id FROM runs WHERE id LIKE ? ORDER BY id DESC LIMIT 1");
        if (!s.prepared())
            return rollback(sqlError("run numbering"));
        s.text(1, prefix + "%");
        const int rc = s.step();
        if (rc == SQLITE_ROW) {
            const std::string last = s.columnText(0);
            try {
                next = std::stoll(last.substr(prefix.size())) + 1;
            } catch (const std::exception &) {
                next = 1;
            }
        } else if (rc != SQLITE_DONE) {
            return rollback(sqlError("run numbering"));
        }
    }
    char number[32];
    std::snprintf(number, sizeof number, "%04lld", next);
    const std::string id = prefix + number;
    Stmt s(m_db, "INSERT INTO runs (id, created_at, study_name, study_path, study_json, optimizer, optimizer_config,"
                 " options, seed, status, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)");
    if (!s.prepared())
        return rollback(sqlError("run creation"));
    s.text(1, id).text(2, isoNowUtc()).text(3, run.studyName).text(4, run.studyPath).text(5, run.studyJson);
    s.text(6, run.optimizer).text(7, run.optimizerConfigJson).text(8, run.optionsJson);
    s.integer(9, static_cast<long long>(run.seed)).text(10, runOwner());
    if (!s.done())
        return rollback(sqlError("run creation"));
    if (auto r = execLocked("COMMIT", "commit"); !r)
        return rollback(r.error());
    return id;
}

// The rows derived from an event (trials, example scores, candidates, demo
// sets, summaries), inside appendEvent's transaction.
Result<void> RunStore::appendDerivedLocked(const std::string &runId, const RunEvent &event)
{
    const long long seq = static_cast<long long>(event.seq);
    if (const auto *t = event.as<TrialFinishedEvent>()) {
        Stmt s(m_db,
               "INSERT INTO trials (run_id, seq, trial, kind, config_key, config, score, scored, errors, examples,"
               " new_calls, memo_hits, state, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        if (!s.prepared())
            return sqlError("trial write");
        s.text(1, runId).integer(2, seq).integer(3, t->trial).text(4, t->kind);
        s.text(5, t->configKey).text(6, configToJsonText(t->config)).optReal(7, t->score);
        s.integer(8, static_cast<long long>(t->scored)).integer(9, static_cast<long long>(t->errors));
        s.integer(10, static_cast<long long>(t->examples));
        s.integer(11, t->newCalls).integer(12, t->memoHits);
        s.text(13, t->failed ? "failed" : "complete").text(14, t->error.value_or(std::string()));
        if (!s.done())
            return sqlError("trial write");
        // The per-example callback may already have stored richer rows: keep them.
        Stmt r(m_db, "INSERT OR IGNORE INTO example_results (run_id, config_key, example_index, score, seq)"
                     " VALUES (?, ?, ?, ?, ?)");
        if (!r.prepared())
            return sqlError("example result write");
        for (const auto &[index, score] : t->results) {
            r.reset();
            r.text(1, runId).text(2, t->configKey).integer(3, static_cast<long long>(index));
            r.optReal(4, score);
            r.integer(5, seq);
            if (!r.done())
                return sqlError("example result write");
        }
    } else if (const auto *c = event.as<InstructionProposedEvent>()) {
        Stmt s(m_db, "INSERT INTO candidates (run_id, seq, predictor, idx, text, tip) VALUES (?, ?, ?, ?, ?, ?)");
        s.text(1, runId).integer(2, seq).text(3, c->predictor).integer(4, static_cast<long long>(c->index));
        s.text(5, c->text).text(6, c->tip.value_or(std::string()));
        if (!s.prepared() || !s.done())
            return sqlError("candidate write");
    } else if (const auto *d = event.as<DemoSetReadyEvent>()) {
        Stmt s(m_db, "INSERT INTO demo_sets (run_id, seq, predictor, idx, kind, demos) VALUES (?, ?, ?, ?, ?, ?)");
        s.text(1, runId).integer(2, seq).text(3, d->predictor).integer(4, static_cast<long long>(d->index));
        s.text(5, d->kind).text(6, demosToJsonText(d->demos));
        if (!s.prepared() || !s.done())
            return sqlError("demo set write");
    } else if (const auto *m = event.as<SummaryReadyEvent>()) {
        Stmt s(m_db, "INSERT INTO summaries (run_id, seq, kind, predictor, text) VALUES (?, ?, ?, ?, ?)");
        s.text(1, runId).integer(2, seq).text(3, m->kind).text(4, m->predictor.value_or(std::string()));
        s.text(5, m->text);
        if (!s.prepared() || !s.done())
            return sqlError("summary write");
    }
    return {};
}

Result<void> RunStore::appendEvent(const std::string &runId, const RunEvent &event)
{
    const std::string payloadText = encodePayload(event.payload);
    std::lock_guard lock(m_mutex);
    const auto now = std::chrono::steady_clock::now();
    const bool sync = now - m_lastEventSync >= kEventSyncInterval;
    if (sync)
        m_lastEventSync = now;
    const DurableCommit durable(m_db, sync);
    if (auto r = execLocked("BEGIN IMMEDIATE", "transaction start"); !r)
        return r.error();
    auto rollback = [&](Error e) -> Error {
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
        return e;
    };
    const long long seq = static_cast<long long>(event.seq);
    {
        Stmt s(m_db, "INSERT INTO events (run_id, seq, type, payload, elapsed) VALUES (?, ?, ?, ?, ?)");
        if (!s.prepared())
            return rollback(sqlError("event write"));
        s.text(1, runId)
            .integer(2, seq)
            .text(3, eventTypeName(event.type()))
            .text(4, payloadText)
            .real(5, event.elapsedSeconds);
        if (!s.done())
            return rollback(sqlError("event write"));
    }
    if (auto derived = appendDerivedLocked(runId, event); !derived)
        return rollback(derived.error());
    if (auto r = execLocked("COMMIT", "commit"); !r)
        return rollback(r.error());
    return {};
}

Result<void> RunStore::truncateEvents(const std::string &runId, std::uint64_t fromSeq)
{
    std::lock_guard lock(m_mutex);
    const DurableCommit durable(m_db);
    if (auto r = execLocked("BEGIN IMMEDIATE", "transaction start"); !r)
        return r.error();
    for (const char *table : {"events", "trials", "candidates", "demo_sets", "summaries", "example_results"}) {
        const std::string sql = std::string("DELETE FROM ") + table + " WHERE run_id = ? AND seq >= ?";
        Stmt s(m_db, sql.c_str());
        s.text(1, runId).integer(2, static_cast<long long>(fromSeq));
        if (!s.prepared() || !s.done()) {
            Error e = sqlError("truncation");
            sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
            return e;
        }
    }
    return execLocked("COMMIT", "commit");
}

Result<void> RunStore::putExampleResult(const std::string &runId, const ExampleResultRecord &record)
{
    std::lock_guard lock(m_mutex);
    Stmt s(m_db, "INSERT OR REPLACE INTO example_results (run_id, config_key, example_index, score, error, prediction, "
                 "calls, seq)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, NULL)");
    s.text(1, runId).text(2, record.configKey).integer(3, record.exampleIndex).optReal(4, record.score);
    s.text(5, record.error).text(6, record.predictionJson).integer(7, record.calls);
    if (!s.prepared() || !s.done())
        return sqlError("example result write");
    return {};
}

namespace {

bool insertLedgerRow(sqlite3 *db, const std::string &runId, const LedgerRow &row)
{
    Stmt s(db,
           "INSERT INTO ledger (run_id, session, request_key, role, model, endpoint, prompt_tokens, completion_tokens,"
           " dollars, latency_ms, wait_ms, retries, cache_hit, error_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
           "?, ?)");
    const LedgerEntry &e = row.entry;
    s.text(1, runId)
        .integer(2, row.session)
        .text(3, row.requestKey)
        .text(4, e.role)
        .text(5, e.model)
        .text(6, e.endpoint);
    s.optInteger(7, e.promptTokens).optInteger(8, e.completionTokens).optReal(9, e.dollars);
    s.real(10, e.latencyMs).real(11, e.waitMs).integer(12, e.retries).integer(13, e.cacheHit ? 1 : 0);
    if (e.errorKind)
        s.text(14, errorKindName(*e.errorKind));
    else
        s.null(14);
    return s.prepared() && s.done();
}

} // namespace

Result<void> RunStore::appendLedger(const std::string &runId, const LedgerRow &row)
{
    std::lock_guard lock(m_mutex);
    if (!insertLedgerRow(m_db, runId, row))
        return sqlError("ledger write");
    return {};
}

Result<void> RunStore::recordCall(const std::string &runId, const JournalRecord &record,
                                  const std::vector<LedgerRow> &ledger)
{
    const std::string response = responseToJsonText(record.response);
    std::lock_guard lock(m_mutex);
    if (auto r = execLocked("BEGIN IMMEDIATE", "transaction start"); !r)
        return r.error();
    auto rollback = [&](Error e) -> Error {
        sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
        return e;
    };
    Stmt s(m_db, "INSERT OR IGNORE INTO calls (run_id, request_key, response, session) VALUES (?, ?, ?, ?)");
    s.text(1, runId).text(2, record.requestKey).text(3, response).integer(4, record.session);
    if (!s.prepared() || !s.done())
        return rollback(sqlError("call journal write"));
    for (const auto &row : ledger)
        if (!insertLedgerRow(m_db, runId, row))
            return rollback(sqlError("ledger write"));
    if (auto r = execLocked("COMMIT", "commit"); !r)
        return rollback(r.error());
    return {};
}

Result<int> RunStore::beginSession(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    const DurableCommit durable(m_db);
    if (auto r = requireRunLocked(runId); !r)
        return r.error();
    Stmt s(m_db, "UPDATE runs SET sessions = sessions + 1, status = 'running', stop_reason = '', finished_at = NULL,"
                 " cancel_seq = NULL, owner = ? WHERE id = ?");
    s.text(1, runOwner()).text(2, runId);
    if (!s.prepared() || !s.done())
        return sqlError("session start");
    Stmt g(m_db, "SELECT sessions FROM runs WHERE id = ?");
    g.text(1, runId);
    if (!g.prepared() || g.step() != SQLITE_ROW)
        return sqlError("session start");
    return static_cast<int>(g.columnInt(0));
}

Result<void> RunStore::setCancelSeq(const std::string &runId, std::uint64_t seq)
{
    std::lock_guard lock(m_mutex);
    const DurableCommit durable(m_db);
    Stmt s(m_db, "UPDATE runs SET cancel_seq = ? WHERE id = ? AND cancel_seq IS NULL");
    s.integer(1, static_cast<long long>(seq)).text(2, runId);
    if (!s.prepared() || !s.done())
        return sqlError("cancel mark");
    return {};
}

Result<void> RunStore::finishRun(const std::string &runId, RunStatus status, const StopReason &stopReason,
                                 std::optional<double> baselineScore, std::optional<double> bestScore,
                                 const RunFinishedEvent &summary)
{
    std::lock_guard lock(m_mutex);
    const DurableCommit durable(m_db);
    Stmt s(m_db, "UPDATE runs SET status = ?, stop_reason = ?, baseline_score = ?, best_score = ?, summary = ?,"
                 " finished_at = ? WHERE id = ?");
    s.text(1, runStatusName(status)).text(2, stopReason.text()).optReal(3, baselineScore).optReal(4, bestScore);
    s.text(5, encodePayload(summary));
    s.text(6, isoNowUtc()).text(7, runId);
    if (!s.prepared() || !s.done())
        return sqlError("run update");
    return {};
}

Result<void> RunStore::setArtifact(const std::string &runId, const std::string &artifactJson)
{
    std::lock_guard lock(m_mutex);
    const DurableCommit durable(m_db);
    Stmt s(m_db, "UPDATE runs SET artifact = ? WHERE id = ?");
    s.text(1, artifactJson).text(2, runId);
    if (!s.prepared() || !s.done())
        return sqlError("artifact write");
    return {};
}

Result<void> RunStore::setStatus(const std::string &runId, RunStatus status, const StopReason &stopReason)
{
    std::lock_guard lock(m_mutex);
    const DurableCommit durable(m_db);
    Stmt s(m_db, "UPDATE runs SET status = ?, stop_reason = ? WHERE id = ?");
    s.text(1, runStatusName(status)).text(2, stopReason.text()).text(3, runId);
    if (!s.prepared() || !s.done())
        return sqlError("run update");
    return {};
}

namespace {

constexpr const char *kRunColumns =
    "id, created_at, finished_at, study_name, study_path, study_json, optimizer, optimizer_config, options, seed,"
    " status, stop_reason, baseline_score, best_score, artifact IS NOT NULL, sessions, cancel_seq, summary, owner";

} // namespace

Result<std::vector<RunRecord>> RunStore::listRuns()
{
    std::lock_guard lock(m_mutex);
    const std::string sql = std::string("SELECT id, created_at, finished_at, study_name, study_path, '', optimizer,"
                                        " optimizer_config, '', seed, status, stop_reason, baseline_score, best_score,"
                                        " artifact IS NOT NULL, sessions, cancel_seq, summary, owner FROM runs")
                            + " ORDER BY created_at DESC, id DESC";
    Stmt s(m_db, sql.c_str());
    if (!s.prepared())
        return sqlError("run listing");
    std::vector<RunRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
        out.push_back(readRunRow(s));
    if (rc != SQLITE_DONE)
        return sqlError("run listing");
    return out;
}

Result<RunRecord> RunStore::loadRun(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    const std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?";
    Stmt s(m_db, sql.c_str());
    if (!s.prepared())
        return sqlError("run lookup");
    s.text(1, runId);
    const int rc = s.step();
    if (rc == SQLITE_DONE)
        return Error::make(ErrorKind::Data, m_path + ": no run '" + runId + "' in the run store");
    if (rc != SQLITE_ROW)
        return sqlError("run lookup");
    return readRunRow(s);
}

Result<std::vector<RunEvent>> RunStore::events(const std::string &runId, std::uint64_t afterSeq)
{
    std::lock_guard lock(m_mutex);
    Stmt s(m_db, "SELECT seq, type, payload, elapsed FROM events WHERE run_id = ? AND seq > ? ORDER BY seq");
    if (!s.prepared())
        return sqlError("event read");
    s.text(1, runId).integer(2, static_cast<long long>(afterSeq));
    std::vector<RunEvent> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        RunEvent e;
        e.seq = static_cast<std::uint64_t>(s.columnInt(0));
        const std::string typeName = s.columnText(1);
        EventType type = EventType::Warning;
        if (!eventTypeFromName(typeName, type))
            return Error::make(ErrorKind::Parse, fmt::format("{}: run {}, event {}: unknown event type \"{}\"", m_path,
                                                             runId, e.seq, typeName));
        auto payload = decodePayload(type, s.columnText(2), e.seq);
        if (!payload)
            return Error::make(ErrorKind::Parse, fmt::format("{}: run {}, {}", m_path, runId, payload.error().message));
        e.payload = std::move(payload.value());
        e.elapsedSeconds = s.columnOptReal(3).value_or(0.0);
        out.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE)
        return sqlError("event read");
    return out;
}

Result<std::uint64_t> RunStore::lastSeq(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    Stmt s(m_db, "SELECT COALESCE(MAX(seq), 0) FROM events WHERE run_id = ?");
    s.text(1, runId);
    if (!s.prepared() || s.step() != SQLITE_ROW)
        return sqlError("event read");
    return static_cast<std::uint64_t>(s.columnInt(0));
}

Result<std::vector<TrialRecord>> RunStore::trials(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    Stmt s(m_db, "SELECT seq, trial, kind, config_key, config, score, scored, errors, examples, new_calls, memo_hits,"
                 " state, error FROM trials WHERE run_id = ? ORDER BY seq");
    if (!s.prepared())
        return sqlError("trial read");
    s.text(1, runId);
    std::vector<TrialRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        TrialRecord t;
        t.seq = static_cast<std::uint64_t>(s.columnInt(0));
        t.trial = static_cast<int>(s.columnInt(1));
        t.kind = s.columnText(2);
        t.configKey = s.columnText(3);
        t.configJson = s.columnText(4);
        auto config = configFromJsonText(t.configJson, t.seq);
        if (!config)
            return Error::make(ErrorKind::Parse, fmt::format("{}: run {}: {}", m_path, runId, config.error().message));
        t.config = std::move(config.value());
        t.score = s.columnOptReal(5);
        t.scored = static_cast<int>(s.columnInt(6));
        t.errors = static_cast<int>(s.columnInt(7));
        t.examples = static_cast<int>(s.columnInt(8));
        t.newCalls = s.columnInt(9);
        t.memoHits = s.columnInt(10);
        t.state = s.columnText(11);
        t.error = s.columnText(12);
        out.push_back(std::move(t));
    }
    if (rc != SQLITE_DONE)
        return sqlError("trial read");
    return out;
}

Result<std::vector<ExampleResultRecord>> RunStore::exampleResults(const std::string &runId,
                                                                  const std::string &configKey)
{
    std::lock_guard lock(m_mutex);
    Stmt s(m_db, "SELECT config_key, example_index, score, error, prediction, calls FROM example_results"
                 " WHERE run_id = ? AND config_key = ? ORDER BY example_index");
    if (!s.prepared())
        return sqlError("example result read");
    s.text(1, runId).text(2, configKey);
    std::vector<ExampleResultRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        ExampleResultRecord r;
        r.configKey = s.columnText(0);
        r.exampleIndex = static_cast<int>(s.columnInt(1));
        r.score = s.columnOptReal(2);
        r.error = s.columnText(3);
        r.predictionJson = s.columnText(4);
        r.calls = static_cast<int>(s.columnInt(5));
        out.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE)
        return sqlError("example result read");
    return out;
}

Result<std::vector<CandidateRecord>> RunStore::candidates(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    Stmt s(m_db, "SELECT seq, predictor, idx, text, tip FROM candidates WHERE run_id = ? ORDER BY seq");
    if (!s.prepared())
        return sqlError("candidate read");
    s.text(1, runId);
    std::vector<CandidateRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
        out.push_back({static_cast<std::uint64_t>(s.columnInt(0)), s.columnText(1), static_cast<int>(s.columnInt(2)),
                       s.columnText(3), s.columnText(4)});
    if (rc != SQLITE_DONE)
        return sqlError("candidate read");
    return out;
}

Result<std::vector<DemoSetRecord>> RunStore::demoSets(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    Stmt s(m_db, "SELECT seq, predictor, idx, kind, demos FROM demo_sets WHERE run_id = ? ORDER BY seq");
    if (!s.prepared())
        return sqlError("demo set read");
    s.text(1, runId);
    std::vector<DemoSetRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
        out.push_back({static_cast<std::uint64_t>(s.columnInt(0)), s.columnText(1), static_cast<int>(s.columnInt(2)),
                       s.columnText(3), s.columnText(4)});
    if (rc != SQLITE_DONE)
        return sqlError("demo set read");
    return out;
}

Result<std::vector<SummaryRecord>> RunStore::summaries(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    Stmt s(m_db, "SELECT seq, kind, predictor, text FROM summaries WHERE run_id = ? ORDER BY seq");
    if (!s.prepared())
        return sqlError("summary read");
    s.text(1, runId);
    std::vector<SummaryRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW)
        out.push_back({static_cast<std::uint64_t>(s.columnInt(0)), s.columnText(1), s.columnText(2), s.columnText(3)});
    if (rc != SQLITE_DONE)
        return sqlError("summary read");
    return out;
}

Result<std::vector<LedgerRow>> RunStore::ledger(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    Stmt s(m_db,
           "SELECT session, request_key, role, model, endpoint, prompt_tokens, completion_tokens, dollars, latency_ms,"
           " wait_ms, retries, cache_hit, error_kind FROM ledger WHERE run_id = ? ORDER BY id");
    if (!s.prepared())
        return sqlError("ledger read");
    s.text(1, runId);
    std::vector<LedgerRow> out;
    int rc;
    long long sequence = 0;
    while ((rc = s.step()) == SQLITE_ROW) {
        LedgerRow row;
        row.session = static_cast<int>(s.columnInt(0));
        row.requestKey = s.columnText(1);
        LedgerEntry &e = row.entry;
        e.sequence = ++sequence;
        e.role = s.columnText(2);
        e.model = s.columnText(3);
        e.endpoint = s.columnText(4);
        e.promptTokens = s.columnOptInt(5);
        e.completionTokens = s.columnOptInt(6);
        e.dollars = s.columnOptReal(7);
        e.latencyMs = s.columnOptReal(8).value_or(0.0);
        e.waitMs = s.columnOptReal(9).value_or(0.0);
        e.retries = static_cast<int>(s.columnInt(10));
        e.cacheHit = s.columnInt(11) != 0;
        if (!s.columnNull(12))
            e.errorKind = errorKindFromName(s.columnText(12)).value_or(ErrorKind::Internal);
        out.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE)
        return sqlError("ledger read");
    return out;
}

namespace {

// LedgerTotals::add in SQL: a cache hit or a failed call counts as a call but
// adds no tokens or dollars; a billed row with a NULL number makes it unknown.
// Grouped by role, or over the whole run when the group key is constant.
constexpr const char *kLedgerTotalsSql =
    "SELECT %GROUP%, COUNT(*), TOTAL(cache_hit != 0), TOTAL(cache_hit = 0 AND error_kind IS NOT NULL),"
    " TOTAL(retries), TOTAL(latency_ms),"
    " TOTAL(CASE WHEN cache_hit = 0 AND error_kind IS NULL THEN prompt_tokens END),"
    " MAX(cache_hit = 0 AND error_kind IS NULL AND prompt_tokens IS NULL),"
    " TOTAL(CASE WHEN cache_hit = 0 AND error_kind IS NULL THEN completion_tokens END),"
    " MAX(cache_hit = 0 AND error_kind IS NULL AND completion_tokens IS NULL),"
    " TOTAL(CASE WHEN cache_hit = 0 AND error_kind IS NULL THEN dollars END),"
    " MAX(cache_hit = 0 AND error_kind IS NULL AND dollars IS NULL)"
    " FROM ledger WHERE run_id = ? GROUP BY 1";

LedgerTotals ledgerTotalsFromRow(const Stmt &s)
{
    LedgerTotals t;
    t.calls = s.columnInt(1);
    t.cacheHits = static_cast<long long>(s.columnReal(2));
    t.errors = static_cast<long long>(s.columnReal(3));
    t.retries = static_cast<long long>(s.columnReal(4));
    t.latencyMs = s.columnReal(5);
    t.promptTokens = static_cast<long long>(s.columnReal(6));
    t.promptTokensUnknown = s.columnInt(7) != 0;
    t.completionTokens = static_cast<long long>(s.columnReal(8));
    t.completionTokensUnknown = s.columnInt(9) != 0;
    t.dollars = s.columnReal(10);
    t.dollarsUnknown = s.columnInt(11) != 0;
    return t;
}

} // namespace

Result<LedgerSummary> RunStore::ledgerTotals(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    LedgerSummary summary;
    for (const bool byRole : {false, true}) {
        std::string sql = kLedgerTotalsSql;
        sql.replace(sql.find("%GROUP%"), 7, byRole ? "role" : "''");
        Stmt s(m_db, sql.c_str());
        if (!s.prepared())
            return sqlError("ledger totals");
        s.text(1, runId);
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) {
            if (byRole)
                summary.byRole[s.columnText(0)] = ledgerTotalsFromRow(s);
            else
                summary.total = ledgerTotalsFromRow(s);
        }
        if (rc != SQLITE_DONE)
            return sqlError("ledger totals");
    }
    return summary;
}

Result<std::vector<JournalRecord>> RunStore::journal(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    Stmt s(m_db, "SELECT request_key, response, session FROM calls WHERE run_id = ? ORDER BY rowid");
    if (!s.prepared())
        return sqlError("call journal read");
    s.text(1, runId);
    std::vector<JournalRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
        auto response = responseFromJsonText(s.columnText(1));
        if (!response) {
            // A damaged entry is as good as absent: the call is made again.
            spdlog::warn("{}: unreadable call journal entry {} of run {}, ignoring it", m_path, s.columnText(0), runId);
            continue;
        }
        out.push_back({s.columnText(0), std::move(*response), static_cast<int>(s.columnInt(2))});
    }
    if (rc != SQLITE_DONE)
        return sqlError("call journal read");
    return out;
}

Result<std::string> RunStore::artifact(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    Stmt s(m_db, "SELECT artifact FROM runs WHERE id = ?");
    if (!s.prepared())
        return sqlError("artifact read");
    s.text(1, runId);
    const int rc = s.step();
    if (rc == SQLITE_DONE)
        return Error::make(ErrorKind::Data, m_path + ": no run '" + runId + "' in the run store");
    if (rc != SQLITE_ROW)
        return sqlError("artifact read");
    return s.columnText(0);
}

} // namespace prism
