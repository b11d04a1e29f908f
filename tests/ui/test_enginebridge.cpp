// The engine bridge: a MIPROv2 run on SimLm delivered as batches on the UI
// thread (seq order, no gap, no duplicate, fewer signals than events),
// runFinished after the last batch, the spend signal against the store's
// ledger, and cancel then resume to the result of an uninterrupted run.
#include "engine/enginebridge.h"

#include "core/study.h"
#include "run/run_store.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

namespace {

// The moderation sample with a small manual MIPROv2 budget.
prism::Study smallStudy()
{
    auto study = prism::loadStudy(PRISM_SAMPLES_DIR "/moderation/moderation.prism.json");
    if (!study)
        qFatal("%s", study.error().message.c_str());
    prism::Study s = study.value();
    s.optimizer.name = "miprov2";
    s.optimizer.autoMode.clear();
    s.optimizer.numCandidates = 3;
    s.optimizer.numTrials = 6;
    s.optimizer.seed = 7;
    return s;
}

prism::RunSettings freshAnswers()
{
    prism::RunSettings settings;
    settings.lm.useCache = false; // every call reaches the simulator, run after run
    return settings;
}

// Everything a test watches on the bridge, in the order it happened.
struct Recorder {
    std::vector<std::vector<prism::RunEvent>> batches;
    bool batchAfterFinish = false;
    int finishedCount = 0;
    std::optional<prism::RunStatus> status;
    prism::StopReason stopReason;
    std::optional<std::pair<double, long long>> lastSpend;

    explicit Recorder(EngineBridge *bridge)
    {
        QObject::connect(bridge, &EngineBridge::eventsArrived, bridge,
                         [this](const std::vector<prism::RunEvent> &batch) {
                             if (finishedCount > 0)
                                 batchAfterFinish = true;
                             batches.push_back(batch);
                         });
        QObject::connect(bridge, &EngineBridge::runFinished, bridge,
                         [this](const QString &, prism::RunStatus s, const prism::StopReason &reason) {
                             ++finishedCount;
                             status = s;
                             stopReason = reason;
                         });
        QObject::connect(bridge, &EngineBridge::spendChanged, bridge, [this](double dollars, qlonglong calls) {
            lastSpend = std::make_pair(dollars, static_cast<long long>(calls));
        });
    }

    std::vector<prism::RunEvent> events() const
    {
        std::vector<prism::RunEvent> all;
        for (const auto &b : batches)
            all.insert(all.end(), b.begin(), b.end());
        return all;
    }

    void clear()
    {
        batches.clear();
        batchAfterFinish = false;
        finishedCount = 0;
        status.reset();
        stopReason = prism::StopReason();
        lastSpend.reset();
    }
};

bool waitFinished(EngineBridge *bridge)
{
    QSignalSpy finished(bridge, &EngineBridge::runFinished);
    return finished.wait(120000);
}

} // namespace

