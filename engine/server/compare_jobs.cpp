#include "server/compare_jobs.h"

#include "core/pg_db.h"
#include "core/sql_db.h"
#include "core/text.h"

namespace prism {

namespace {

const char *kCompareSchema =
    "CREATE TABLE IF NOT EXISTS compare_jobs (id BIGSERIAL PRIMARY KEY, run_id TEXT NOT NULL, team TEXT NOT NULL,"
    "  split TEXT NOT NULL, baseline_spec TEXT NOT NULL, candidate_spec TEXT NOT NULL,"
    "  baseline_program TEXT NOT NULL, candidate_program TEXT NOT NULL, status TEXT NOT NULL,"
    "  worker TEXT, lease_until TIMESTAMPTZ, claims INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL,"
    "  finished_at TEXT, result TEXT, error TEXT);"
    "CREATE INDEX IF NOT EXISTS compare_jobs_run ON compare_jobs (run_id);"
    "CREATE INDEX IF NOT EXISTS compare_jobs_status ON compare_jobs (status);";

// The columns every read returns, in CompareJob's order. A running job whose
// lease ran out (its worker died) reads as queued: it waits for a worker.
const char *kColumns = "id, run_id, team, split, baseline_spec, candidate_spec, baseline_program, candidate_program,"
                       " CASE WHEN status = 'running' AND lease_until < clock_timestamp() THEN 'queued'"
                       " ELSE status END, worker, claims, created_at, finished_at, result, error";

CompareStatus statusFromName(const std::string &name)
{
    if (name == "running")
        return CompareStatus::Running;
    if (name == "done")
        return CompareStatus::Done;
    if (name == "failed")
        return CompareStatus::Failed;
    return CompareStatus::Queued;
}

CompareJob jobFromRow(const SqlRow &row)
{
    CompareJob job;
    job.id = row.integer(0);
    job.runId = row.text(1);
    job.team = row.text(2);
    job.split = row.text(3);
    job.baselineSpec = row.text(4);
    job.candidateSpec = row.text(5);
    job.baselineProgram = row.text(6);
    job.candidateProgram = row.text(7);
    job.status = statusFromName(row.text(8));
    job.worker = row.text(9);
    job.claims = static_cast<int>(row.integer(10));
    job.createdAt = row.text(11);
    job.finishedAt = row.text(12);
    job.resultJson = row.text(13);
    job.error = row.text(14);
    return job;
}

Error jobsError(const std::string &what, const Error &cause)
{
    return Error::make(ErrorKind::Io, "compare jobs: " + what + " failed: " + cause.message);
}

} // namespace

const char *compareStatusName(CompareStatus status)
{
    switch (status) {
    case CompareStatus::Queued: return "queued";
    case CompareStatus::Running: return "running";
    case CompareStatus::Done: return "done";
    case CompareStatus::Failed: return "failed";
    }
    return "queued";
}

std::string compareJobName(long long id)
{
    return "c-" + std::to_string(id);
}

std::optional<long long> compareJobId(const std::string &name)
{
    if (name.size() < 3 || name.size() > 20 || name.compare(0, 2, "c-") != 0
        || name.find_first_not_of("0123456789", 2) != std::string::npos)
        return std::nullopt;
    return std::stoll(name.substr(2));
}

CompareJobs::CompareJobs(std::unique_ptr<SqlDb> db) : m_db(std::move(db)) {}
CompareJobs::~CompareJobs() = default;

Result<std::unique_ptr<CompareJobs>> CompareJobs::open(const std::string &url)
{
    if (!pg::isUrl(url))
        return Error::make(ErrorKind::Config, "compare jobs need a PostgreSQL store (postgresql://...)");
    auto connection = pg::Connection::open(url);
    if (!connection)
        return connection.error();
    if (auto migrated = pg::migrate(*connection.value(), "compare_jobs", {kCompareSchema}); !migrated)
        return migrated.error();
    return std::unique_ptr<CompareJobs>(new CompareJobs(postgresSqlDb(std::move(connection).value())));
}

Result<long long> CompareJobs::add(const CompareJob &job)
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query("INSERT INTO compare_jobs (run_id, team, split, baseline_spec, candidate_spec,"
                            " baseline_program, candidate_program, status, created_at)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?) RETURNING id",
                            {job.runId, job.team, job.split, job.baselineSpec, job.candidateSpec, job.baselineProgram,
                             job.candidateProgram, isoNowUtc()});
    if (!rows || rows->empty())
        return jobsError("queueing", rows ? Error::make(ErrorKind::Io, "no id returned") : rows.error());
    return rows->front().integer(0);
}

Result<std::optional<CompareJob>> CompareJobs::job(long long id)
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query(std::string("SELECT ") + kColumns + " FROM compare_jobs WHERE id = ?", {id});
    if (!rows)
        return jobsError("read", rows.error());
    if (rows->empty())
        return std::optional<CompareJob>();
    return std::optional<CompareJob>(jobFromRow(rows->front()));
}

