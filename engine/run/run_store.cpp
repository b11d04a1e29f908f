#include "run/run_store.h"

#include "core/paths.h"
#include "core/pg_db.h"
#include "core/sql_db.h"
#include "core/sqlite_db.h"
#include "core/text.h"
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

// Events are synced to disk in groups: a sync costs milliseconds, and a run on
// a fast model emits thousands of events a second. An event commit syncs (and
// with it every commit before it) when this long has passed since the last sync.
constexpr std::chrono::milliseconds kEventSyncInterval{200};

std::string dayStampUtc()
{
    return utcNow("%Y%m%d");
}

std::string hostName()
{
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0)
        return "localhost";
    return host;
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

RunRecord readRunRow(const SqlRow &s)
{
    RunRecord r;
    r.id = s.text(0);
    r.createdAt = s.text(1);
    r.finishedAt = s.text(2);
    r.studyName = s.text(3);
    r.studyPath = s.text(4);
    r.studyJson = s.text(5);
    r.optimizer = s.text(6);
    r.optimizerConfigJson = s.text(7);
    r.optionsJson = s.text(8);
    r.seed = static_cast<std::uint64_t>(s.integer(9));
    r.status = runStatusFromName(s.text(10));
    r.stopReason = StopReason::fromText(s.text(11));
    r.baselineScore = s.optReal(12);
    r.bestScore = s.optReal(13);
    r.hasArtifact = !s.isNull(14) && s.integer(14) != 0;
    r.sessions = static_cast<int>(s.integer(15));
    if (auto c = s.optInteger(16))
        r.cancelSeq = static_cast<std::uint64_t>(*c);
    if (const std::string summary = s.text(17); !summary.empty()) {
        // A summary that does not decode is left out (the run row still lists).
        if (auto decoded = decodePayload(EventType::RunFinished, summary, 0))
            r.summary = std::get<RunFinishedEvent>(decoded.value());
        else
            spdlog::warn("run {}: its stored summary is unreadable: {}", r.id, decoded.error().message);
    }
    r.owner = s.text(18);
    return r;
}

// The same tables in PostgreSQL's types: 64-bit integers, doubles, and a
// serial id on calls for the order they were journaled in (SQLite's rowid).
std::string postgresSchema()
{
    std::string schema = kSchema;
    auto replaceAll = [&schema](const std::string &from, const std::string &to) {
        for (auto p = schema.find(from); p != std::string::npos; p = schema.find(from, p + to.size()))
            schema.replace(p, from.size(), to);
    };
    replaceAll("id INTEGER PRIMARY KEY AUTOINCREMENT", "id BIGSERIAL PRIMARY KEY");
    replaceAll(" INTEGER", " BIGINT");
    replaceAll(" REAL", " DOUBLE PRECISION");
    return schema
           + "ALTER TABLE calls ADD COLUMN IF NOT EXISTS id BIGSERIAL;"
             "INSERT INTO meta (key, value) VALUES ('schema_version', '"
           + std::to_string(kRunStoreSchemaVersion) + "') ON CONFLICT DO NOTHING;";
}

// Checks the schema version the store records and that its tables are
// Prism's: a foreign database with tables of the same names but other columns
// fails here, not mid-run. Nothing when they are.
std::optional<Error> checkStoreTables(SqlDb &db, const std::string &where)
{
    auto version = db.query("SELECT value FROM meta WHERE key = 'schema_version'");
    if (!version)
        return Error::make(ErrorKind::Io,
                           where + ": not a Prism run store (" + version.error().message + "); choose another path");
    if (version->empty())
        return Error::make(ErrorKind::Io, where + ": not a Prism run store (no schema version); choose another path");
    if (const std::string v = version->front().text(0); v != std::to_string(kRunStoreSchemaVersion))
        return Error::make(ErrorKind::Io,
                           where + ": run store schema version " + v + " is not the "
                               + std::to_string(kRunStoreSchemaVersion)
                               + " this Prism understands; use a matching Prism or another --store path");
    for (const char *probe :
         {"SELECT id, created_at, finished_at, study_name, study_path, study_json, optimizer, optimizer_config,"
          " options, seed, status, stop_reason, baseline_score, best_score, artifact, sessions, cancel_seq, "
          "summary, owner FROM runs LIMIT 0",
          "SELECT run_id, request_key, response, session FROM calls LIMIT 0"})
        if (auto r = db.query(probe); !r)
            return Error::make(ErrorKind::Io,
                               where + ": not a Prism run store (" + r.error().message + "); choose another path");
    return std::nullopt;
}

Result<std::unique_ptr<SqlDb>> openSqliteStore(const std::string &path, StoreAccess access)
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
    // A read-only connection (the studio's) finds the schema the writer made.
    if (!readOnly) {
        // NORMAL: a commit survives a crash of the process, not of the machine.
        // Events (and run status changes) switch to FULL for their commit, which
        // syncs the WAL with every commit before it (docs/RUNS.md has the cost).
        int setupRc =
            sqlite::execSetup(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;");
        if (setupRc == SQLITE_OK)
            setupRc = sqlite::execSetup(db, kSchema);
        if (setupRc == SQLITE_OK)
            setupRc = sqlite::execSetup(db, ("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '"
                                             + std::to_string(kRunStoreSchemaVersion) + "')")
                                                .c_str());
        if (setupRc != SQLITE_OK) {
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
            return Error::make(ErrorKind::Io, path + ": cannot set up the run store (" + message + ")");
        }
    }
    return sqliteSqlDb(db, path);
}

