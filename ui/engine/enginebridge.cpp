#include "engine/enginebridge.h"

#include "qtconvert.h"

#include "scripting/jsmetric.h"
#include "server/api_client.h"
#include "server/api_request.h"
#include "server/serversession.h"

#include <nlohmann/json.hpp>

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

void EngineBridge::setServer(std::shared_ptr<ServerSession> server)
{
    m_server = std::move(server);
    // The mirror is synced four times a second; reading it faster shows nothing new.
    if (m_server)
        m_batchTimer->setInterval(250);
}

bool EngineBridge::startRemote(const prism::Study &study, const prism::RunSettings &settings, QString *error)
{
    auto body = prism::createRunRequestBody(study, settings);
    auto created =
        body ? m_server->client()->postJson("/v1/runs", body.value()) : prism::Result<prism::Json>(body.error());
    if (!created) {
        if (error)
            *error = toQ(created.error().message);
        return false;
    }
    const QString id = toQ(created.value().value("id", std::string()));
    m_server->watch(id);
    m_remoteActive = true;
    m_remoteLastSeq = 0;
    began(id, {});
    return true;
}

bool EngineBridge::resumeRemote(const QString &runId, QString *error)
{
    auto resumed = m_server->client()->postJson("/v1/runs/" + toStd(runId) + "/resume", "");
    if (!resumed) {
        if (error)
            *error = toQ(resumed.error().message);
        return false;
    }
    m_server->watch(runId);
    m_remoteActive = true;
    m_remoteLastSeq = 0; // the listener sees the run from seq 1, as with a local resume
    began(runId, {});
    return true;
}

void EngineBridge::follow(const QString &runId, std::uint64_t afterSeq)
{
    if (!m_server || isRunning())
        return;
    m_server->watch(runId);
    m_runId = runId;
    m_remoteActive = true;
    m_remoteLastSeq = afterSeq;
    m_lastDollars = -1.0;
    m_lastCalls = -1;
    m_batchTimer->start();
    m_spendTimer->start();
}

void EngineBridge::drainRemote()
{
    // Status before events: a run the mirror shows as over has all its events there.
    auto run = reader().loadRun(toStd(m_runId));
    auto events = reader().events(toStd(m_runId), m_remoteLastSeq);
    if (!events)
        return; // not mirrored yet, or a busy store: the next tick reads again
    if (!events->empty()) {
        m_remoteLastSeq = events->back().seq;
        emit eventsArrived(events.value());
    }
    if (!run || run->status == prism::RunStatus::Running || run->status == prism::RunStatus::Queued)
        return;
    m_remoteActive = false;
    m_batchTimer->stop();
    m_spendTimer->stop();
    pollSpend();
    emit runFinished(m_runId, run->status, run->stopReason);
}

bool EngineBridge::start(const prism::Study &study, const prism::RunSettings &settings, QString *error)
{
    if (isRunning() && m_server) {
        if (error)
            *error = tr("Run %1 is still under way on the server; cancel it or wait for it to end.").arg(m_runId);
        return false;
    }
    if (m_server)
        return startRemote(study, settings, error);
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
    if (m_server && !isRunning())
        return resumeRemote(runId, error);
    if (isRunning()) {
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
    if (m_server && m_remoteActive) {
        // Asked of the worker that holds the run; the run's end arrives as its events do.
        if (auto asked = m_server->client()->postJson("/v1/runs/" + toStd(m_runId) + "/cancel", ""); !asked)
            qWarning("cancel of server run %s: %s", qPrintable(m_runId), asked.error().message.c_str());
        m_server->syncSoon();
    }
}

void EngineBridge::drain()
{
    if (m_remoteActive)
        return drainRemote();
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