Result<std::vector<CompareJob>> CompareJobs::runJobs(const std::string &runId)
{
    std::lock_guard lock(m_mutex);
    auto rows =
        m_db->query(std::string("SELECT ") + kColumns + " FROM compare_jobs WHERE run_id = ? ORDER BY id", {runId});
    if (!rows)
        return jobsError("list", rows.error());
    std::vector<CompareJob> jobs;
    for (const SqlRow &row : rows.value()) {
        CompareJob job = jobFromRow(row);
        job.baselineProgram.clear();
        job.candidateProgram.clear();
        job.resultJson.clear();
        jobs.push_back(std::move(job));
    }
    return jobs;
}

Result<std::optional<CompareJob>> CompareJobs::claim(const std::string &worker, double leaseSeconds)
{
    std::lock_guard lock(m_mutex);
    // A job whose workers died kMaxClaims times ends here rather than take
    // down the next worker too.
    auto failed = m_db->exec(
        "UPDATE compare_jobs SET status = 'failed', finished_at = ?, lease_until = NULL, error = CASE"
        " WHEN status = 'queued' AND error IS NOT NULL THEN 'tried "
            + std::to_string(kMaxClaims)
            + " times; the last time: ' || error"
              " ELSE 'its worker stopped "
            + std::to_string(kMaxClaims)
            + " times before it ended (see the workers'' logs)' END"
              " WHERE claims >= ? AND (status = 'queued' OR (status = 'running' AND lease_until < clock_timestamp()))",
        {isoNowUtc(), static_cast<long long>(kMaxClaims)});
    if (!failed)
        return jobsError("claim", failed.error());
    auto rows =
        m_db->query(std::string("UPDATE compare_jobs SET status = 'running', worker = ?,"
                                " lease_until = clock_timestamp() + make_interval(secs => ?),"
                                " claims = claims + 1 WHERE id = (SELECT id FROM compare_jobs"
                                "  WHERE claims < ? AND (status = 'queued' OR (status = 'running' AND lease_until < "
                                "clock_timestamp()))"
                                "  ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING ")
                        + kColumns,
                    {worker, leaseSeconds, static_cast<long long>(kMaxClaims)});
    if (!rows)
        return jobsError("claim", rows.error());
    if (rows->empty())
        return std::optional<CompareJob>();
    return std::optional<CompareJob>(jobFromRow(rows->front()));
}

Result<bool> CompareJobs::renewLease(long long id, const std::string &worker, double leaseSeconds)
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query("UPDATE compare_jobs SET lease_until = clock_timestamp() + make_interval(secs => ?)"
                            " WHERE id = ? AND worker = ? AND status = 'running' RETURNING id",
                            {leaseSeconds, id, worker});
    if (!rows)
        return jobsError("lease renewal", rows.error());
    return !rows->empty();
}

Result<bool> CompareJobs::finish(long long id, const std::string &worker, const std::string &resultJson,
                                 const std::string &error)
{
    std::lock_guard lock(m_mutex);
    const bool ok = error.empty();
    auto rows = m_db->query("UPDATE compare_jobs SET status = ?, result = ?, error = ?, finished_at = ?,"
                            " lease_until = NULL WHERE id = ? AND worker = ? AND status = 'running' RETURNING id",
                            {std::string(ok ? "done" : "failed"), ok ? SqlParam(resultJson) : SqlParam(),
                             ok ? SqlParam() : SqlParam(error), isoNowUtc(), id, worker});
    if (!rows)
        return jobsError("finish", rows.error());
    return !rows->empty();
}

Result<void> CompareJobs::release(long long id, const std::string &worker, const std::string &problem)
{
    std::lock_guard lock(m_mutex);
    // A worker that stops hands the job on without using one of its
    // attempts; one that met a passing problem uses it and says what it was.
    auto r = problem.empty()
                 ? m_db->exec("UPDATE compare_jobs SET status = 'queued', lease_until = NULL,"
                              " claims = GREATEST(claims - 1, 0) WHERE id = ? AND worker = ? AND status = 'running'",
                              {id, worker})
                 : m_db->exec("UPDATE compare_jobs SET status = 'queued', lease_until = NULL, error = ?"
                              " WHERE id = ? AND worker = ? AND status = 'running'",
                              {problem, id, worker});
    if (!r)
        return jobsError("release", r.error());
    return {};
}

Result<long long> CompareJobs::pending()
{
    std::lock_guard lock(m_mutex);
    auto rows = m_db->query("SELECT COUNT(*) FROM compare_jobs WHERE status IN ('queued', 'running')");
    if (!rows || rows->empty())
        return jobsError("count", rows ? Error::make(ErrorKind::Io, "no row") : rows.error());
    return rows->front().integer(0);
}

} // namespace prism