// The queue of a team server's runs: one row per run waiting for a worker or
// leased to one (the runs table stays the file's).
const char *kQueueSchema = "CREATE TABLE IF NOT EXISTS run_queue ("
                           "  run_id TEXT PRIMARY KEY, enqueued_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),"
                           "  worker TEXT, lease_until TIMESTAMPTZ, claims INTEGER NOT NULL DEFAULT 0);"
                           "CREATE INDEX IF NOT EXISTS run_queue_order ON run_queue (enqueued_at, run_id);";

// Step 3: the files a run was uploaded with (a team server's API), and a
// cancel asked of the worker that holds a run.
const char *kQueueFilesSchema =
    "ALTER TABLE run_queue ADD COLUMN IF NOT EXISTS cancel_requested INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE IF NOT EXISTS run_files (run_id TEXT NOT NULL, path TEXT NOT NULL, content TEXT NOT NULL,"
    "  PRIMARY KEY (run_id, path));";

Result<std::unique_ptr<SqlDb>> openPostgresStore(const std::string &url, StoreAccess access)
{
    auto connection = pg::Connection::open(url);
    if (!connection)
        return connection.error();
    if (access == StoreAccess::ReadWrite) {
        if (auto migrated =
                pg::migrate(*connection.value(), "run_store", {postgresSchema(), kQueueSchema, kQueueFilesSchema});
            !migrated)
            return migrated.error();
    } else if (auto r = connection.value()->exec("SET default_transaction_read_only = on"); !r) {
        return r.error();
    }
    return postgresSqlDb(std::move(connection).value());
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

bool runOwnerElsewhere(const std::string &owner)
{
    const auto colon = owner.rfind(':');
    return colon != std::string::npos && owner.substr(0, colon) != hostName();
}

RunStore::RunStore(std::string path, std::unique_ptr<SqlDb> db) : m_path(std::move(path)), m_db(std::move(db)) {}

RunStore::~RunStore() = default;

Error RunStore::storeError(const std::string &what, const Error &cause) const
{
    return Error::make(ErrorKind::Io, m_path + ": run store " + what + " failed: " + cause.message);
}

Result<void> RunStore::writeLocked(const std::string &what, bool exclusive, bool durable,
                                   const std::function<Result<void>()> &body)
{
    if (auto r = m_db->begin(exclusive, durable); !r)
        return storeError("transaction start", r.error());
    if (auto r = body(); !r) {
        m_db->rollback();
        return r.error();
    }
    if (auto r = m_db->commit(); !r)
        return storeError(what + " commit", r.error());
    return {};
}

Result<std::shared_ptr<RunStore>> RunStore::open(const std::string &location, StoreAccess access)
{
    auto db = pg::isUrl(location) ? openPostgresStore(location, access) : openSqliteStore(location, access);
    if (!db)
        return db.error();
    const std::string where = db.value()->location();
    if (auto bad = checkStoreTables(*db.value(), where))
        return *bad;
    auto store = std::shared_ptr<RunStore>(new RunStore(where, std::move(db).value()));
    store->m_location = location;
    return store;
}

bool RunStore::isDatabase() const
{
    return m_db->kind() == SqlDb::Kind::Postgres;
}

Result<std::string> RunStore::defaultPath()
{
    if (const char *chosen = std::getenv("PRISM_STORE"); chosen && *chosen)
        return std::string(chosen);
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
    auto rows = m_db->query("SELECT 1 FROM runs WHERE id = ?", {runId});
    if (!rows)
        return storeError("lookup", rows.error());
    if (rows->empty())
        return Error::make(ErrorKind::Data, m_path + ": no run '" + runId + "' in the run store");
    return {};
}

Result<std::string> RunStore::createRun(const NewRun &run)
{
    std::lock_guard lock(m_mutex);
    return createRunLocked(run, false);
}

Result<std::string> RunStore::enqueueRun(const NewRun &run)
{
    std::lock_guard lock(m_mutex);
    if (auto r = requireQueueLocked(); !r)
        return r.error();
    return createRunLocked(run, true);
}

Result<void> RunStore::requireQueueLocked() const
{
    if (m_db->kind() != SqlDb::Kind::Postgres)
        return Error::make(ErrorKind::Config,
                           m_path + ": a run queue needs a PostgreSQL store (--store postgresql://...)");
    return {};
}

Result<std::optional<std::string>> RunStore::claimRun(const std::string &worker, double leaseSeconds)
{
    std::lock_guard lock(m_mutex);
    if (auto r = requireQueueLocked(); !r)
        return r.error();
    std::optional<std::string> claimed;
    auto done = writeLocked("queue claim", false, true, [&]() -> Result<void> {
        auto rows =
            m_db->query("UPDATE run_queue SET worker = ?, lease_until = clock_timestamp() + make_interval(secs => ?),"
                        " claims = claims + 1 WHERE run_id = (SELECT run_id FROM run_queue"
                        "  WHERE worker IS NULL OR lease_until < clock_timestamp()"
                        "  ORDER BY enqueued_at, run_id FOR UPDATE SKIP LOCKED LIMIT 1)"
                        " RETURNING run_id",
                        {worker, leaseSeconds});
        if (!rows)
            return storeError("queue claim", rows.error());
        if (rows->empty())
            return {};
        claimed = rows->front().text(0);
        if (auto owned = m_db->exec("UPDATE runs SET owner = ? WHERE id = ?", {worker, *claimed}); !owned)
            return storeError("queue claim", owned.error());
        return {};
    });
    if (!done)
        return done.error();
    return claimed;
}

Result<bool> RunStore::renewLease(const std::string &runId, const std::string &worker, double leaseSeconds)
{
    std::lock_guard lock(m_mutex);
    if (auto r = requireQueueLocked(); !r)
        return r.error();
    auto rows = m_db->query("UPDATE run_queue SET lease_until = clock_timestamp() + make_interval(secs => ?)"
                            " WHERE run_id = ? AND worker = ? RETURNING run_id",
                            {leaseSeconds, runId, worker});
    if (!rows)
        return storeError("lease renewal", rows.error());
    return !rows->empty();
}

Result<void> RunStore::releaseRun(const std::string &runId, const std::string &worker, bool done)
{
    std::lock_guard lock(m_mutex);
    if (auto r = requireQueueLocked(); !r)
        return r.error();
    auto r = done ? m_db->exec("DELETE FROM run_queue WHERE run_id = ? AND worker = ?", {runId, worker})
                  : m_db->exec("UPDATE run_queue SET worker = NULL, lease_until = NULL WHERE run_id = ? AND worker = ?",
                               {runId, worker});
    if (!r)
        return storeError("queue release", r.error());
    return {};
}

Result<long long> RunStore::queueLength()
{
    std::lock_guard lock(m_mutex);
    if (auto r = requireQueueLocked(); !r)
        return r.error();
    auto rows = m_db->query("SELECT COUNT(*) FROM run_queue");
    if (!rows || rows->empty())
        return storeError("queue count", rows ? Error::make(ErrorKind::Io, "no row") : rows.error());
    return rows->front().integer(0);
}

Result<std::map<std::string, std::string>> RunStore::runFiles(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    std::map<std::string, std::string> files;
    if (m_db->kind() != SqlDb::Kind::Postgres)
        return files; // a file store has no uploaded files
    auto rows = m_db->query("SELECT path, content FROM run_files WHERE run_id = ?", {runId});
    if (!rows)
        return storeError("run files", rows.error());
    for (const SqlRow &row : rows.value())
        files[row.text(0)] = row.text(1);
    return files;
}

Result<CancelRequest> RunStore::requestCancel(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    if (auto r = requireQueueLocked(); !r)
        return r.error();
    CancelRequest result = CancelRequest::NotActive;
    auto done = writeLocked("cancel", false, true, [&]() -> Result<void> {
        auto rows = m_db->query("SELECT CASE WHEN worker IS NOT NULL AND lease_until >= clock_timestamp()"
                                " THEN 1 ELSE 0 END FROM run_queue WHERE run_id = ? FOR UPDATE",
                                {runId});
        if (!rows)
            return storeError("cancel", rows.error());
        if (rows->empty())
            return {};
        if (rows->front().integer(0) == 1) {
            result = CancelRequest::Requested;
            if (auto r = m_db->exec("UPDATE run_queue SET cancel_requested = 1 WHERE run_id = ?", {runId}); !r)
                return storeError("cancel", r.error());
            return {};
        }
        result = CancelRequest::Cancelled;
        if (auto r = m_db->exec("DELETE FROM run_queue WHERE run_id = ?", {runId}); !r)
            return storeError("cancel", r.error());
        if (auto r = m_db->exec(
                "UPDATE runs SET status = ?, stop_reason = ?, finished_at = ? WHERE id = ?",
                {std::string(runStatusName(RunStatus::Cancelled)), StopReason::cancelled().text(), isoNowUtc(), runId});
            !r)
            return storeError("cancel", r.error());
        return {};
    });
    if (!done)
        return done.error();
    return result;
}

Result<bool> RunStore::cancelRequested(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    if (auto r = requireQueueLocked(); !r)
        return r.error();
    auto rows = m_db->query("SELECT cancel_requested FROM run_queue WHERE run_id = ?", {runId});
    if (!rows)
        return storeError("cancel check", rows.error());
    return !rows->empty() && rows->front().integer(0) != 0;
}

Result<void> RunStore::requeueRun(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    if (auto r = requireQueueLocked(); !r)
        return r.error();
    return writeLocked("requeue", false, true, [&]() -> Result<void> {
        auto rows = m_db->query("SELECT status FROM runs WHERE id = ? FOR UPDATE", {runId});
        if (!rows)
            return storeError("requeue", rows.error());
        if (rows->empty())
            return Error::make(ErrorKind::Data, m_path + ": no run '" + runId + "' in the run store");
        const std::string status = rows->front().text(0);
        if (status != runStatusName(RunStatus::Cancelled))
            return Error::make(ErrorKind::Config,
                               "run " + runId + " is " + status + "; only a cancelled run goes back to the queue");
        if (auto r = m_db->exec("UPDATE runs SET status = ? WHERE id = ?",
                                {std::string(runStatusName(RunStatus::Queued)), runId});
            !r)
            return storeError("requeue", r.error());
        // The worker that cancelled it may not have left the queue yet: the
        // row is reset, so its release (which names itself) leaves it alone.
        if (auto r = m_db->exec("INSERT INTO run_queue (run_id) VALUES (?) ON CONFLICT (run_id) DO UPDATE SET"
                                " worker = NULL, lease_until = NULL, cancel_requested = 0,"
                                " enqueued_at = clock_timestamp()",
                                {runId});
            !r)
            return storeError("requeue", r.error());
        return {};
    });
}

Result<std::string> RunStore::createRunLocked(const NewRun &run, bool queued)
{
    std::string id;
    // Exclusive: two processes creating runs the same day get different numbers.
    auto created = writeLocked("run creation", true, true, [&]() -> Result<void> {
        const std::string prefix = "r-" + dayStampUtc() + "-";
        auto last = m_db->query("SELECT id FROM runs WHERE id LIKE ? ORDER BY id DESC LIMIT 1", {prefix + "%"});
        if (!last)
            return storeError("run numbering", last.error());
        long long next = 1;
        if (!last->empty()) {
            try {
                next = std::stoll(last->front().text(0).substr(prefix.size())) + 1;
            } catch (const std::exception &) {
                next = 1;
            }
        }
        char number[32];
        std::snprintf(number, sizeof number, "%04lld", next);
        id = prefix + number;
        // A queued run has no session yet: the worker's start is its first.
        auto inserted = m_db->exec(
            "INSERT INTO runs (id, created_at, study_name, study_path, study_json, optimizer, optimizer_config,"
            " options, seed, status, owner, sessions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            {id, isoNowUtc(), run.studyName, run.studyPath, run.studyJson, run.optimizer, run.optimizerConfigJson,
             run.optionsJson, static_cast<long long>(run.seed), std::string(queued ? "queued" : "running"),
             queued ? std::string() : runOwner(), static_cast<long long>(queued ? 0 : 1)});
        if (!inserted)
            return storeError("run creation", inserted.error());
        if (queued)
            if (auto placed = m_db->exec("INSERT INTO run_queue (run_id) VALUES (?)", {id}); !placed)
                return storeError("run creation", placed.error());
        for (const auto &[path, content] : run.files)
            if (auto put =
                    m_db->exec("INSERT INTO run_files (run_id, path, content) VALUES (?, ?, ?)", {id, path, content});
                !put)
                return storeError("run creation", put.error());
        return {};
    });
    if (!created)
        return created.error();
    return id;
}

