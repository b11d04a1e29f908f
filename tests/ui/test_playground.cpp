// Issue 14: "a playground: type or pick one input, run the current program
// (or two programs side by side) on the task model, see the trace, promote
// the input as a new example".
#include "pages/playgroundpage.h"
#include "studydocument.h"
#include "trace/traceview.h"
#include "widgets/errorbanner.h"

#include "run/example_trace.h"

#include <QComboBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>
#include <QUndoStack>

class TestPlayground final : public QObject {
    Q_OBJECT

private slots:
    void aRowRunsAndShowsItsTrace()
    {
        StudyDocument doc;
        QString error;
        QVERIFY2(doc.newFromSample(QStringLiteral("moderation"), &error), qPrintable(error));
        PlaygroundPage page(&doc);
        page.resize(1000, 560);
        page.show();

        // Fill from the first test row: the input and its expected labels.
        page.fillFromRow(Split::Test, 0);
        const prism::Example &row = doc.examples(Split::Test).front();
        const QString snippet = QString::fromStdString(row.values.find("snippet")->asString());
        QCOMPARE(page.fieldText(QStringLiteral("snippet")), snippet);

        QSignalSpy finished(&page, &PlaygroundPage::runFinished);
        QSignalSpy spent(&page, &PlaygroundPage::spent);
        QVERIFY2(page.runPrograms(&error), qPrintable(error));
        QVERIFY(finished.wait(60000));
        QVERIFY(finished.first().at(0).toBool());
        const auto &trace = page.traceView(0)->trace();
        QVERIFY(trace.has_value());
        QVERIFY2(trace->result.score.has_value(), trace->result.error ? trace->result.error->describe().c_str() : "");
        QVERIFY(trace->calls() >= 1);
        // The prompt sent carries the typed input.
        QVERIFY(!trace->stages.empty() && !trace->stages.front().calls.empty());
        QVERIFY(TraceView::messagesText(trace->stages.front().calls.front()).contains(snippet));
        QCOMPARE(spent.count(), 1);
        if (const QString shots = qEnvironmentVariable("PRISM_SCREENSHOT_DIR"); !shots.isEmpty())
            page.grab().save(shots + QStringLiteral("/16-playground.png"));

        // Without expected values it says so instead of scoring.
        for (const char *label : {"policy_violations", "severity"})
            page.setFieldText(QLatin1String(label), QString());
        page.programCombo(1)->setCurrentIndex(page.programCombo(1)->findData(QStringLiteral("study")));
        finished.clear();
        QVERIFY2(page.runPrograms(&error), qPrintable(error));
        QVERIFY(finished.wait(60000));
        QVERIFY(!page.traceView(0)->trace()->result.score.has_value());
        QVERIFY(page.traceView(1)->trace().has_value()); // B ran beside A
        QCOMPARE(page.traceView(1)->trace()->result.prediction.values,
                 page.traceView(0)->trace()->result.prediction.values);

        // An empty input is refused with its name.
        page.setFieldText(QStringLiteral("snippet"), QString());
        QVERIFY(!page.runPrograms(&error));
        QVERIFY2(error.contains(QStringLiteral("snippet")), qPrintable(error));
    }

    void anInputBecomesAnUndoableExample()
    {
        StudyDocument doc;
        QString error;
        QVERIFY2(doc.newFromSample(QStringLiteral("moderation"), &error), qPrintable(error));
        PlaygroundPage page(&doc);
        page.setFieldText(QStringLiteral("snippet"), QStringLiteral("You are all idiots and I will find you."));
        QSignalSpy finished(&page, &PlaygroundPage::runFinished);
        QVERIFY2(page.runPrograms(&error), qPrintable(error));
        QVERIFY(finished.wait(60000));

        const int before = doc.rowCount(Split::Train);
        QString message;
        // First the expected values are filled from A's answer, for the user to check.
        QVERIFY(!page.addAsExample(Split::Train, &message));
        QVERIFY2(message.contains(QStringLiteral("check")), qPrintable(message));
        QVERIFY(!page.fieldText(QStringLiteral("severity")).isEmpty());
        QCOMPARE(doc.rowCount(Split::Train), before);
        // Then the row is added, with the input and the expected values.
        QVERIFY2(page.addAsExample(Split::Train, &message), qPrintable(message));
        QCOMPARE(doc.rowCount(Split::Train), before + 1);
        const prism::Example &added = doc.examples(Split::Train).back();
        QCOMPARE(QString::fromStdString(added.values.find("snippet")->asString()),
                 QStringLiteral("You are all idiots and I will find you."));
        QVERIFY(added.values.contains("severity"));
        doc.undoStack()->undo();
        QCOMPARE(doc.rowCount(Split::Train), before);
    }
};

QTEST_MAIN(TestPlayground)
#include "test_playground.moc"
