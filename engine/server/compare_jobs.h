#pragma once

// The team server's compare jobs (docs/SERVER.md "Comparing programs"): two
// programs evaluated on a split of a run's study. The API server queues them;
// workers, which hold the provider keys, claim them as they claim runs, with a
// lease renewed while they work. A job whose worker died is taken again once
// its lease runs out; the model calls its first worker made are answered from
// the shared response cache. Its table lives in the run store's PostgreSQL
// database.
#include "core/result.h"

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace prism {

class SqlDb;

enum class CompareStatus { Queued, Running, Done, Failed };
const char *compareStatusName(CompareStatus status);

struct CompareJob {
    long long id = 0;
    std::string runId; // whose study (data, metric, models) the programs are evaluated with
    std::string team;
    std::string split; // train, val or test
    // What the client asked for ("baseline", "optimized", {"run": id},
    // {"program": ...}) as JSON text, and the program each resolved to.
    std::string baselineSpec, candidateSpec;
    std::string baselineProgram, candidateProgram;
    CompareStatus status = CompareStatus::Queued;
    std::string worker; // the worker on it (running), or the last one
    int claims = 0;     // times a worker took it
    std::string createdAt, finishedAt;
    std::string resultJson; // done: the comparison (`prism compare --json`) and its calls
    std::string error;      // failed: what went wrong, one line
};

// "c-12" for job 12; nothing for another text.
std::string compareJobName(long long id);
std::optional<long long> compareJobId(const std::string &name);

class CompareJobs {
public:
    // A job taken this many times without an end (its worker died, or met a
    // passing problem, each time) fails instead of taking down another worker.
    static constexpr int kMaxClaims = 3;

    // Connects to a postgresql:// URL and creates or migrates the table.
    static Result<std::unique_ptr<CompareJobs>> open(const std::string &url);
    ~CompareJobs();
    CompareJobs(const CompareJobs &) = delete;
    CompareJobs &operator=(const CompareJobs &) = delete;

    // Queues the job (id, status and times are set here); returns its id.
    Result<long long> add(const CompareJob &job);
    Result<std::optional<CompareJob>> job(long long id);
    // A run's jobs, oldest first, without their programs and results.
    Result<std::vector<CompareJob>> runJobs(const std::string &runId);

    // The oldest queued job, or one whose lease ran out, now leased to worker.
    Result<std::optional<CompareJob>> claim(const std::string &worker, double leaseSeconds);
    // False when the job is no longer this worker's.
    Result<bool> renewLease(long long id, const std::string &worker, double leaseSeconds);
    // Ends a job this worker holds: done with a result, or failed with an
    // error. False when it was no longer this worker's (nothing written).
    Result<bool> finish(long long id, const std::string &worker, const std::string &resultJson,
                        const std::string &error);
    // Back to the queue for the next worker. Without a problem (a worker that
    // stops) the take does not count; with one (a store or an endpoint that
    // did not answer) it counts as one of kMaxClaims and the problem is kept
    // for the job's error should the last attempt fail too.
    Result<void> release(long long id, const std::string &worker, const std::string &problem = "");
    // Jobs queued or running.
    Result<long long> pending();

private:
    explicit CompareJobs(std::unique_ptr<SqlDb> db);
    std::unique_ptr<SqlDb> m_db;
    std::mutex m_mutex;
};

} // namespace prism