namespace {

SqlParam optionalReal(std::optional<double> v)
{
    return v ? SqlParam(*v) : SqlParam();
}

SqlParam optionalInteger(std::optional<long long> v)
{
    return v ? SqlParam(*v) : SqlParam();
}

} // namespace

// The rows derived from an event (trials, example scores, candidates, demo
// sets, summaries), inside appendEvent's transaction.
Result<void> RunStore::appendDerivedLocked(const std::string &runId, const RunEvent &event)
{
    const long long seq = static_cast<long long>(event.seq);
    auto write = [&](const char *what, const std::string &sql, const std::vector<SqlParam> &params) -> Result<void> {
        if (auto r = m_db->exec(sql, params); !r)
            return storeError(what, r.error());
        return {};
    };
    if (const auto *t = event.as<TrialFinishedEvent>()) {
        auto trial =
            write("trial write",
                  "INSERT INTO trials (run_id, seq, trial, kind, config_key, config, score, scored, errors,"
                  " examples, new_calls, memo_hits, state, error)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  {runId, seq, static_cast<long long>(t->trial), t->kind, t->configKey, configToJsonText(t->config),
                   optionalReal(t->score), static_cast<long long>(t->scored), static_cast<long long>(t->errors),
                   static_cast<long long>(t->examples), t->newCalls, t->memoHits,
                   std::string(t->failed ? "failed" : "complete"), t->error.value_or(std::string())});
        if (!trial)
            return trial;
        // The per-example callback may already have stored richer rows: keep them.
        for (const auto &[index, score] : t->results)
            if (auto r = write("example result write",
                               "INSERT INTO example_results (run_id, config_key, example_index, score, seq)"
                               " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                               {runId, t->configKey, static_cast<long long>(index), optionalReal(score), seq});
                !r)
                return r;
    } else if (const auto *c = event.as<InstructionProposedEvent>()) {
        return write(
            "candidate write",
            "INSERT INTO candidates (run_id, seq, predictor, idx, text, tip) VALUES (?, ?, ?, ?, ?, ?)",
            {runId, seq, c->predictor, static_cast<long long>(c->index), c->text, c->tip.value_or(std::string())});
    } else if (const auto *d = event.as<DemoSetReadyEvent>()) {
        return write("demo set write",
                     "INSERT INTO demo_sets (run_id, seq, predictor, idx, kind, demos) VALUES (?, ?, ?, ?, ?, ?)",
                     {runId, seq, d->predictor, static_cast<long long>(d->index), d->kind, demosToJsonText(d->demos)});
    } else if (const auto *m = event.as<SummaryReadyEvent>()) {
        return write("summary write",
                     "INSERT INTO summaries (run_id, seq, kind, predictor, text) VALUES (?, ?, ?, ?, ?)",
                     {runId, seq, m->kind, m->predictor.value_or(std::string()), m->text});
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
    return writeLocked("event write", false, sync, [&]() -> Result<void> {
        auto inserted = m_db->exec("INSERT INTO events (run_id, seq, type, payload, elapsed) VALUES (?, ?, ?, ?, ?)",
                                   {runId, static_cast<long long>(event.seq), std::string(eventTypeName(event.type())),
                                    payloadText, event.elapsedSeconds});
        if (!inserted)
            return storeError("event write", inserted.error());
        return appendDerivedLocked(runId, event);
    });
}

Result<void> RunStore::truncateEvents(const std::string &runId, std::uint64_t fromSeq)
{
    std::lock_guard lock(m_mutex);
    return writeLocked("truncation", false, true, [&]() -> Result<void> {
        for (const char *table : {"events", "trials", "candidates", "demo_sets", "summaries", "example_results"})
            if (auto r = m_db->exec(std::string("DELETE FROM ") + table + " WHERE run_id = ? AND seq >= ?",
                                    {runId, static_cast<long long>(fromSeq)});
                !r)
                return storeError("truncation", r.error());
        return {};
    });
}

Result<void> RunStore::putExampleResult(const std::string &runId, const ExampleResultRecord &record)
{
    std::lock_guard lock(m_mutex);
    auto r =
        m_db->exec("INSERT INTO example_results (run_id, config_key, example_index, score, error, prediction,"
                   " calls, seq) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)"
                   " ON CONFLICT (run_id, config_key, example_index) DO UPDATE SET score = excluded.score,"
                   " error = excluded.error, prediction = excluded.prediction, calls = excluded.calls,"
                   " seq = excluded.seq",
                   {runId, record.configKey, static_cast<long long>(record.exampleIndex), optionalReal(record.score),
                    record.error, record.predictionJson, static_cast<long long>(record.calls)});
    if (!r)
        return storeError("example result write", r.error());
    return {};
}

Result<void> RunStore::insertLedgerLocked(const std::string &runId, const LedgerRow &row)
{
    const LedgerEntry &e = row.entry;
    auto r = m_db->exec(
        "INSERT INTO ledger (run_id, session, request_key, role, model, endpoint, prompt_tokens, completion_tokens,"
        " dollars, latency_ms, wait_ms, retries, cache_hit, error_kind)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {runId, static_cast<long long>(row.session), row.requestKey, e.role, e.model, e.endpoint,
         optionalInteger(e.promptTokens), optionalInteger(e.completionTokens), optionalReal(e.dollars), e.latencyMs,
         e.waitMs, static_cast<long long>(e.retries), static_cast<long long>(e.cacheHit ? 1 : 0),
         e.errorKind ? SqlParam(std::string(errorKindName(*e.errorKind))) : SqlParam()});
    if (!r)
        return storeError("ledger write", r.error());
    return {};
}

