#pragma once

// The run store (DESIGN.md §5, docs/RUNS.md): one SQLite file in WAL mode, or
// a PostgreSQL database a team shares (the same tables), that keeps every run,
// its events, the tables derived from them, its ledger and its call journal
// (what makes a crashed run resumable).
#include "core/json.h"
#include "core/result.h"
#include "events/events.h"
#include "lm/ledger.h"
#include "lm/lm.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace prism {

class SqlDb;

inline constexpr int kRunStoreSchemaVersion = 1;

// What a new run row holds. The JSON texts are snapshots: a run can be
// resumed or reviewed after the study file changed or disappeared.
struct NewRun {
    std::string studyName;
    std::string studyPath;
    std::string studyJson;           // studyToJsonText of the effective study
    std::string optimizer;           // miprov2 | bootstrap | labeled | ...
    std::string optimizerConfigJson; // the effective knobs, DSPy names
    std::string optionsJson;         // how it was launched (threads, budget, cache, model overrides)
    std::uint64_t seed = 0;
    // A queued run's data files, uploaded with it (path relative to the
    // study -> text): kept in the store for whichever worker takes the run.
    std::map<std::string, std::string> files;
};

// What RunStore::requestCancel did.
enum class CancelRequest {
    Cancelled, // it was waiting for a worker (or its worker died): now cancelled
    Requested, // a worker runs it: the worker cancels it within a second
    NotActive, // not in the queue (finished, failed, already cancelled, or a local run)
};

// One row of the runs table.
struct RunRecord {
    std::string id;
    std::string createdAt;  // ISO 8601 UTC
    std::string finishedAt; // empty while running
    std::string studyName;
    std::string studyPath;
    std::string studyJson;
    std::string optimizer;
    std::string optimizerConfigJson;
    std::string optionsJson;
    std::uint64_t seed = 0;
    RunStatus status = RunStatus::Running;
    StopReason stopReason;
    std::optional<double> baselineScore; // percent, validation
    std::optional<double> bestScore;
    bool hasArtifact = false;
    int sessions = 1;                        // 1 + the number of resumes
    std::optional<std::uint64_t> cancelSeq;  // last event emitted before a cancel took effect
    std::optional<RunFinishedEvent> summary; // the run_finished event, when finished
    std::string owner;                       // "host:pid" of the process that runs (or ran) it
};

// "host:pid" of this process.
std::string runOwner();
// True when owner is a live process on this machine other than this one.
bool runOwnerAlive(const std::string &owner);
// True when owner is a process on another machine: its life cannot be
// checked from here (a store a team shares).
bool runOwnerElsewhere(const std::string &owner);

// Derived from trial_finished.
struct TrialRecord {
    std::uint64_t seq = 0; // the event it came from
    int trial = 0;
    std::string kind; // minibatch | full
    std::string configKey;
    std::string configJson;           // as the event wrote it
    std::vector<ConfigChoice> config; // the same, decoded
    std::optional<double> score;      // percent
    int scored = 0;
    int errors = 0;
    int examples = 0;
    long long newCalls = 0;
    long long memoHits = 0;
    std::string state; // complete | failed
    std::string error;
    bool operator==(const TrialRecord &other) const = default;
};

// One (config, example) score: from trial_finished's results, or richer from
// the optimizer's per-example callback (prediction, error, calls).
struct ExampleResultRecord {
    std::string configKey;
    int exampleIndex = 0;
    std::optional<double> score; // [0, 1]; empty when the example errored
    std::string error;
    std::string predictionJson; // empty when unknown
    int calls = 0;
};

struct CandidateRecord {
    std::uint64_t seq = 0;
    std::string predictor;
    int index = 0;
    std::string text;
    std::string tip;
};

struct DemoSetRecord {
    std::uint64_t seq = 0;
    std::string predictor;
    int index = 0;
    std::string kind;
    std::string demosJson;
};

struct SummaryRecord {
    std::uint64_t seq = 0;
    std::string kind;
    std::string predictor;
    std::string text;
};

// One ledger row: a ledger entry plus the request key and the session (1 =
// the first process, 2 = the first resume...). Empty key = not known.
struct LedgerRow {
    int session = 1;
    std::string requestKey;
    LedgerEntry entry;
};

// One recorded LM answer of a run, keyed like the response cache.
struct JournalRecord {
    std::string requestKey;
    ChatResponse response;
    int session = 1;
};

struct LedgerSummary {
    LedgerTotals total;
    std::map<std::string, LedgerTotals> byRole;
};

// Thread-safe: one mutex-guarded connection per store object; other processes
// may use the same file (WAL + busy timeout) or database at once. Every write
// is its own committed transaction before the call returns.
// ReadOnly: a second connection for readers (the studio's pages), so they never
// wait on the mutex of the connection a run writes through; the file must exist.
enum class StoreAccess { ReadWrite, ReadOnly };

class RunStore {
public:
    // Opens or creates the store: a file path, or a postgresql:// URL (its
    // tables are created or migrated). A file that is not a usable run store,
    // one that cannot be created, or a database that cannot be reached gives
    // an Io error naming it.
    static Result<std::shared_ptr<RunStore>> open(const std::string &location,
                                                  StoreAccess access = StoreAccess::ReadWrite);
    // $PRISM_STORE when set (a path or a postgresql:// URL), else userDataDir()/runs.sqlite.
    static Result<std::string> defaultPath();
    static Result<std::shared_ptr<RunStore>> openDefault();

    ~RunStore();
    RunStore(const RunStore &) = delete;
    RunStore &operator=(const RunStore &) = delete;

    // The file path, or the database URL without its password: for messages.
    const std::string &path() const { return m_path; }
    // What open() was given (a URL with its password, if it had one): to open
    // another connection to the same store. Never shown or logged.
    const std::string &location() const { return m_location; }
    // A PostgreSQL database rather than a file.
    bool isDatabase() const;

