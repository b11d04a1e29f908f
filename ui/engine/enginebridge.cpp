#include "engine/enginebridge.h"

#include "qtconvert.h"

#include "scripting/jsmetric.h"

#include <QTimer>

#include <algorithm>
#include <iterator>
#include <utility>

EngineBridge::EngineBridge(std::shared_ptr<prism::RunStore> store, QObject *parent)
    : QObject(parent), m_store(std::move(store)), m_batchTimer(new QTimer(this)), m_spendTimer(new QTimer(this))
{
    m_batchTimer->setInterval(50);
    m_spendTimer->setInterval(500);
    connect(m_batchTimer, &QTimer::timeout, this, &EngineBridge::drain);
    connect(m_spendTimer, &QTimer::timeout, this, &EngineBridge::pollSpend);
}

EngineBridge::~EngineBridge()
{
    if (m_controller) {
        m_controller->cancel();
        m_controller->wait();
    }
}

void EngineBridge::setBatchInterval(int ms)
{
    m_batchTimer->setInterval(std::max(1, ms));
}

int EngineBridge::batchInterval() const
{
    return m_batchTimer->interval();
}

void EngineBridge::setSpendInterval(int ms)
{
    m_spendTimer->setInterval(std::max(1, ms));
}

int EngineBridge::spendInterval() const
{
    return m_spendTimer->interval();
}

std::unique_ptr<prism::RunController> EngineBridge::makeController()
{
    auto controller = std::make_unique<prism::RunController>(m_store);
    // The study's JavaScript metric runs in the studio as in "Test on selected rows".
    controller->setMetricFactory(
        [](const prism::MetricSpec &spec, const prism::Program &program, std::shared_ptr<const prism::Judge> judge) {
            return prism::makeStudyMetric(spec, program, std::move(judge));
        });
    // Engine thread: append and return; the UI thread does the rest.
    controller->addEventListener([mutex = m_queueMutex, queue = m_queue](const prism::RunEvent &event) {
        std::lock_guard lock(*mutex);
        queue->push_back(event);
    });
    return controller;
}

bool EngineBridge::start(const prism::Study &study, const prism::RunSettings &settings, QString *error)
{
    if (m_controller) {
        if (error)
            *error = tr("Run %1 is still under way; cancel it or wait for it to end.").arg(m_runId);
        return false;
    }
    if (!m_store) {
        if (error)
            *error = tr("No run store is open, so a run could not be recorded.");
        return false;
    }
    auto controller = makeController();
    auto id = controller->start(study, settings);
    if (!id) {
        if (error)
            *error = toQ(id.error().message);
        return false;
    }
    m_controller = std::move(controller);
    began(toQ(id.value()), {});
    return true;
}

bool EngineBridge::resume(const QString &runId, QString *error)
{
    if (m_controller) {
        if (error)
            *error = tr("Run %1 is still under way; cancel it or wait for it to end.").arg(m_runId);
        return false;
    }
    if (!m_store) {
        if (error)
            *error = tr("No run store is open, so run %1 cannot be read.").arg(runId);
        return false;
    }
    // The events the replay will not deliver again: the whole log, or up to
    // the cancel (resume() drops what came after it). Read before the run starts.
    auto run = reader().loadRun(toStd(runId));
    if (!run) {
        if (error)
            *error = toQ(run.error().message);
        return false;
    }
    auto stored = reader().events(toStd(runId));
    if (!stored) {
        if (error)
            *error = toQ(stored.error().message);
        return false;
    }
    std::vector<prism::RunEvent> log = std::move(stored.value());
    if (run->cancelSeq)
        std::erase_if(log, [&](const prism::RunEvent &e) { return e.seq > *run->cancelSeq; });

    auto controller = makeController();
    auto id = controller->resume(toStd(runId), prism::ResumeSettings{});
    if (!id) {
        if (error)
            *error = toQ(id.error().message);
        return false;
    }
    m_controller = std::move(controller);
    began(runId, std::move(log));
    return true;
}

void EngineBridge::began(const QString &runId, std::vector<prism::RunEvent> storedLog)
{
    m_runId = runId;
    m_outcome.reset();
    m_pendingLog = std::move(storedLog);
    m_lastDollars = -1.0;
    m_lastCalls = -1;
    m_batchTimer->start();
    m_spendTimer->start();
    emit runStarted(runId);
}

void EngineBridge::cancel()
{
    if (m_controller)
        m_controller->cancel();
}

void EngineBridge::drain()
{
    if (!m_controller) {
        m_batchTimer->stop();
        return;
    }
    // Read before draining: once the controller stops running, every event
    // it will ever emit is already in the queue.
    const bool ended = !m_controller->running();
    // A resumed run's stored log goes first; it was read before the replay
    // started, so the live events all come after it.
    std::vector<prism::RunEvent> batch = std::exchange(m_pendingLog, {});
    {
        std::lock_guard lock(*m_queueMutex);
        batch.insert(batch.end(), std::make_move_iterator(m_queue->begin()), std::make_move_iterator(m_queue->end()));
        m_queue->clear();
    }
    if (!batch.empty())
        emit eventsArrived(batch);
    if (!ended)
        return;

    // The engine thread has returned from its last emit: joining does not block.
    m_outcome = m_controller->wait();
    m_controller.reset();
    m_batchTimer->stop();
    m_spendTimer->stop();
    pollSpend();
    emit runFinished(m_runId, m_outcome->status, m_outcome->stopReason);
}

void EngineBridge::pollSpend()
{
    if (m_runId.isEmpty() || !m_store)
        return;
    auto totals = reader().ledgerTotals(toStd(m_runId));
    if (!totals)
        return; // a busy or failing store: the next poll tries again
    const prism::LedgerTotals &t = totals->total;
    const long long calls = t.calls - t.cacheHits;
    if (t.dollars == m_lastDollars && calls == m_lastCalls)
        return;
    m_lastDollars = t.dollars;
    m_lastCalls = calls;
    emit spendChanged(t.dollars, calls);
}