Result<void> RunStore::appendLedger(const std::string &runId, const LedgerRow &row)
{
    std::lock_guard lock(m_mutex);
    return insertLedgerLocked(runId, row);
}

Result<void> RunStore::recordCall(const std::string &runId, const JournalRecord &record,
                                  const std::vector<LedgerRow> &ledger)
{
    const std::string response = responseToJsonText(record.response);
    std::lock_guard lock(m_mutex);
    return writeLocked("call journal write", false, false, [&]() -> Result<void> {
        auto r = m_db->exec("INSERT INTO calls (run_id, request_key, response, session) VALUES (?, ?, ?, ?)"
                            " ON CONFLICT DO NOTHING",
                            {runId, record.requestKey, response, static_cast<long long>(record.session)});
        if (!r)
            return storeError("call journal write", r.error());
        for (const auto &row : ledger)
            if (auto written = insertLedgerLocked(runId, row); !written)
                return written;
        return {};
    });
}

Result<int> RunStore::beginSession(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    if (auto r = requireRunLocked(runId); !r)
        return r.error();
    if (auto r = m_db->execDurable("UPDATE runs SET sessions = sessions + 1, status = 'running', stop_reason = '',"
                                   " finished_at = NULL, cancel_seq = NULL, owner = ? WHERE id = ?",
                                   {runOwner(), runId});
        !r)
        return storeError("session start", r.error());
    auto rows = m_db->query("SELECT sessions FROM runs WHERE id = ?", {runId});
    if (!rows || rows->empty())
        return storeError("session start", rows ? Error::make(ErrorKind::Io, "the run is gone") : rows.error());
    return static_cast<int>(rows->front().integer(0));
}

