#pragma once

#include "events/events.h"
#include "run/run_controller.h"
#include "run/run_store.h"

#include <QObject>
#include <QString>

#include <memory>
#include <mutex>
#include <optional>
#include <vector>

class QTimer;
class ServerSession;

// The studio's one door to runs: starts, resumes and cancels a
// prism::RunController (at most one at a time) and turns the engine thread's
// events into batched signals on the UI thread.
//
// Engine-thread listeners only append to a mutex-guarded queue; a timer on the
// UI thread drains it every batchInterval and emits one eventsArrived per tick,
// so a run that emits thousands of events a second costs the UI about 20
// signals a second. The end of a run is noticed on the UI thread once the
// controller stops running (it emits run_finished before that): the last batch
// goes out, the finished thread is joined, then runFinished. Nothing here
// waits for a run, except the destructor (cancel, then join).
//
// A resumed run first delivers the events its log already holds (those the
// replay will not deliver again), so a listener always sees a run from seq 1.
// A seq at or below one already delivered only happens when a resume diverged
// from the stored log: the run re-records from that seq (a warning event says so).
class EngineBridge final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EngineBridge)

public:
    explicit EngineBridge(std::shared_ptr<prism::RunStore> store, QObject *parent = nullptr);
    ~EngineBridge() override; // cancels and joins a run still under way

    std::shared_ptr<prism::RunStore> store() const { return m_store; }
    // The connection the UI thread reads through (spend, a resume's stored
    // log): a read-only one of its own, so a poll never waits on the run's
    // writes. Without one, the run's store is read.
    void setReader(std::shared_ptr<prism::RunStore> reader) { m_reader = std::move(reader); }

    // Attached to a team server: runs start, resume and cancel there, and
    // their events come from the session's mirror (the store given above),
    // read every batch interval, in the same signals as a local run's.
    void setServer(std::shared_ptr<ServerSession> server);
    bool isRemote() const { return m_server != nullptr; }
    // A server run opened while it goes on (History): its events after
    // afterSeq arrive as a live run's, then runFinished. No runStarted.
    void follow(const QString &runId, std::uint64_t afterSeq);

    // Load errors (data, metric, models, optimizer knobs) come back in *error
    // and start no run. Refused while a run is under way.
    bool start(const prism::Study &study, const prism::RunSettings &settings, QString *error);
    // A cancelled run, or one whose process died: replayed with its recorded answers.
    bool resume(const QString &runId, QString *error);
    // Returns at once; the run ends with stop reason "cancelled".
    void cancel();
    bool isRunning() const { return m_controller != nullptr || m_remoteActive; }
    QString runId() const { return m_runId; } // the current or last run
    const prism::RunOutcome *lastOutcome() const { return m_outcome ? &*m_outcome : nullptr; }

    void setBatchInterval(int ms);
    int batchInterval() const;
    void setSpendInterval(int ms); // default 500 ms
    int spendInterval() const;

signals:
    void runStarted(const QString &runId);
    // On the UI thread, in seq order, one signal per batch.
    void eventsArrived(const std::vector<prism::RunEvent> &batch);
    // The run's ledger: dollars billed and requests that reached a model
    // (cache hits excluded), over every session of the run.
    void spendChanged(double dollars, qlonglong calls);
    // After the last eventsArrived of the run. status: finished | cancelled | failed.
    void runFinished(const QString &runId, prism::RunStatus status, const prism::StopReason &stopReason);

private:
    // Builds a controller whose listener feeds the queue.
    std::unique_ptr<prism::RunController> makeController();
    void began(const QString &runId, std::vector<prism::RunEvent> storedLog);
    void drain();
    void drainRemote();
    bool startRemote(const prism::Study &study, const prism::RunSettings &settings, QString *error);
    bool resumeRemote(const QString &runId, QString *error);
    void pollSpend();

    prism::RunStore &reader() const { return m_reader ? *m_reader : *m_store; }

    std::shared_ptr<prism::RunStore> m_store;
    std::shared_ptr<prism::RunStore> m_reader;
    std::unique_ptr<prism::RunController> m_controller;
    QString m_runId;
    std::optional<prism::RunOutcome> m_outcome;
    QTimer *m_batchTimer = nullptr;
    QTimer *m_spendTimer = nullptr;

    // Filled by the engine thread, emptied by drain().
    std::shared_ptr<std::mutex> m_queueMutex = std::make_shared<std::mutex>();
    std::shared_ptr<std::vector<prism::RunEvent>> m_queue = std::make_shared<std::vector<prism::RunEvent>>();
    std::vector<prism::RunEvent> m_pendingLog; // a resumed run's stored events, delivered first
    std::shared_ptr<ServerSession> m_server;
    bool m_remoteActive = false;       // a server run is followed
    std::uint64_t m_remoteLastSeq = 0; // the last event of it delivered
    double m_lastDollars = -1.0;
    long long m_lastCalls = -1;
};
