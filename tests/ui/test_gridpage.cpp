// Issue 14: "a side-by-side grid: several programs (baseline, any runs, any
// candidates) x examples of a split, with scores, filters (failures,
// differences, errors) and full text on demand".
#include "pages/gridpage.h"
#include "runfixture.h"
#include "studydocument.h"

#include <QListWidget>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <set>

class TestGridPage final : public QObject {
    Q_OBJECT

private slots:
    void programsByExamplesWithFilters()
    {
        QTemporaryDir dir;
        auto store = prism::RunStore::open(dir.filePath(QStringLiteral("runs.sqlite")).toStdString());
        QVERIFY(store);
        QString error;
        const QString runId = QString::fromStdString(uitest::runTinyOptimization(store.value(), "miprov2", &error));
        QVERIFY2(!runId.isEmpty(), qPrintable(error));
        StudyDocument doc;
        QVERIFY2(doc.open(QStringLiteral(PRISM_SAMPLES_DIR "/math/math.prism.json"), &error), qPrintable(error));
        GridPage page(&doc);
        page.setStore(store.value());

        // The study's program, the run, and the configurations it fully evaluated.
        QListWidget *programs = page.programList();
        QVERIFY(programs->count() >= 3);
        QCOMPARE(programs->item(0)->checkState(), Qt::Checked);
        QCOMPARE(programs->item(1)->data(Qt::UserRole).toString(), QStringLiteral("run:") + runId);
        QCOMPARE(programs->item(1)->checkState(), Qt::Checked);
        QVERIFY(programs->item(2)->text().contains(QStringLiteral("trial")));
        programs->item(2)->setCheckState(Qt::Checked);

        QSignalSpy finished(&page, &GridPage::evaluationFinished);
        QVERIFY2(page.evaluate(&error), qPrintable(error));
        QVERIFY(finished.wait(120000));
        QVERIFY(finished.first().at(0).toBool());
        const auto &reports = page.reports();
        QCOMPARE(reports.size(), std::size_t(3));
        const std::size_t examples = doc.examples(Split::Test).size();
        QCOMPARE(page.table()->rowCount(), static_cast<int>(examples));
        QCOMPARE(page.table()->columnCount(), 2 + 3);

        // Each filter shows exactly the rows the reports say.
        int failures = 0;
        int differences = 0;
        int errors = 0;
        for (std::size_t i = 0; i < examples; ++i) {
            bool failed = false;
            bool errored = false;
            std::set<std::optional<double>> scores;
            for (const auto &report : reports) {
                const prism::ExampleResult *r = nullptr;
                for (const auto &res : report->results)
                    if (res.index == i)
                        r = &res;
                const std::optional<double> score = r && !r->error ? r->score : std::nullopt;
                errored = errored || !score;
                failed = failed || !score || *score < 1.0;
                scores.insert(score ? std::optional<double>(std::round(*score * 100.0) / 100.0) : std::nullopt);
            }
            failures += failed ? 1 : 0;
            errors += errored ? 1 : 0;
            differences += scores.size() > 1 ? 1 : 0;
        }
        page.setFilter(GridPage::Filter::All);
        QCOMPARE(page.visibleRows(), static_cast<int>(examples));
        page.setFilter(GridPage::Filter::Failures);
        QCOMPARE(page.visibleRows(), failures);
        page.setFilter(GridPage::Filter::Differences);
        QCOMPARE(page.visibleRows(), differences);
        QVERIFY(differences > 0); // the baseline and the optimized program disagree somewhere on math
        page.setFilter(GridPage::Filter::Errors);
        QCOMPARE(page.visibleRows(), errors);
        page.setFilter(GridPage::Filter::Differences);
        page.resize(1000, 560);
        if (const QString shots = qEnvironmentVariable("PRISM_SCREENSHOT_DIR"); !shots.isEmpty())
            page.grab().save(shots + QStringLiteral("/17-grid.png"));
        // The prediction and the metric's feedback are in the cell's tooltip.
        QVERIFY(!page.table()->item(0, 2)->toolTip().isEmpty());
        for (std::size_t c = 0; c < reports.size(); ++c)
            for (const auto &res : reports[c]->results) {
                if (res.error)
                    continue;
                const QString tip = page.table()->item(static_cast<int>(res.index), 2 + static_cast<int>(c))->toolTip();
                QVERIFY2(tip.endsWith(QLatin1Char('\n') + QString::fromStdString(res.feedback)), qPrintable(tip));
                QVERIFY2(tip.contains(QStringLiteral("answer: ")), qPrintable(tip));
            }
    }
};

QTEST_MAIN(TestGridPage)
#include "test_gridpage.moc"