class TestEngineBridge final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::shared_ptr<prism::RunStore> m_store;
    std::optional<double> m_uninterruptedBest;

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        auto store = prism::RunStore::open(m_dir.filePath(QStringLiteral("runs.sqlite")).toStdString());
        QVERIFY2(store, store ? "" : store.error().message.c_str());
        m_store = store.value();
    }

    void runArrivesInOrderedBatchesThenFinishes()
    {
        EngineBridge bridge(m_store);
        Recorder rec(&bridge);
        QSignalSpy started(&bridge, &EngineBridge::runStarted);
        QString error;
        QVERIFY2(bridge.start(smallStudy(), freshAnswers(), &error), qPrintable(error));
        QVERIFY(bridge.isRunning());
        QCOMPARE(started.count(), 1);
        QCOMPARE(started.at(0).at(0).toString(), bridge.runId());
        QVERIFY(!bridge.lastOutcome());
        QVERIFY(waitFinished(&bridge));

        QCOMPARE(rec.finishedCount, 1);
        QVERIFY(rec.status == prism::RunStatus::Finished);
        QVERIFY(rec.stopReason == prism::StopReason::completed());
        QVERIFY(!rec.batchAfterFinish);
        QVERIFY(!bridge.isRunning());

        const auto events = rec.events();
        QVERIFY(events.size() > 10);
        for (std::size_t i = 0; i < events.size(); ++i)
            QCOMPARE(events[i].seq, static_cast<std::uint64_t>(i + 1)); // in order, no gap, no duplicate
        QCOMPARE(events.front().type(), prism::EventType::RunStarted);
        QCOMPARE(events.back().type(), prism::EventType::RunFinished);
        QVERIFY2(rec.batches.size() < events.size(), "one signal per batch, not per event");
        // The UI saw exactly what the store recorded.
        auto stored = m_store->events(bridge.runId().toStdString());
        QVERIFY(stored);
        QCOMPARE(stored->size(), events.size());

        const prism::RunOutcome *outcome = bridge.lastOutcome();
        QVERIFY(outcome);
        QCOMPARE(QString::fromStdString(outcome->runId), bridge.runId());
        QVERIFY(outcome->status == prism::RunStatus::Finished);
        QVERIFY(outcome->bestScore.has_value());
        m_uninterruptedBest = outcome->bestScore;

        // The last spend is the ledger's: requests that reached the model.
        auto totals = m_store->ledgerTotals(bridge.runId().toStdString());
        QVERIFY(totals);
        QVERIFY(rec.lastSpend.has_value());
        QVERIFY(rec.lastSpend->second > 0);
        QCOMPARE(rec.lastSpend->second, totals->total.calls - totals->total.cacheHits);
        QCOMPARE(rec.lastSpend->first, totals->total.dollars);
    }

    void startIsRefusedWhileRunningAndForBadData()
    {
        EngineBridge bridge(m_store);
        prism::Study broken = smallStudy();
        broken.data.train->path = "no-such-file.jsonl";
        QString error;
        QVERIFY(!bridge.start(broken, freshAnswers(), &error));
        QVERIFY2(error.contains(QStringLiteral("no-such-file.jsonl")), qPrintable(error));
        QVERIFY(!bridge.isRunning());

        QVERIFY2(bridge.start(smallStudy(), freshAnswers(), &error), qPrintable(error));
        QString second;
        QVERIFY(!bridge.start(smallStudy(), freshAnswers(), &second));
        QVERIFY2(second.contains(bridge.runId()), qPrintable(second));
        QVERIFY(waitFinished(&bridge));
    }

    void cancelThenResumeReachesTheUninterruptedResult()
    {
        QVERIFY(m_uninterruptedBest.has_value());
        EngineBridge bridge(m_store);
        Recorder rec(&bridge);
        QString error;
        QVERIFY2(bridge.start(smallStudy(), freshAnswers(), &error), qPrintable(error));
        const QString runId = bridge.runId();
        bridge.cancel(); // returns at once; the run stops on its thread
        QVERIFY(waitFinished(&bridge));
        QVERIFY(rec.status == prism::RunStatus::Cancelled);
        QVERIFY(rec.stopReason == prism::StopReason::cancelled());
        QVERIFY(m_store->loadRun(runId.toStdString())->status == prism::RunStatus::Cancelled);

        rec.clear();
        QVERIFY2(bridge.resume(runId, &error), qPrintable(error));
        QCOMPARE(bridge.runId(), runId);
        QVERIFY(waitFinished(&bridge));
        QVERIFY(rec.status == prism::RunStatus::Finished);
        QVERIFY(rec.stopReason == prism::StopReason::completed());
        QVERIFY(!rec.batchAfterFinish);
        // The resumed stream starts with the stored log: the whole run, from seq 1.
        const auto events = rec.events();
        QVERIFY(!events.empty());
        for (std::size_t i = 0; i < events.size(); ++i)
            QCOMPARE(events[i].seq, static_cast<std::uint64_t>(i + 1));
        QCOMPARE(events.back().type(), prism::EventType::RunFinished);
        QVERIFY(bridge.lastOutcome());
        QCOMPARE(bridge.lastOutcome()->bestScore, m_uninterruptedBest);
        QCOMPARE(bridge.lastOutcome()->session, 2);

        // A finished run is not resumed again.
        QVERIFY(!bridge.resume(runId, &error));
        QVERIFY2(error.contains(QStringLiteral("finished")), qPrintable(error));
    }

    void destroyingTheBridgeCancelsItsRun()
    {
        QString runId;
        {
            EngineBridge bridge(m_store);
            QString error;
            QVERIFY2(bridge.start(smallStudy(), freshAnswers(), &error), qPrintable(error));
            runId = bridge.runId();
        }
        auto run = m_store->loadRun(runId.toStdString());
        QVERIFY(run);
        QVERIFY(run->status == prism::RunStatus::Cancelled);
    }
};

QTEST_MAIN(TestEngineBridge)
#include "test_enginebridge.moc"
