// The trace viewer: a Try-it row of a ChainOfThought program opens its trace
// (reasoning, the messages sent, the raw completion, parsed fields against the
// labels), Try-it results go grey and say so when the metric changes, and the
// Monitor's per-example table opens the trace of a run's example, replayed
// from the run's journal.
#include "compare/comparisontablemodel.h"
#include "pages/comparepage.h"
#include "pages/metricpage.h"
#include "pages/monitorpage.h"
#include "studiostyle.h"
#include "studydocument.h"
#include "trace/tracedialog.h"
#include "trace/traceview.h"

#include "recordedrun.h"

#include "adapter/adapter.h"
#include "core/json.h"
#include "metric/builtin.h"
#include "run/example_trace.h"
#include "sim/simlm.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

namespace {

// Saves a PNG of the widget when PRISM_SCREENSHOT_DIR is set.
void saveShot(QWidget *w, const QString &name)
{
    const QString dir = qEnvironmentVariable("PRISM_SCREENSHOT_DIR");
    if (!dir.isEmpty())
        w->grab().save(QDir(dir).filePath(name));
}

bool waitFor(const std::function<bool()> &done, int timeoutMs = 60000)
{
    QElapsedTimer clock;
    clock.start();
    while (!done() && clock.elapsed() < timeoutMs)
        QTest::qWait(10);
    return done();
}

QString tableText(QTableWidget *table, int row, int column)
{
    QTableWidgetItem *item = table->item(row, column);
    return item ? item->text() : QString();
}

} // namespace

