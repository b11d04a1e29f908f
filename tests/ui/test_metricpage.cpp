// The metric page: builder edits with undo, the Builder / Script switch, the
// script editor's checks (a syntax error with its line), and "Test on selected
// rows" in the background: scores and feedback per row, an endless loop that
// comes back as a timeout per row while the UI keeps running, and a syntax
// error that stops the test before any LM call.
#include "../support/closed_port.h"

#include "pages/judgepane.h"
#include "pages/metricpage.h"
#include "studydocument.h"

#include "scripting/jsmetric.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTest>
#include <QToolButton>
#include <QUndoStack>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

QString cell(QTableWidget *table, int row, int column)
{
    QTableWidgetItem *item = table->item(row, column);
    return item ? item->text() : QString();
}

using prism::testsupport::closedPort;

} // namespace

class TestMetricPage final : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<StudyDocument> m_doc;
    std::unique_ptr<MetricPage> m_page;

    QComboBox *metricCombo(const QString &field) const
    {
        return m_page->builderTable()->findChild<QComboBox *>(QStringLiteral("metricCombo_") + field);
    }
    QDoubleSpinBox *weightSpin(const QString &field) const
    {
        return m_page->builderTable()->findChild<QDoubleSpinBox *>(QStringLiteral("weightSpin_") + field);
    }

    // Types the script into the editor as a user would paste it.
    void setScript(const QString &source)
    {
        if (m_page->mode() != MetricPage::Mode::Script)
            m_page->findChild<QToolButton *>(QStringLiteral("scriptModeButton"))->click();
        QPlainTextEdit *editor = m_page->scriptEditor();
        editor->selectAll();
        editor->insertPlainText(source);
        QCOMPARE(QString::fromStdString(m_doc->study().metric.script), source);
    }

    // Clicks the test button and waits for the run, keeping the event loop
    // turning; returns the longest gap between two turns (UI stalls).
    qint64 runTest(int timeoutMs = 30000)
    {
        QSignalSpy finished(m_page.get(), &MetricPage::testFinished);
        QElapsedTimer clock;
        clock.start();
        [&] { QVERIFY(m_page->testButton()->isEnabled()); }();
        m_page->testButton()->click();
        qint64 last = 0;
        qint64 worst = 0;
        while (finished.isEmpty() && clock.elapsed() < timeoutMs) {
            QTest::qWait(10);
            worst = std::max(worst, clock.elapsed() - last);
            last = clock.elapsed();
        }
        [&] { QVERIFY2(!finished.isEmpty(), "the test run did not finish"); }();
        return worst;
    }

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("PrismTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_metricpage"));
    }

    void init()
    {
        m_doc = std::make_unique<StudyDocument>();
        QString error;
        QVERIFY2(m_doc->newFromSample(QStringLiteral("moderation"), &error), qPrintable(error));
        m_page = std::make_unique<MetricPage>(m_doc.get());
        m_page->resize(1200, 800);
        m_page->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_page.get()));
    }

    void cleanup()
    {
        m_page.reset();
        m_doc.reset();
    }

    void builderShowsTheStudyMetric()
    {
        QTableWidget *table = m_page->builderTable();
        QCOMPARE(m_page->mode(), MetricPage::Mode::Builder);
        QVERIFY(table->isVisible());
        QCOMPARE(table->rowCount(), 2);
        QCOMPARE(cell(table, 0, MetricPage::FieldColumn), QStringLiteral("severity"));
        QCOMPARE(cell(table, 1, MetricPage::FieldColumn), QStringLiteral("policy_violations"));
        QCOMPARE(metricCombo(QStringLiteral("severity"))->currentData().toString(), QStringLiteral("exact"));
        QCOMPARE(metricCombo(QStringLiteral("policy_violations"))->currentData().toString(), QStringLiteral("jaccard"));
        const QString summary = m_page->findChild<QLabel *>(QStringLiteral("builderSummary"))->text();
        QVERIFY2(summary.contains(QStringLiteral("severity exact"))
                     && summary.contains(QStringLiteral("policy_violations jaccard")),
                 qPrintable(summary));
    }

    void builderEditsAreUndoable()
    {
        QComboBox *severity = metricCombo(QStringLiteral("severity"));
        severity->setCurrentIndex(severity->findData(QStringLiteral("normalized_exact")));
        QCOMPARE(m_doc->study().metric.fields.at(0).metric, std::string("normalized_exact"));

        weightSpin(QStringLiteral("severity"))->setValue(3.0);
        QCOMPARE(m_doc->study().metric.fields.at(0).weight, 3.0);
        // Normalized: 3 / (3 + 1).
        const QString summary = m_page->findChild<QLabel *>(QStringLiteral("builderSummary"))->text();
        QVERIFY2(summary.contains(QStringLiteral("0.75 x severity")), qPrintable(summary));

        QComboBox *violations = metricCombo(QStringLiteral("policy_violations"));
        violations->setCurrentIndex(violations->findData(QString())); // not scored
        QCOMPARE(m_doc->study().metric.fields.size(), std::size_t(1));

        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().metric.fields.size(), std::size_t(2));
        QCOMPARE(metricCombo(QStringLiteral("policy_violations"))->currentData().toString(), QStringLiteral("jaccard"));
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().metric.fields.at(0).weight, 1.0);
        QCOMPARE(weightSpin(QStringLiteral("severity"))->value(), 1.0);
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().metric.fields.at(0).metric, std::string("exact"));
        QCOMPARE(metricCombo(QStringLiteral("severity"))->currentData().toString(), QStringLiteral("exact"));
        m_doc->undoStack()->redo();
        QCOMPARE(metricCombo(QStringLiteral("severity"))->currentData().toString(), QStringLiteral("normalized_exact"));
    }

    void regexAndToleranceOptions()
    {
        QComboBox *severity = metricCombo(QStringLiteral("severity"));
        severity->setCurrentIndex(severity->findData(QStringLiteral("regex")));
        auto *pattern = m_page->builderTable()
                            ->cellWidget(0, MetricPage::OptionColumn)
                            ->findChild<QLineEdit *>(QStringLiteral("patternEdit"));
        QVERIFY(pattern->isVisible());
        pattern->setFocus();
        QTest::keyClicks(pattern, QStringLiteral("^(low|high)$"));
        QCOMPARE(m_doc->study().metric.fields.at(0).pattern, std::string("^(low|high)$"));
        // The whole typed pattern is one undo step.
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().metric.fields.at(0).pattern, std::string());
        QCOMPARE(m_doc->study().metric.fields.at(0).metric, std::string("regex"));
    }

    void switchingModesKeepsBothAndUndoes()
    {
        QToolButton *scriptButton = m_page->findChild<QToolButton *>(QStringLiteral("scriptModeButton"));
        QToolButton *builderButton = m_page->findChild<QToolButton *>(QStringLiteral("builderModeButton"));
        scriptButton->click();
        QCOMPARE(m_page->mode(), MetricPage::Mode::Script);
        QCOMPARE(m_doc->study().metric.kind, std::string("script"));
        // Pre-filled with the template for this signature.
        const std::string script = m_doc->study().metric.script;
        QCOMPARE(script, prism::jsMetricTemplate(m_doc->study().program));
        QVERIFY(script.find("policy_violations") != std::string::npos);
        QCOMPARE(m_page->scriptEditor()->toPlainText(), QString::fromStdString(script));
        QVERIFY(m_page->scriptEditor()->isVisible());
        QVERIFY(!m_page->builderTable()->isVisible());

        builderButton->click();
        QCOMPARE(m_doc->study().metric.kind, std::string("composite"));
        QVERIFY(m_page->builderTable()->isVisible());
        QCOMPARE(m_doc->study().metric.fields.size(), std::size_t(2)); // untouched by the detour
        m_doc->undoStack()->undo();
        QCOMPARE(m_page->mode(), MetricPage::Mode::Script);
        QVERIFY(scriptButton->isChecked());
        m_doc->undoStack()->undo();
        QCOMPARE(m_page->mode(), MetricPage::Mode::Builder);
        QVERIFY(builderButton->isChecked());
    }

    void typingInTheEditorIsOneUndoStep()
    {
        setScript(QStringLiteral("function metric(e, p) {\n  return 1;\n}\n"));
        const int steps = m_doc->undoStack()->count();
        QPlainTextEdit *editor = m_page->scriptEditor();
        editor->setFocus();
        editor->moveCursor(QTextCursor::End);
        QTest::keyClicks(editor, QStringLiteral("// checked"));
        QCOMPARE(QString::fromStdString(m_doc->study().metric.script),
                 QStringLiteral("function metric(e, p) {\n  return 1;\n}\n// checked"));
        QCOMPARE(m_doc->undoStack()->count(), steps + 1);
        m_doc->undoStack()->undo();
        QCOMPARE(editor->toPlainText(), QStringLiteral("function metric(e, p) {\n  return 1;\n}\n"));
    }

    void syntaxErrorIsShownWithItsLine()
    {
        setScript(QStringLiteral("function metric(example, pred) {\n  const a = 1;\n  return a +;\n}\n"));
        QSignalSpy checked(m_page.get(), &MetricPage::scriptChecked);
        m_page->checkScriptNow();
        QVERIFY(checked.wait(5000));
        const QString problem = m_page->scriptProblem();
        QVERIFY2(problem.startsWith(QStringLiteral("metric.js line 3: SyntaxError")), qPrintable(problem));
        auto *status = m_page->findChild<QLabel *>(QStringLiteral("scriptStatus"));
        QVERIFY(status->isVisible());
        QCOMPARE(status->text(), problem);
        // The line is marked in the editor.
        const auto marks = m_page->scriptEditor()->extraSelections();
        QCOMPARE(marks.size(), 1);
        QCOMPARE(marks.first().cursor.blockNumber(), 2);

        // Fixed: the mark goes away.
        setScript(QStringLiteral("function metric(example, pred) {\n  const a = 1;\n  return a;\n}\n"));
        m_page->checkScriptNow();
        QVERIFY(checked.wait(5000));
        QCOMPARE(m_page->scriptProblem(), QString());
        QVERIFY(m_page->scriptEditor()->extraSelections().isEmpty());
    }

    void testOnRowsWithTheBuilderMetric()
    {
        // Three rows sim-small gets right and two (hate speech) it does not.
        const std::vector<int> rows{0, 1, 2, 9, 11};
        m_page->selectRows(rows);
        QCOMPARE(m_page->selectedRows(), rows);
        runTest();
        QTableWidget *results = m_page->resultsTable();
        QCOMPARE(results->rowCount(), 5);
        int wrongRows = 0;
        for (int r = 0; r < 5; ++r) {
            const std::size_t datasetRow = static_cast<std::size_t>(rows[static_cast<std::size_t>(r)]);
            QCOMPARE(cell(results, r, MetricPage::RowColumn), QString::number(datasetRow + 1));
            QVERIFY2(cell(results, r, MetricPage::PredictionColumn).contains(QStringLiteral("severity: ")),
                     qPrintable(cell(results, r, MetricPage::PredictionColumn)));
            bool ok = false;
            const double score = cell(results, r, MetricPage::ScoreColumn).toDouble(&ok);
            QVERIFY2(ok && score >= 0.0 && score <= 1.0, qPrintable(cell(results, r, MetricPage::ScoreColumn)));
            // The composite's feedback: one sentence per field, the
            // severity's saying "correct" or what was expected and got.
            const QString feedback = cell(results, r, MetricPage::FeedbackColumn);
            const QString label =
                QString::fromStdString(m_doc->examples(Split::Train)[datasetRow].values.get("severity").asString());
            const QString severity = cell(results, r, MetricPage::PredictionColumn)
                                         .section(QStringLiteral("severity: "), 1)
                                         .section(QStringLiteral("  ·  "), 0, 0);
            const QString severityFeedback =
                severity == label ? QStringLiteral("severity: correct.")
                                  : QStringLiteral("severity: expected %1, got %2.").arg(label, severity);
            QVERIFY2(feedback.startsWith(severityFeedback + QStringLiteral(" policy_violations: ")),
                     qPrintable(feedback));
            QVERIFY2(feedback.endsWith(QLatin1Char('.')), qPrintable(feedback));
            if (score >= 1.0)
                QCOMPARE(feedback, QStringLiteral("severity: correct. policy_violations: correct."));
            else {
                QVERIFY2(feedback.contains(QStringLiteral("expected ")) || feedback.contains(QStringLiteral("missing "))
                             || feedback.contains(QStringLiteral("extra ")),
                         qPrintable(feedback));
                ++wrongRows;
            }
            QCOMPARE(results->item(r, MetricPage::FeedbackColumn)->toolTip(), feedback);
        }
        QVERIFY(wrongRows > 0);
        QVERIFY2(m_page->testStatus().startsWith(QStringLiteral("5 rows scored")), qPrintable(m_page->testStatus()));
        QVERIFY(m_page->testButton()->isEnabled());
        // Shown in a 1024 x 640 window, each row is tall enough for its whole
        // wrapped feedback (the rows fit again when the column narrows).
        m_page->resize(1024, 640);
        m_page->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_page.get()));
        QCoreApplication::processEvents();
        const QAbstractItemView *view = results; // sizeHintForRow is public here
        for (int r = 0; r < results->rowCount(); ++r)
            QVERIFY2(results->rowHeight(r) >= view->sizeHintForRow(r), qPrintable(QStringLiteral("row %1: %2 px for %3")
                                                                                      .arg(r)
                                                                                      .arg(results->rowHeight(r))
                                                                                      .arg(view->sizeHintForRow(r))));
        if (const QString shots = qEnvironmentVariable("PRISM_SCREENSHOT_DIR"); !shots.isEmpty())
            m_page->grab().save(shots + QStringLiteral("/metric-test-feedback.png"));
        m_page->hide();
    }

    // The Judge mode: a rubric and a reference field are the study's judge
    // metric (undoable), and "Test on selected rows" scores with the judge
    // model, shows its verdict as the feedback and reports its calls as "judge".
    void judgeModeScoresWithTheJudgeModel()
    {
        m_page->findChild<QToolButton *>(QStringLiteral("judgeModeButton"))->click();
        QCOMPARE(m_page->mode(), MetricPage::Mode::Judge);
        QCOMPARE(m_doc->study().metric.kind, std::string("judge"));
        QVERIFY(m_page->judgePane()->isVisible());
        QVERIFY(!m_doc->study().metric.judge.rubric.empty());
        QCOMPARE(m_doc->study().metric.judge.referenceField, std::string("severity"));

        QPlainTextEdit *rubric = m_page->judgePane()->rubricEditor();
        rubric->selectAll();
        rubric->insertPlainText(QStringLiteral("The severity must match the reference."));
        QCOMPARE(m_doc->study().metric.judge.rubric, std::string("The severity must match the reference."));
        m_page->judgePane()->thresholdSpin()->setValue(0.7);
        QCOMPARE(m_doc->study().metric.judge.passThreshold, 0.7);
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->study().metric.judge.passThreshold, 0.5);
        QCOMPARE(m_page->judgePane()->thresholdSpin()->value(), 0.5);

        QSignalSpy spent(m_page.get(), &MetricPage::spent);
        m_page->selectRows({0, 1, 2});
        runTest();
        QTableWidget *results = m_page->resultsTable();
        QCOMPARE(results->rowCount(), 3);
        for (int r = 0; r < 3; ++r) {
            const QString feedback = cell(results, r, MetricPage::FeedbackColumn);
            QVERIFY2(feedback.startsWith(QStringLiteral("pass (judge "))
                         || feedback.startsWith(QStringLiteral("fail (judge ")),
                     qPrintable(feedback));
        }
        if (const QString shots = qEnvironmentVariable("PRISM_SCREENSHOT_DIR"); !shots.isEmpty())
            m_page->grab().save(shots + QStringLiteral("/metric-judge.png"));
        QVERIFY(!spent.isEmpty());
        const auto byRole = spent.last().at(0).value<SpendByRole>();
        QVERIFY2(byRole.count("judge") == 1, "the judge's calls are reported under their own role");
        // Paid or answered by the cache (the test's data directory outlives one run).
        QCOMPARE(byRole.at("judge").calls + byRole.at("judge").cacheHits, 3);

        // Exact match first: the answers it settles cost no judge call.
        m_page->judgePane()->cheapFirstCheck()->click();
        QCOMPARE(m_doc->study().metric.fields.size(), std::size_t(2));
        QVERIFY(m_page->judgePane()->cheapDecidesCombo()->isEnabled());
        QVERIFY2(m_page->judgePane()->summaryLabel()->text().contains(QStringLiteral("exact on severity")),
                 qPrintable(m_page->judgePane()->summaryLabel()->text()));

        // Back to the Builder: a composite metric again, and undo returns to the judge.
        m_page->findChild<QToolButton *>(QStringLiteral("builderModeButton"))->click();
        QCOMPARE(m_doc->study().metric.kind, std::string("composite"));
        m_doc->undoStack()->undo();
        QCOMPARE(m_page->mode(), MetricPage::Mode::Judge);
        QVERIFY(m_page->judgePane()->isVisible());
    }

    void testOnRowsWithAScriptShowsItsFeedback()
    {
        // The feedback repeats the predicted severity, so it must match the
        // prediction column of the same row; the score follows the label.
        setScript(QStringLiteral("function metric(example, pred) {\n"
                                 "  return {score: pred.severity === example.severity ? 1 : 0,\n"
                                 "          feedback: 'predicted ' + pred.severity + ', label ' + example.severity};\n"
                                 "}\n"));
        m_page->selectRows({3, 5});
        runTest();
        QTableWidget *results = m_page->resultsTable();
        QCOMPARE(results->rowCount(), 2);
        QCOMPARE(cell(results, 0, MetricPage::RowColumn), QStringLiteral("4"));
        QCOMPARE(cell(results, 1, MetricPage::RowColumn), QStringLiteral("6"));
        for (int r = 0; r < 2; ++r) {
            const int datasetRow = r == 0 ? 3 : 5;
            const QString label =
                QString::fromStdString(m_doc->examples(Split::Train)[datasetRow].values.get("severity").asString());
            const QString prediction = cell(results, r, MetricPage::PredictionColumn);
            const QString severity =
                prediction.section(QStringLiteral("severity: "), 1).section(QStringLiteral("  ·  "), 0, 0);
            QCOMPARE(cell(results, r, MetricPage::FeedbackColumn),
                     QStringLiteral("predicted %1, label %2").arg(severity, label));
            QCOMPARE(cell(results, r, MetricPage::ScoreColumn),
                     severity == label ? QStringLiteral("1.00") : QStringLiteral("0.00"));
        }
    }

    void endlessLoopTimesOutPerRowAndTheUiKeepsRunning()
    {
        setScript(QStringLiteral("function metric(example, pred) {\n  while (true) {}\n}\n"));
        m_page->selectRows({0, 1, 2});
        QElapsedTimer clock;
        clock.start();
        QSignalSpy finished(m_page.get(), &MetricPage::testFinished);
        m_page->testButton()->click();
        QVERIFY(m_page->isTesting());
        QVERIFY(!m_page->testButton()->isEnabled());
        QVERIFY(m_page->findChild<QPushButton *>(QStringLiteral("cancelTestButton"))->isEnabled());
        // While the scripts spin, the page still takes edits.
        QTest::qWait(200);
        QVERIFY(m_page->isTesting());
        m_page->findChild<QToolButton *>(QStringLiteral("builderModeButton"))->click();
        QCOMPARE(m_page->mode(), MetricPage::Mode::Builder);
        QVERIFY(finished.wait(30000));
        QVERIFY2(clock.elapsed() >= 1000, "the limit is 1000 ms per call");
        QTableWidget *results = m_page->resultsTable();
        QCOMPARE(results->rowCount(), 3);
        for (int r = 0; r < 3; ++r) {
            QCOMPARE(cell(results, r, MetricPage::FeedbackColumn), QStringLiteral("metric timed out after 1000 ms"));
            QCOMPARE(cell(results, r, MetricPage::ScoreColumn), QStringLiteral("—"));
        }
        QVERIFY2(m_page->testStatus().contains(QStringLiteral("3 errors")), qPrintable(m_page->testStatus()));
    }

    void syntaxErrorStopsTheTestBeforeAnyCall()
    {
        // The task model points at a closed port: had anything been sent, the
        // status would be a connection error instead of the script's.
        prism::Study study = m_doc->study();
        study.taskModel.provider = prism::Provider::OpenAi;
        study.taskModel.model = "gpt-test";
        study.taskModel.baseUrl = "http://127.0.0.1:" + std::to_string(closedPort()) + "/v1";
        m_doc->setStudy(study, QStringLiteral("Point the task model nowhere"));
        setScript(QStringLiteral("function metric(example, pred) {\n  return pred.severity ==== 1;\n}\n"));
        m_page->selectRows({0, 1});
        runTest();
        const QString status = m_page->testStatus();
        QVERIFY2(status.startsWith(QStringLiteral("Nothing ran: metric.js line 2: SyntaxError")), qPrintable(status));
        QTableWidget *results = m_page->resultsTable();
        QCOMPARE(results->rowCount(), 2);
        QCOMPARE(cell(results, 0, MetricPage::FeedbackColumn), QStringLiteral("not run"));
        QCOMPARE(cell(results, 0, MetricPage::PredictionColumn), QString());
        QVERIFY(m_page->scriptProblem().startsWith(QStringLiteral("metric.js line 2: SyntaxError")));
    }

    void unreachableModelIsOneLineForTheWholeTest()
    {
        prism::Study study = m_doc->study();
        study.taskModel.provider = prism::Provider::OpenAi;
        study.taskModel.model = "gpt-test";
        study.taskModel.baseUrl = "http://127.0.0.1:" + std::to_string(closedPort()) + "/v1";
        m_doc->setStudy(study, QStringLiteral("Point the task model nowhere"));
        m_page->selectRows({0});
        runTest();
        const QString status = m_page->testStatus();
        QVERIFY2(status.startsWith(QStringLiteral("Nothing ran: ")), qPrintable(status));
        QVERIFY2(status.contains(QStringLiteral("127.0.0.1")), qPrintable(status));
        QVERIFY(!status.contains(QLatin1Char('\n')));
    }

    void cancelStopsTheRun()
    {
        setScript(QStringLiteral("function metric(example, pred) {\n  while (true) {}\n}\n"));
        prism::Study study = m_doc->study();
        study.eval.threads = 1; // one row after the other: cancel leaves rows unrun
        m_doc->setStudy(study, QStringLiteral("One thread"));
        m_page->selectRows({0, 1, 2, 3, 4});
        QSignalSpy finished(m_page.get(), &MetricPage::testFinished);
        m_page->testButton()->click();
        QTest::qWait(300);
        m_page->findChild<QPushButton *>(QStringLiteral("cancelTestButton"))->click();
        QVERIFY(finished.wait(10000));
        QTableWidget *results = m_page->resultsTable();
        QCOMPARE(results->rowCount(), 5);
        QCOMPARE(cell(results, 4, MetricPage::FeedbackColumn), QStringLiteral("not run (cancelled)"));
    }
};

QTEST_MAIN(TestMetricPage)
#include "test_metricpage.moc"