Result<void> RunStore::setCancelSeq(const std::string &runId, std::uint64_t seq)
{
    std::lock_guard lock(m_mutex);
    if (auto r = m_db->execDurable("UPDATE runs SET cancel_seq = ? WHERE id = ? AND cancel_seq IS NULL",
                                   {static_cast<long long>(seq), runId});
        !r)
        return storeError("cancel mark", r.error());
    return {};
}

Result<void> RunStore::finishRun(const std::string &runId, RunStatus status, const StopReason &stopReason,
                                 std::optional<double> baselineScore, std::optional<double> bestScore,
                                 const RunFinishedEvent &summary)
{
    std::lock_guard lock(m_mutex);
    if (auto r = m_db->execDurable("UPDATE runs SET status = ?, stop_reason = ?, baseline_score = ?, best_score = ?,"
                                   " summary = ?, finished_at = ? WHERE id = ?",
                                   {std::string(runStatusName(status)), stopReason.text(), optionalReal(baselineScore),
                                    optionalReal(bestScore), encodePayload(summary), isoNowUtc(), runId});
        !r)
        return storeError("run update", r.error());
    return {};
}

Result<void> RunStore::importRun(const RunRecord &run)
{
    std::lock_guard lock(m_mutex);
    const std::string summary = run.summary ? encodePayload(*run.summary) : std::string();
    auto r = m_db->execDurable(
        "INSERT INTO runs (id, created_at, finished_at, study_name, study_path, study_json, optimizer,"
        " optimizer_config, options, seed, status, stop_reason, baseline_score, best_score, sessions, summary, owner)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET finished_at = excluded.finished_at, status = excluded.status,"
        " stop_reason = excluded.stop_reason, baseline_score = excluded.baseline_score,"
        " best_score = excluded.best_score, sessions = excluded.sessions, summary = excluded.summary,"
        " owner = excluded.owner",
        {run.id, run.createdAt, run.finishedAt.empty() ? SqlParam() : SqlParam(run.finishedAt), run.studyName,
         run.studyPath, run.studyJson, run.optimizer, run.optimizerConfigJson, run.optionsJson,
         static_cast<long long>(run.seed), std::string(runStatusName(run.status)), run.stopReason.text(),
         optionalReal(run.baselineScore), optionalReal(run.bestScore), static_cast<long long>(run.sessions),
         summary.empty() ? SqlParam() : SqlParam(summary), run.owner});
    if (!r)
        return storeError("run import", r.error());
    return {};
}