    // --- writing (the run controller) ---
    // A new run with status "running"; returns its id ("r-20261122-0001").
    Result<std::string> createRun(const NewRun &run);
    // Appends an event and the rows derived from it, in one transaction.
    Result<void> appendEvent(const std::string &runId, const RunEvent &event);
    // Removes events with seq >= fromSeq and the rows derived from them (a
    // resumed run that diverged from its log).
    Result<void> truncateEvents(const std::string &runId, std::uint64_t fromSeq);
    Result<void> putExampleResult(const std::string &runId, const ExampleResultRecord &record);
    Result<void> appendLedger(const std::string &runId, const LedgerRow &row);
    // The answer and the ledger rows of its request, in one transaction. The
    // first answer recorded for a key is kept.
    Result<void> recordCall(const std::string &runId, const JournalRecord &record,
                            const std::vector<LedgerRow> &ledger);
    // Marks the start of a resume: status running, sessions + 1; returns the new session number.
    Result<int> beginSession(const std::string &runId);
    Result<void> setCancelSeq(const std::string &runId, std::uint64_t seq);
    Result<void> finishRun(const std::string &runId, RunStatus status, const StopReason &stopReason,
                           std::optional<double> baselineScore, std::optional<double> bestScore,
                           const RunFinishedEvent &summary);
    Result<void> setArtifact(const std::string &runId, const std::string &artifactJson);
    // Writes a run another store holds (a team server's, mirrored by the
    // studio): the row as given, or its status, scores and summary when the
    // id is here already. Events, ledger rows and the artifact follow
    // through appendEvent, appendLedger and setArtifact.
    Result<void> importRun(const RunRecord &run);
    // Sets the status only (e.g. "failed" when a run could not start).
    Result<void> setStatus(const std::string &runId, RunStatus status, const StopReason &stopReason);

    // --- the queue of a team server (PostgreSQL stores; a file store says so) ---
    // A new run with status "queued" (no session yet), waiting for a worker.
    Result<std::string> enqueueRun(const NewRun &run);
    // The oldest queued run, or one whose worker's lease ran out, now leased
    // to `worker` for leaseSeconds and owned by it. FOR UPDATE SKIP LOCKED:
    // two workers never claim the same run. Nothing when there is no work.
    Result<std::optional<std::string>> claimRun(const std::string &worker, double leaseSeconds);
    // Extends the lease; false when the run is no longer leased to `worker`
    // (it expired and another worker took the run).
    Result<bool> renewLease(const std::string &runId, const std::string &worker, double leaseSeconds);
    // The worker is done with the run: done = it ended and leaves the queue;
    // otherwise it goes back to the queue for the next worker.
    Result<void> releaseRun(const std::string &runId, const std::string &worker, bool done);
    // Runs waiting or leased.
    Result<long long> queueLength();
    // The data files a run was queued with (empty when it reads the study's paths).
    Result<std::map<std::string, std::string>> runFiles(const std::string &runId);
    // Cancels a run of the queue: at once when no live worker holds it,
    // else by a request its worker polls (cancelRequested).
    Result<CancelRequest> requestCancel(const std::string &runId);
    Result<bool> cancelRequested(const std::string &runId);
    // A cancelled run goes back to the queue; the worker that takes it
    // resumes it from its journal. A Config error for any other status.
    Result<void> requeueRun(const std::string &runId);

    // --- reading (the studio and the CLI) ---
    Result<std::vector<RunRecord>> listRuns(); // newest first; study_json and options left empty
    Result<RunRecord> loadRun(const std::string &runId);
    Result<std::vector<RunEvent>> events(const std::string &runId, std::uint64_t afterSeq = 0);
    Result<std::uint64_t> lastSeq(const std::string &runId);
    Result<std::vector<TrialRecord>> trials(const std::string &runId);
    Result<std::vector<ExampleResultRecord>> exampleResults(const std::string &runId, const std::string &configKey);
    Result<std::vector<CandidateRecord>> candidates(const std::string &runId);
    Result<std::vector<DemoSetRecord>> demoSets(const std::string &runId);
    Result<std::vector<SummaryRecord>> summaries(const std::string &runId);
    Result<std::vector<LedgerRow>> ledger(const std::string &runId);
    // Summed in SQL: the studio asks twice a second while a run writes rows.
    Result<LedgerSummary> ledgerTotals(const std::string &runId);
    Result<std::vector<JournalRecord>> journal(const std::string &runId);
    // The artifact JSON text; empty when the run has none yet.
    Result<std::string> artifact(const std::string &runId);

private:
    RunStore(std::string path, std::unique_ptr<SqlDb> db);
    // "<path>: run store <what> failed: <the database's reason>"
    Error storeError(const std::string &what, const Error &cause) const;
    // One write transaction around body (rolled back when it fails).
    Result<void> writeLocked(const std::string &what, bool exclusive, bool durable,
                             const std::function<Result<void>()> &body);
    Result<void> requireRunLocked(const std::string &runId);
    Result<void> appendDerivedLocked(const std::string &runId, const RunEvent &event);
    Result<void> insertLedgerLocked(const std::string &runId, const LedgerRow &row);
    // createRun and enqueueRun: the row (and, queued, its place in the queue).
    Result<std::string> createRunLocked(const NewRun &run, bool queued);
    Result<void> requireQueueLocked() const;

    std::string m_path;
    std::string m_location;
    std::unique_ptr<SqlDb> m_db;
    mutable std::mutex m_mutex;
    std::chrono::steady_clock::time_point m_lastEventSync{}; // guarded by m_mutex
};

} // namespace prism
