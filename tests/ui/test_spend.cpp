// Issue 14: "Spend covers every call the studio made since it opened, by
// role, beside the current run's". The tracker's arithmetic (a resumed run
// does not count its earlier sessions again; jobs add by role), and the
// status bar after a comparison, which used to leave its calls out.
#include "engine/spendtracker.h"
#include "mainwindow.h"
#include "pages/comparepage.h"
#include "pagesregistry.h"
#include "studydocument.h"

#include <QLabel>
#include <QSignalSpy>
#include <QTest>

namespace {

prism::LedgerTotals totals(long long calls, long long cacheHits, double dollars)
{
    prism::LedgerTotals t;
    t.calls = calls + cacheHits; // the ledger counts cache hits as requests
    t.cacheHits = cacheHits;
    t.dollars = dollars;
    return t;
}

} // namespace

class TestSpend final : public QObject {
    Q_OBJECT

private slots:
    void aResumedRunCountsOnlyThisSession()
    {
        // The store's ledger of run r-1: 10 calls from an earlier session.
        std::map<std::string, prism::LedgerTotals> ledger{{"task", totals(8, 1, 0.08)},
                                                          {"proposer", totals(2, 0, 0.02)}};
        SpendTracker tracker(
            [&ledger](const QString &runId) -> std::optional<std::map<std::string, prism::LedgerTotals>> {
                if (runId != QStringLiteral("r-1"))
                    return std::nullopt;
                return ledger;
            });
        QSignalSpy changed(&tracker, &SpendTracker::changed);
        QCOMPARE(tracker.statusText(), QStringLiteral("Session $0.00"));

        tracker.runStarted(QStringLiteral("r-1"));
        QCOMPARE(tracker.run().calls, 0LL);
        // The live poll reports the run's totals over all its sessions: 15 calls.
        tracker.runSpendChanged(0.15, 15);
        QCOMPARE(tracker.run().calls, 5LL);
        QCOMPARE(tracker.session().calls, 5LL);
        QVERIFY(qAbs(tracker.run().dollars - 0.05) < 1e-9);
        QVERIFY(tracker.statusText().startsWith(QStringLiteral("Run $0.05 \u00b7 5 calls \u2502 Session $0.05")));

        // At the end the ledger is read by role: 6 more task calls, 1 more proposer call.
        ledger["task"] = totals(14, 3, 0.14);
        ledger["proposer"] = totals(3, 0, 0.03);
        tracker.runFinished(QStringLiteral("r-1"));
        const SpendByRole byRole = tracker.sessionByRole();
        QCOMPARE(byRole.at("task").calls, 6LL);
        QCOMPARE(byRole.at("task").cacheHits, 2LL);
        QCOMPARE(byRole.at("proposer").calls, 1LL);
        QCOMPARE(tracker.session().calls, 7LL);

        // A Try-it or Compare job adds its own roles; the run figure stays.
        SpendByRole job;
        job["evaluation"].calls = 4;
        job["evaluation"].dollars = 0.04;
        tracker.addJob(job);
        QCOMPARE(tracker.session().calls, 11LL);
        QCOMPARE(tracker.run().calls, 7LL);
        QVERIFY(tracker.toolTip().contains(QStringLiteral("evaluation: $0.04 \u00b7 4 calls, 0 cache hits")));
        QVERIFY(changed.count() >= 4);
    }

    void aComparisonShowsInTheStatusBar()
    {
        MainWindow window;
        QVERIFY(window.openSample(QStringLiteral("moderation")));
        registerPages(&window);
        auto *tracker = window.findChild<SpendTracker *>();
        auto *compare = qobject_cast<ComparePage *>(window.page(QStringLiteral("Compare")));
        auto *label = window.findChild<QLabel *>(QStringLiteral("spendLabel"));
        QVERIFY(tracker && compare && label);
        QCOMPARE(tracker->session().calls + tracker->session().cacheHits, 0LL);

        compare->setSplit(Split::Test);
        QSignalSpy finished(compare, &ComparePage::comparisonFinished);
        QString error;
        QVERIFY2(compare->compareFiles(QString(), QString(), &error), qPrintable(error));
        QVERIFY(finished.wait(60000));
        QVERIFY(finished.first().at(0).toBool());

        // One evaluation per test example (A and B are the same program, so once),
        // each a model call or a cache hit of an earlier test run.
        const std::size_t examples = window.document()->examples(Split::Test).size();
        QVERIFY(examples > 0);
        const SpendFigures evaluation = tracker->sessionByRole().at("evaluation");
        QCOMPARE(static_cast<std::size_t>(evaluation.calls + evaluation.cacheHits), examples);
        QCOMPARE(label->text(), tracker->statusText());
        QVERIFY(label->toolTip().contains(QStringLiteral("evaluation:")));
    }
};

QTEST_MAIN(TestSpend)
#include "test_spend.moc"