Result<void> RunStore::setArtifact(const std::string &runId, const std::string &artifactJson)
{
    std::lock_guard lock(m_mutex);
    if (auto r = m_db->execDurable("UPDATE runs SET artifact = ? WHERE id = ?", {artifactJson, runId}); !r)
        return storeError("artifact write", r.error());
    return {};
}

Result<void> RunStore::setStatus(const std::string &runId, RunStatus status, const StopReason &stopReason)
{
    std::lock_guard lock(m_mutex);
    if (auto r = m_db->execDurable("UPDATE runs SET status = ?, stop_reason = ? WHERE id = ?",
                                   {std::string(runStatusName(status)), stopReason.text(), runId});
        !r)
        return storeError("run update", r.error());
    return {};
}

namespace {

constexpr const char *kRunColumns =
    "id, created_at, finished_at, study_name, study_path, study_json, optimizer, optimizer_config, options, seed,"
    " status, stop_reason, baseline_score, best_score, CASE WHEN artifact IS NULL THEN 0 ELSE 1 END, sessions,"
    " cancel_seq, summary, owner";

} // namespace

Result<std::vector<RunRecord>> RunStore::listRuns()
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query("SELECT id, created_at, finished_at, study_name, study_path, '', optimizer,"
                            " optimizer_config, '', seed, status, stop_reason, baseline_score, best_score,"
                            " CASE WHEN artifact IS NULL THEN 0 ELSE 1 END, sessions, cancel_seq, summary, owner"
                            " FROM runs ORDER BY created_at DESC, id DESC");
    if (!rows)
        return storeError("run listing", rows.error());
    std::vector<RunRecord> out;
    out.reserve(rows->size());
    for (const auto &row : rows.value())
        out.push_back(readRunRow(row));
    return out;
}

