#include "core/worker_pool.h"

#include <algorithm>
#include <exception>

namespace prism {

struct WorkerPool::Batch {
    std::size_t n = 0;
    const std::function<void(std::size_t)> *job = nullptr;
    const std::atomic<bool> *cancel = nullptr;
    std::size_t next = 0;         // first index not claimed
    std::size_t running = 0;      // claimed and not finished
    bool skipped = false;         // cancel skipped jobs
    bool failed = false;          // a job threw: start no more
    std::exception_ptr error;     // the first exception
    std::condition_variable done; // running reached 0 with nothing left to claim
};

WorkerPool::WorkerPool(int threads)
{
    const int workers = std::max(1, threads) - 1;
    m_workers.reserve(static_cast<std::size_t>(workers));
    for (int i = 0; i < workers; ++i)
        m_workers.emplace_back([this] { workerLoop(); });
}

WorkerPool::~WorkerPool()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    for (auto &t : m_workers)
        t.join();
}

bool WorkerPool::claim(Batch &batch, std::size_t &index)
{
    if (batch.next < batch.n && (batch.failed || (batch.cancel && batch.cancel->load()))) {
        // Nothing more starts: the rest counts as skipped (a failure is rethrown instead).
        batch.skipped = batch.skipped || !batch.failed;
        batch.next = batch.n;
    }
    if (batch.next >= batch.n)
        return false;
    index = batch.next++;
    ++batch.running;
    return true;
}

void WorkerPool::runClaimed(Batch &batch, std::size_t index)
{
    std::exception_ptr error;
    try {
        (*batch.job)(index);
    } catch (...) {
        error = std::current_exception();
    }
    std::lock_guard lock(m_mutex);
    if (error) {
        batch.failed = true;
        if (!batch.error)
            batch.error = error;
    }
    --batch.running;
    if (batch.running == 0)
        batch.done.notify_all();
}

void WorkerPool::workerLoop()
{
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
        if (m_stopping)
            return;
        std::shared_ptr<Batch> batch = m_queue.front();
        std::size_t index = 0;
        if (!claim(*batch, index)) {
            // Fully claimed: the batch leaves the queue; its caller waits for the rest.
            m_queue.pop_front();
            if (batch->running == 0)
                batch->done.notify_all();
            continue;
        }
        lock.unlock();
        runClaimed(*batch, index);
        lock.lock();
    }
}

bool WorkerPool::parallelFor(std::size_t n, const std::function<void(std::size_t)> &job,
                             const std::atomic<bool> *cancel)
{
    auto batch = std::make_shared<Batch>();
    batch->n = n;
    batch->job = &job;
    batch->cancel = cancel;
    std::unique_lock lock(m_mutex);
    if (!m_workers.empty() && n > 1) {
        m_queue.push_back(batch);
        m_wake.notify_all();
    }
    // The caller runs jobs of its own batch until none is left to claim: a job
    // that runs a nested batch therefore always makes progress.
    std::size_t index = 0;
    while (claim(*batch, index)) {
        lock.unlock();
        runClaimed(*batch, index);
        lock.lock();
    }
    batch->done.wait(lock, [&] { return batch->running == 0; });
    // Workers drop a fully claimed batch when they next look; do it now.
    const auto it = std::find(m_queue.begin(), m_queue.end(), batch);
    if (it != m_queue.end())
        m_queue.erase(it);
    lock.unlock();
    if (batch->error)
        std::rethrow_exception(batch->error);
    return !batch->skipped;
}

bool parallelFor(WorkerPool *pool, std::size_t n, int threads, const std::function<void(std::size_t)> &job,
                 const std::atomic<bool> *cancel)
{
    if (pool)
        return pool->parallelFor(n, job, cancel);
    const int count = static_cast<int>(
        std::min<std::size_t>(static_cast<std::size_t>(std::max(1, threads)), std::max<std::size_t>(n, 1)));
    WorkerPool local(count);
    return local.parallelFor(n, job, cancel);
}

} // namespace prism
