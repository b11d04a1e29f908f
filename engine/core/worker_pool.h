#pragma once

// A fixed set of worker threads that lives as long as a run (or a CLI
// command, or a studio job): evaluations and optimizer steps submit their
// batches to it instead of starting threads of their own, so the per-thread
// state a job builds (an HTTP connection in a thread-local curl handle, a JS
// engine) is kept from one batch to the next.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace prism {

class WorkerPool {
public:
    // `threads` jobs run at once (at least 1): the calling thread of a batch
    // takes part, so threads - 1 workers are started here and run until the
    // pool is destroyed.
    explicit WorkerPool(int threads);
    // Joins the workers. No batch may be running.
    ~WorkerPool();
    WorkerPool(const WorkerPool &) = delete;
    WorkerPool &operator=(const WorkerPool &) = delete;

    // Jobs that run at once: the workers and the calling thread.
    int size() const { return static_cast<int>(m_workers.size()) + 1; }

    // Calls job(i) for every i in [0, n) and returns when all have finished.
    // Jobs write their results by index, so the outcome does not depend on the
    // thread count. The calling thread runs jobs of its batch too, so a job may
    // itself run a batch on the same pool without deadlock. Once *cancel is set,
    // jobs not yet started are skipped; returns false when any job was skipped.
    // A job that throws stops the batch from starting more jobs; the exception
    // is rethrown here once the jobs under way have finished.
    bool parallelFor(std::size_t n, const std::function<void(std::size_t)> &job,
                     const std::atomic<bool> *cancel = nullptr);

private:
    struct Batch;
    void workerLoop();
    // Claims the next index of `batch` (false when none is left). m_mutex held.
    bool claim(Batch &batch, std::size_t &index);
    void runClaimed(Batch &batch, std::size_t index);

    std::vector<std::thread> m_workers;
    std::mutex m_mutex;
    std::condition_variable m_wake;             // a batch was queued, or the pool is stopping
    std::deque<std::shared_ptr<Batch>> m_queue; // batches with jobs not yet claimed
    bool m_stopping = false;
};

// Runs the batch on `pool` when there is one, else on up to `threads` threads
// started for this call only (1 = on the calling thread), with the same contract.
bool parallelFor(WorkerPool *pool, std::size_t n, int threads, const std::function<void(std::size_t)> &job,
                 const std::atomic<bool> *cancel = nullptr);

} // namespace prism