Result<RunRecord> RunStore::loadRun(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query(std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?", {runId});
    if (!rows)
        return storeError("run lookup", rows.error());
    if (rows->empty())
        return Error::make(ErrorKind::Data, m_path + ": no run '" + runId + "' in the run store");
    return readRunRow(rows->front());
}

Result<std::vector<RunEvent>> RunStore::events(const std::string &runId, std::uint64_t afterSeq)
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query("SELECT seq, type, payload, elapsed FROM events WHERE run_id = ? AND seq > ? ORDER BY seq",
                            {runId, static_cast<long long>(afterSeq)});
    if (!rows)
        return storeError("event read", rows.error());
    std::vector<RunEvent> out;
    out.reserve(rows->size());
    for (const auto &s : rows.value()) {
        RunEvent e;
        e.seq = static_cast<std::uint64_t>(s.integer(0));
        const std::string typeName = s.text(1);
        EventType type = EventType::Warning;
        if (!eventTypeFromName(typeName, type))
            return Error::make(ErrorKind::Parse, fmt::format("{}: run {}, event {}: unknown event type \"{}\"", m_path,
                                                             runId, e.seq, typeName));
        auto payload = decodePayload(type, s.text(2), e.seq);
        if (!payload)
            return Error::make(ErrorKind::Parse, fmt::format("{}: run {}, {}", m_path, runId, payload.error().message));
        e.payload = std::move(payload.value());
        e.elapsedSeconds = s.optReal(3).value_or(0.0);
        out.push_back(std::move(e));
    }
    return out;
}

Result<std::uint64_t> RunStore::lastSeq(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query("SELECT COALESCE(MAX(seq), 0) FROM events WHERE run_id = ?", {runId});
    if (!rows || rows->empty())
        return storeError("event read", rows ? Error::make(ErrorKind::Io, "no row") : rows.error());
    return static_cast<std::uint64_t>(rows->front().integer(0));
}

Result<std::vector<TrialRecord>> RunStore::trials(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query("SELECT seq, trial, kind, config_key, config, score, scored, errors, examples, new_calls,"
                            " memo_hits, state, error FROM trials WHERE run_id = ? ORDER BY seq",
                            {runId});
    if (!rows)
        return storeError("trial read", rows.error());
    std::vector<TrialRecord> out;
    for (const auto &s : rows.value()) {
        TrialRecord t;
        t.seq = static_cast<std::uint64_t>(s.integer(0));
        t.trial = static_cast<int>(s.integer(1));
        t.kind = s.text(2);
        t.configKey = s.text(3);
        t.configJson = s.text(4);
        auto config = configFromJsonText(t.configJson, t.seq);
        if (!config)
            return Error::make(ErrorKind::Parse, fmt::format("{}: run {}: {}", m_path, runId, config.error().message));
        t.config = std::move(config.value());
        t.score = s.optReal(5);
        t.scored = static_cast<int>(s.integer(6));
        t.errors = static_cast<int>(s.integer(7));
        t.examples = static_cast<int>(s.integer(8));
        t.newCalls = s.integer(9);
        t.memoHits = s.integer(10);
        t.state = s.text(11);
        t.error = s.text(12);
        out.push_back(std::move(t));
    }
    return out;
}

Result<std::vector<ExampleResultRecord>> RunStore::exampleResults(const std::string &runId,
                                                                  const std::string &configKey)
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query("SELECT config_key, example_index, score, error, prediction, calls FROM example_results"
                            " WHERE run_id = ? AND config_key = ? ORDER BY example_index",
                            {runId, configKey});
    if (!rows)
        return storeError("example result read", rows.error());
    std::vector<ExampleResultRecord> out;
    for (const auto &s : rows.value())
        out.push_back({s.text(0), static_cast<int>(s.integer(1)), s.optReal(2), s.text(3), s.text(4),
                       static_cast<int>(s.integer(5))});
    return out;
}

Result<std::vector<CandidateRecord>> RunStore::candidates(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    auto rows =
        m_db->query("SELECT seq, predictor, idx, text, tip FROM candidates WHERE run_id = ? ORDER BY seq", {runId});
    if (!rows)
        return storeError("candidate read", rows.error());
    std::vector<CandidateRecord> out;
    for (const auto &s : rows.value())
        out.push_back({static_cast<std::uint64_t>(s.integer(0)), s.text(1), static_cast<int>(s.integer(2)), s.text(3),
                       s.text(4)});
    return out;
}

Result<std::vector<DemoSetRecord>> RunStore::demoSets(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    auto rows =
        m_db->query("SELECT seq, predictor, idx, kind, demos FROM demo_sets WHERE run_id = ? ORDER BY seq", {runId});
    if (!rows)
        return storeError("demo set read", rows.error());
    std::vector<DemoSetRecord> out;
    for (const auto &s : rows.value())
        out.push_back({static_cast<std::uint64_t>(s.integer(0)), s.text(1), static_cast<int>(s.integer(2)), s.text(3),
                       s.text(4)});
    return out;
}

Result<std::vector<SummaryRecord>> RunStore::summaries(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query("SELECT seq, kind, predictor, text FROM summaries WHERE run_id = ? ORDER BY seq", {runId});
    if (!rows)
        return storeError("summary read", rows.error());
    std::vector<SummaryRecord> out;
    for (const auto &s : rows.value())
        out.push_back({static_cast<std::uint64_t>(s.integer(0)), s.text(1), s.text(2), s.text(3)});
    return out;
}