class TestTrace final : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<StudyDocument> m_doc;
    std::unique_ptr<MetricPage> m_page;

    void openPage(prism::PredictorKind kind)
    {
        m_doc = std::make_unique<StudyDocument>();
        QString error;
        QVERIFY2(m_doc->newFromSample(QStringLiteral("moderation"), &error), qPrintable(error));
        prism::Study study = m_doc->study();
        for (auto &p : study.program.predictors)
            p.kind = kind;
        m_doc->setStudy(study, QStringLiteral("kind"));
        m_page = std::make_unique<MetricPage>(m_doc.get());
        m_page->resize(1000, 620);
        m_page->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_page.get()));
    }

    void runTest(const std::vector<int> &rows)
    {
        m_page->selectRows(rows);
        QSignalSpy finished(m_page.get(), &MetricPage::testFinished);
        QVERIFY(m_page->testButton()->isEnabled());
        m_page->testButton()->click();
        QVERIFY2(waitFor([&] { return !finished.isEmpty(); }), "the test run did not finish");
        QCOMPARE(m_page->resultsTable()->rowCount(), static_cast<int>(rows.size()));
    }

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("PrismTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_trace"));
        applyStudioStyle(qApp);
    }

    void cleanup()
    {
        m_page.reset();
        m_doc.reset();
    }

    void chainOfThoughtRowShowsReasoningMessagesAndCompletion()
    {
        openPage(prism::PredictorKind::ChainOfThought);
        runTest({0, 1});

        // Double-click the first result row, as a user would.
        QTableWidget *results = m_page->resultsTable();
        const QRect cell = results->visualRect(results->model()->index(0, MetricPage::PredictionColumn));
        QTest::mouseClick(results->viewport(), Qt::LeftButton, {}, cell.center());
        QTest::mouseDClick(results->viewport(), Qt::LeftButton, {}, cell.center());
        TraceDialog *dialog = m_page->lastTraceDialog();
        QVERIFY(dialog);
        QVERIFY(dialog->isVisible());
        QVERIFY(!dialog->isModal());
        const auto &trace = dialog->view()->trace();
        QVERIFY(trace);
        QVERIFY2(!trace->result.error, trace->result.error ? trace->result.error->message.c_str() : "");

        // The row's score is the trace's.
        QCOMPARE(tableText(results, 0, MetricPage::ScoreColumn), QString::number(*trace->result.score, 'f', 2));

        QTabWidget *stages = dialog->view()->stageTabs();
        QCOMPARE(stages->count(), 1);
        QWidget *tab = stages->widget(0);
        auto *reasoning = tab->findChild<QPlainTextEdit *>(QStringLiteral("reasoningView"));
        QVERIFY(reasoning);
        QVERIFY(!reasoning->toPlainText().trimmed().isEmpty());
        QCOMPARE(reasoning->toPlainText(),
                 QString::fromStdString(trace->result.prediction.values.get("reasoning").toText()));

        auto *messages = tab->findChild<QPlainTextEdit *>(QStringLiteral("messagesView"));
        QVERIFY(messages);
        const QString sent = messages->toPlainText();
        QVERIFY(sent.contains(QStringLiteral("── system ──")));
        QVERIFY(sent.contains(QStringLiteral("── user ──")));
        const prism::Example &row0 = m_doc->examples(Split::Train)[0];
        QVERIFY(sent.contains(QString::fromStdString(row0.inputs().begin()->second.toText())));

        auto *completion = tab->findChild<QPlainTextEdit *>(QStringLiteral("completionView"));
        QVERIFY(completion);
        QCOMPARE(completion->toPlainText(), QString::fromStdString(trace->result.prediction.rawCompletion));
        QVERIFY(completion->toPlainText().contains(QStringLiteral("[[ ## reasoning ## ]]")));

        // Parsed fields against the row's labels, with the metric's verdict.
        auto *fields = tab->findChild<QTableWidget *>(QStringLiteral("fieldsTable"));
        QVERIFY(fields);
        QVERIFY(fields->rowCount() >= 1);
        const QString field = tableText(fields, 0, 0);
        QCOMPARE(tableText(fields, 0, 2), QString::fromStdString(row0.values.get(field.toStdString()).toText()));
        QVERIFY(!tableText(fields, 0, 3).isEmpty());

        // Copy as JSON gives the same trace.
        dialog->copyButton()->click();
        const QJsonObject json = QJsonDocument::fromJson(QApplication::clipboard()->text().toUtf8()).object();
        QCOMPARE(json.value(QStringLiteral("lm_calls")).toInt(), trace->calls());
        QCOMPARE(json.value(QStringLiteral("score")).toDouble(), *trace->result.score);

        QVERIFY(dialog->minimumSizeHint().width() <= 1024);
        QVERIFY(dialog->minimumSizeHint().height() <= 640);
        QVERIFY(dialog->width() <= 1024 && dialog->height() <= 640);
        QCoreApplication::processEvents();
        saveShot(dialog, QStringLiteral("trace-dialog.png"));
        dialog->close();
    }

    void pipelineTraceMarksTheFirstStageThatWentWrong()
    {
        m_doc = std::make_unique<StudyDocument>();
        QString error;
        QVERIFY2(m_doc->newFromSample(QStringLiteral("qa_pipeline"), &error), qPrintable(error));
        prism::Study study = m_doc->study();
        // The answer stage reads the quote, not the passage; then the same
        // program with a brief quote stage: where it passes, the long quote is
        // what went wrong, though only the answer has a label.
        auto &answerInputs = study.program.predictors[1].signature.inputs;
        answerInputs.erase(answerInputs.begin());                                        // passage
        std::rotate(answerInputs.begin(), answerInputs.begin() + 1, answerInputs.end()); // evidence first
        prism::Program brief = study.program;
        brief.predictors[0].signature.instruction += " Answer with only the few words that answer the question.";
        const auto adapter = prism::makeAdapter(study.eval.adapter);
        auto metric = prism::makeMetric(study.metric, study.program);
        QVERIFY(metric.ok());
        prism::SimLm sim(study.taskModel.model);
        prism::CallOptions call;
        call.role = "evaluation";
        const auto &rows = m_doc->examples(Split::Train);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            prism::ExampleTrace t =
                prism::traceExample(study.program, rows[i], i, sim, *adapter, **metric, call, &study.metric);
            const prism::ExampleTrace good =
                prism::traceExample(brief, rows[i], i, sim, *adapter, **metric, call, &study.metric);
            if (!t.result.score || *t.result.score >= 0.999 || !good.result.score || *good.result.score < 0.999)
                continue;
            prism::judgeAgainstPassing(t, good);
            TraceView view;
            view.resize(1000, 600);
            view.setTrace(t);
            view.show();
            QVERIFY(QTest::qWaitForWindowExposed(&view));
            QTabWidget *stages = view.stageTabs();
            QCOMPARE(stages->count(), 2);
            QCOMPARE(stages->tabText(0), QStringLiteral("✗ quote"));
            QCOMPARE(stages->tabText(1), QStringLiteral("answer"));
            QCOMPARE(stages->currentIndex(), 0);
            QVERIFY2(view.summaryLabel()->text().contains(QStringLiteral("First stage that went wrong: <b>quote</b>")),
                     qPrintable(view.summaryLabel()->text()));
            saveShot(&view, QStringLiteral("trace-pipeline.png"));
            return;
        }
        QFAIL("no row where the brief quote passes and the long one does not");
    }

    void scriptToBuilderMarksTryItResultsStale()
    {
        openPage(prism::PredictorKind::Predict);
        m_page->setMode(MetricPage::Mode::Script);
        QSignalSpy spent(m_page.get(), &MetricPage::spent);
        runTest({0, 1, 2});
        // The test's calls reach the session's spend: one evaluation call per row, made or from the cache.
        QCOMPARE(spent.count(), 1);
        const auto figures = spent.first().at(0).value<SpendByRole>().at("evaluation");
        QCOMPARE(figures.calls + figures.cacheHits, 3);
        QVERIFY(!m_page->resultsStale());
        QVERIFY(m_page->staleLabel()->isHidden());

        m_page->setMode(MetricPage::Mode::Builder);
        QVERIFY(m_page->resultsStale());
        QVERIFY(!m_page->staleLabel()->isHidden());
        QVERIFY(m_page->staleLabel()->text().contains(QStringLiteral("metric")));
        QCoreApplication::processEvents();
        saveShot(m_page.get(), QStringLiteral("metric-stale.png"));
        // Greyed, still there.
        QCOMPARE(m_page->resultsTable()->rowCount(), 3);
        const QColor grey = m_page->resultsTable()->palette().color(QPalette::Disabled, QPalette::Text);
        QCOMPARE(m_page->resultsTable()->item(0, MetricPage::ScoreColumn)->foreground().color(), grey);

        // Undo brings back the metric the results were made with.
        m_doc->undoStack()->undo();
        QCOMPARE(m_page->mode(), MetricPage::Mode::Script);
        QVERIFY(!m_page->resultsStale());
        QVERIFY(m_page->staleLabel()->isHidden());

        // The task model counts too.
        prism::Study study = m_doc->study();
        study.taskModel.model = "sim-large";
        m_doc->setStudy(study, QStringLiteral("model"));
        QVERIFY(m_page->staleLabel()->text().contains(QStringLiteral("task model")));
    }

    void monitorOpensTheTraceOfARunExample()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const recordedrun::Recording rec = recordedrun::record(dir.filePath(QStringLiteral("store")).toStdString());
        QVERIFY2(rec.error.empty(), rec.error.c_str());
        MonitorPage page;
        page.setStore(rec.store);
        page.resize(1000, 620);
        page.show();
        QString error;
        QVERIFY2(page.loadRun(QString::fromStdString(rec.runId), &error), qPrintable(error));
        page.trialsTable()->selectRow(0);
        QTableWidget *examples = page.exampleResultsTable();
        QVERIFY(examples->rowCount() > 0);
        examples->setCurrentCell(1, 0);
        QVERIFY(page.traceButton()->isEnabled());
        page.tabs()->setCurrentIndex(0);
        QCoreApplication::processEvents();
        saveShot(&page, QStringLiteral("monitor-trace-button.png"));

        page.traceButton()->click();
        const auto dialogs = page.findChildren<TraceDialog *>();
        QCOMPARE(dialogs.size(), 1);
        TraceDialog *dialog = dialogs.first();
        QVERIFY(waitFor([&] { return !dialog->isRunning(); }));
        const auto &trace = dialog->view()->trace();
        QVERIFY2(trace, qPrintable(dialog->view()->findChild<QLabel *>(QStringLiteral("traceError"))->text()));

        // The row's prediction is the trace's, and nothing was called to get it.
        const int index = examples->item(1, 0)->text().toInt();
        QCOMPARE(static_cast<int>(trace->index), index);
        const QString shown = examples->item(1, MonitorPage::ExamplePredictionColumn)->text();
        for (const auto &[name, value] : trace->result.prediction.values)
            if (value.isString())
                QVERIFY2(shown.contains(QString::fromStdString(name + ": " + value.asString())), qPrintable(shown));
        const std::string configKey = page.state().trials().front().configKey;
        bool found = false;
        const auto records = rec.store->exampleResults(rec.runId, configKey);
        QVERIFY(records);
        for (const auto &r : *records)
            if (r.exampleIndex == index) {
                const auto stored = prism::Json::parse(r.predictionJson);
                QVERIFY(trace->result.prediction.values == prism::fieldsFromJson(stored["values"]).value());
                QCOMPARE(trace->result.score, r.score);
                found = true;
            }
        QVERIFY(found);
        QCOMPARE(trace->cacheHits(), trace->calls());
        QVERIFY(dialog->view()->summaryLabel()->text().contains(QStringLiteral("all from cache")));
        QVERIFY(dialog->noteLabel()->text().contains(QStringLiteral("no new call")));
        QCoreApplication::processEvents();
        saveShot(dialog, QStringLiteral("trace-monitor.png"));
        QVERIFY(dialog->noteLabel()->text().contains(QStringLiteral("the one the run recorded")));
        auto *messages =
            dialog->view()->stageTabs()->widget(0)->findChild<QPlainTextEdit *>(QStringLiteral("messagesView"));
        QVERIFY(messages->toPlainText().contains(QString::fromStdString(trace->inputs.begin()->second.toText())));
        dialog->close();
    }

    void compareRowTraceRunsAgainFromTheCache()
    {
        StudyDocument doc;
        QString error;
        QVERIFY2(doc.newFromSample(QStringLiteral("moderation"), &error), qPrintable(error));
        ComparePage page(&doc);
        page.resize(1000, 620);
        page.show();
        QSignalSpy finished(&page, &ComparePage::comparisonFinished);
        QVERIFY2(page.compareFiles(QString(), QString(), &error), qPrintable(error));
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.first().at(0).toBool(), true);

        ComparisonTableModel *model = page.examplesModel();
        QVERIFY(model->rowCount() > 2);
        QSignalSpy spent(&page, &ComparePage::spent);
        spent.clear(); // the comparison's own report
        TraceDialog *dialog = page.openTrace(2, 1);
        QVERIFY(dialog);
        QVERIFY(waitFor([&] { return !dialog->isRunning(); }));
        // The trace's calls reach the session spend too (here: one cache hit per call).
        QVERIFY(waitFor([&] { return spent.count() == 1; }));
        const auto traced = spent.first().at(0).value<SpendByRole>();
        QVERIFY(traced.count("evaluation"));
        QCOMPARE(traced.at("evaluation").calls + traced.at("evaluation").cacheHits, 1LL);
        const auto &trace = dialog->view()->trace();
        QVERIFY(trace);
        QCOMPARE(static_cast<int>(trace->index), model->exampleIndex(2));
        // The same answer as the comparison's, and free: every call came from the response cache.
        const QVariant shownScore = model->data(model->index(2, ComparisonTableModel::ScoreBColumn));
        QCOMPARE(shownScore.toString(), QString::number(*trace->result.score, 'f', 2));
        QCOMPARE(trace->cacheHits(), trace->calls());
        QVERIFY(dialog->view()->summaryLabel()->text().contains(QStringLiteral("all from cache")));
        dialog->close();
    }
};

QTEST_MAIN(TestTrace)
#include "test_trace.moc"