Result<std::vector<LedgerRow>> RunStore::ledger(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query("SELECT session, request_key, role, model, endpoint, prompt_tokens, completion_tokens,"
                            " dollars, latency_ms, wait_ms, retries, cache_hit, error_kind FROM ledger"
                            " WHERE run_id = ? ORDER BY id",
                            {runId});
    if (!rows)
        return storeError("ledger read", rows.error());
    std::vector<LedgerRow> out;
    long long sequence = 0;
    for (const auto &s : rows.value()) {
        LedgerRow row;
        row.session = static_cast<int>(s.integer(0));
        row.requestKey = s.text(1);
        LedgerEntry &e = row.entry;
        e.sequence = ++sequence;
        e.role = s.text(2);
        e.model = s.text(3);
        e.endpoint = s.text(4);
        e.promptTokens = s.optInteger(5);
        e.completionTokens = s.optInteger(6);
        e.dollars = s.optReal(7);
        e.latencyMs = s.optReal(8).value_or(0.0);
        e.waitMs = s.optReal(9).value_or(0.0);
        e.retries = static_cast<int>(s.integer(10));
        e.cacheHit = s.integer(11) != 0;
        if (!s.isNull(12))
            e.errorKind = errorKindFromName(s.text(12)).value_or(ErrorKind::Internal);
        out.push_back(std::move(row));
    }
    return out;
}

namespace {

// LedgerTotals::add in SQL: a cache hit or a failed call counts as a call but
// adds no tokens or dollars; a billed row with a NULL number makes it unknown.
// Grouped by role, or over the whole run when the group key is constant.
// Written in the SQL that SQLite and PostgreSQL share (no TOTAL, no boolean sums).
constexpr const char *kLedgerTotalsSql =
    "SELECT %GROUP%, COUNT(*),"
    " SUM(CASE WHEN cache_hit != 0 THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN cache_hit = 0 AND error_kind IS NOT NULL THEN 1 ELSE 0 END),"
    " SUM(retries), SUM(latency_ms),"
    " COALESCE(SUM(CASE WHEN cache_hit = 0 AND error_kind IS NULL THEN prompt_tokens END), 0),"
    " MAX(CASE WHEN cache_hit = 0 AND error_kind IS NULL AND prompt_tokens IS NULL THEN 1 ELSE 0 END),"
    " COALESCE(SUM(CASE WHEN cache_hit = 0 AND error_kind IS NULL THEN completion_tokens END), 0),"
    " MAX(CASE WHEN cache_hit = 0 AND error_kind IS NULL AND completion_tokens IS NULL THEN 1 ELSE 0 END),"
    " COALESCE(SUM(CASE WHEN cache_hit = 0 AND error_kind IS NULL THEN dollars END), 0.0),"
    " MAX(CASE WHEN cache_hit = 0 AND error_kind IS NULL AND dollars IS NULL THEN 1 ELSE 0 END)"
    " FROM ledger WHERE run_id = ? GROUP BY %GROUP%";

LedgerTotals ledgerTotalsFromRow(const SqlRow &s)
{
    LedgerTotals t;
    t.calls = s.integer(1);
    t.cacheHits = s.integer(2);
    t.errors = s.integer(3);
    t.retries = s.integer(4);
    t.latencyMs = s.real(5);
    t.promptTokens = s.integer(6);
    t.promptTokensUnknown = s.integer(7) != 0;
    t.completionTokens = s.integer(8);
    t.completionTokensUnknown = s.integer(9) != 0;
    t.dollars = s.real(10);
    t.dollarsUnknown = s.integer(11) != 0;
    return t;
}

} // namespace

Result<LedgerSummary> RunStore::ledgerTotals(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    LedgerSummary summary;
    for (const bool byRole : {false, true}) {
        std::string sql = kLedgerTotalsSql;
        for (auto p = sql.find("%GROUP%"); p != std::string::npos; p = sql.find("%GROUP%"))
            sql.replace(p, 7, byRole ? "role" : "run_id");
        auto rows = m_db->query(sql, {runId});
        if (!rows)
            return storeError("ledger totals", rows.error());
        for (const auto &s : rows.value()) {
            if (byRole)
                summary.byRole[s.text(0)] = ledgerTotalsFromRow(s);
            else
                summary.total = ledgerTotalsFromRow(s);
        }
    }
    return summary;
}

Result<std::vector<JournalRecord>> RunStore::journal(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query(std::string("SELECT request_key, response, session FROM calls WHERE run_id = ? ORDER BY ")
                                + m_db->insertionOrder(),
                            {runId});
    if (!rows)
        return storeError("call journal read", rows.error());
    std::vector<JournalRecord> out;
    for (const auto &s : rows.value()) {
        auto response = responseFromJsonText(s.text(1));
        if (!response) {
            // A damaged entry is as good as absent: the call is made again.
            spdlog::warn("{}: unreadable call journal entry {} of run {}, ignoring it", m_path, s.text(0), runId);
            continue;
        }
        out.push_back({s.text(0), std::move(*response), static_cast<int>(s.integer(2))});
    }
    return out;
}

Result<std::string> RunStore::artifact(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query("SELECT artifact FROM runs WHERE id = ?", {runId});
    if (!rows)
        return storeError("artifact read", rows.error());
    if (rows->empty())
        return Error::make(ErrorKind::Data, m_path + ": no run '" + runId + "' in the run store");
    return rows->front().text(0);
}

} // namespace prism
