// The Compare page: a real run's program against the study's on the math
// test split, evaluated off the UI thread; both scores, the paired interval
// (it excludes 0 on math), flips coloured, "changed only", the prompt diff,
// and the loader's error for a program of another signature. Also the
// word-level diff under the prompt diff.
#include "compare/comparisontablemodel.h"
#include "compare/worddiff.h"
#include "pages/comparepage.h"
#include "pages/historypage.h"
#include "runfixture.h"
#include "studiostyle.h"
#include "studydocument.h"
#include "widgets/errorbanner.h"

#include "artifact/artifact.h"
#include "core/json.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>

namespace {

// Where people look at the pages: $PRISM_SCREENSHOT_DIR, else /tmp/compare-shots.
QString shotsDir()
{
    const QString dir = qEnvironmentVariable("PRISM_SCREENSHOT_DIR", QStringLiteral("/tmp/compare-shots"));
    QDir().mkpath(dir);
    return dir;
}

} // namespace

class TestComparePage final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::shared_ptr<prism::RunStore> m_store;
    QString m_runId;

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("PrismTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_comparepage"));
        applyStudioStyle(qApp);
        QVERIFY(m_dir.isValid());
        auto store = prism::RunStore::open(m_dir.filePath(QStringLiteral("runs.sqlite")).toStdString());
        QVERIFY2(store, store ? "" : store.error().message.c_str());
        m_store = store.value();
        QString error;
        m_runId = QString::fromStdString(uitest::runTinyOptimization(m_store, "miprov2", &error));
        QVERIFY2(!m_runId.isEmpty(), qPrintable(error));
    }

    void wordDiffMarksChangedWords()
    {
        const auto segments = diffWords(QStringLiteral("Please solve the word problem."),
                                        QStringLiteral("Solve the arithmetic word problem. Think step by step."));
        QString before;
        QString after;
        for (const DiffSegment &s : segments) {
            if (s.kind != DiffSegment::Kind::Added)
                before += s.text;
            if (s.kind != DiffSegment::Kind::Removed)
                after += s.text;
        }
        QCOMPARE(after, QStringLiteral("Solve the arithmetic word problem. Think step by step."));
        QCOMPARE(before.simplified(), QStringLiteral("Please solve the word problem."));
        QStringList added;
        QStringList removed;
        for (const DiffSegment &s : segments) {
            if (s.kind == DiffSegment::Kind::Added)
                added << s.text.trimmed();
            if (s.kind == DiffSegment::Kind::Removed)
                removed << s.text.trimmed();
        }
        QCOMPARE(added, QStringList({QStringLiteral("Solve"), QStringLiteral("arithmetic"),
                                     QStringLiteral("Think step by step.")}));
        QCOMPARE(removed, QStringList({QStringLiteral("Please solve")}));
        QCOMPARE(diffWords(QStringLiteral("same text"), QStringLiteral("same text")),
                 QList<DiffSegment>({DiffSegment{DiffSegment::Kind::Same, QStringLiteral("same text")}}));
        const QString html =
            diffSideHtml(diffWords(QStringLiteral("a <b>"), QStringLiteral("a <c>")), DiffSegment::Kind::Added);
        QVERIFY(html.contains(QStringLiteral("a &lt;<span style=\"background:#d3efd6;color:#1b5e20\">c</span>&gt;")));
        QVERIFY(!html.contains(QStringLiteral(">b<")));
        // One text for a change (the Monitor's GEPA iterations): the removed
        // word, escaped and struck, before the added one.
        const QString unified = diffUnifiedHtml(diffWords(QStringLiteral("a <b>"), QStringLiteral("a <c>")));
        const auto removedAt = unified.indexOf(QStringLiteral("line-through\">b</span>"));
        QVERIFY2(removedAt > 0, qPrintable(unified));
        const auto openAt = unified.indexOf(QStringLiteral("&lt;"));
        QVERIFY(openAt >= 0 && openAt < removedAt);
        QVERIFY(unified.indexOf(QStringLiteral("1b5e20\">c</span>")) > removedAt);
    }

    // A GEPA edit that only changes a mark after a word marks the mark and
    // what was added, not the word ("briefly." -> "briefly,").
    void wordDiffSeparatesPunctuationFromWords()
    {
        const auto segments = diffWords(QStringLiteral("Answer briefly. Don't guess."),
                                        QStringLiteral("Answer briefly, citing the passage. Don't guess!"));
        QStringList added;
        QStringList removed;
        QString after;
        for (const DiffSegment &s : segments) {
            if (s.kind == DiffSegment::Kind::Added)
                added << s.text.trimmed();
            if (s.kind == DiffSegment::Kind::Removed)
                removed << s.text.trimmed();
            if (s.kind != DiffSegment::Kind::Removed)
                after += s.text;
        }
        QCOMPARE(after, QStringLiteral("Answer briefly, citing the passage. Don't guess!"));
        QCOMPARE(added, QStringList({QStringLiteral(", citing the passage"), QStringLiteral("!")}));
        QCOMPARE(removed, QStringList({QStringLiteral(".")}));
        // An emoji is one token, and an accent written apart stays with its word.
        const auto changed = [](const QString &before, const QString &after, DiffSegment::Kind kind) {
            QStringList out;
            for (const DiffSegment &s : diffWords(before, after))
                if (s.kind == kind)
                    out << s.text.trimmed();
            return out;
        };
        const QString up = QString::fromUtf8("Good \xF0\x9F\x91\x8D"),
                      down = QString::fromUtf8("Good \xF0\x9F\x91\x8E");
        QCOMPARE(changed(up, down, DiffSegment::Kind::Removed), QStringList({QString::fromUtf8("\xF0\x9F\x91\x8D")}));
        QCOMPARE(changed(up, down, DiffSegment::Kind::Added), QStringList({QString::fromUtf8("\xF0\x9F\x91\x8E")}));
        const QString cafe = QStringLiteral("cafe") + QChar(0x0301);
        QCOMPARE(changed(cafe + QStringLiteral(" open"), cafe + QStringLiteral(" closed"), DiffSegment::Kind::Removed),
                 QStringList({QStringLiteral("open")}));
        QCOMPARE(changed(cafe + QStringLiteral(" open"), QStringLiteral("cafe open"), DiffSegment::Kind::Added),
                 QStringList({QStringLiteral("cafe")}));
    }

    // Issue 14: Compare offered and pre-selected a run of another study (with
    // a different signature), then failed; and B read "Baseline" while it was a run.
    void onlyRunsThatFitTheStudyAreOffered()
    {
        StudyDocument doc;
        QString error;
        QVERIFY2(doc.newFromSample(QStringLiteral("moderation"), &error), qPrintable(error));
        ComparePage page(&doc);
        page.setStore(m_store); // its runs are of the math sample
        for (int side : {0, 1}) {
            QComboBox *combo = page.sideCombo(side);
            QCOMPARE(combo->currentData().toString(), QStringLiteral("baseline"));
            const int math = combo->findData(QStringLiteral("run:") + m_runId);
            QVERIFY(math > 0);
            auto *model = qobject_cast<QStandardItemModel *>(combo->model());
            QVERIFY(model && !model->item(math)->isEnabled());
            QVERIFY2(combo->itemData(math, Qt::ToolTipRole).toString().contains(QStringLiteral("does not fit")),
                     qPrintable(combo->itemData(math, Qt::ToolTipRole).toString()));
        }

        // In the math study the run is offered, pre-selected as B, and the
        // placeholder names it.
        StudyDocument mathDoc;
        QVERIFY2(mathDoc.newFromSample(QStringLiteral("math"), &error), qPrintable(error));
        ComparePage mathPage(&mathDoc);
        mathPage.setStore(m_store);
        QCOMPARE(mathPage.sideCombo(1)->currentData().toString(), QStringLiteral("run:") + m_runId);
        QVERIFY2(mathPage.sideCombo(1)->currentText().contains(QStringLiteral("on val")),
                 qPrintable(mathPage.sideCombo(1)->currentText()));
        QVERIFY2(mathPage.scoreLabel(1)->text().contains(m_runId), qPrintable(mathPage.scoreLabel(1)->text()));
        QVERIFY(!mathPage.scoreLabel(1)->text().contains(QStringLiteral("Baseline")));
    }

    void runAgainstBaselineOnMath()
    {
        StudyDocument doc;
        QString error;
        QVERIFY2(doc.newFromSample(QStringLiteral("math"), &error), qPrintable(error));
        ComparePage page(&doc);
        page.resize(1400, 900);
        page.setStore(m_store);
        QCOMPARE(page.split(), Split::Test);

        QSignalSpy finished(&page, &ComparePage::comparisonFinished);
        page.compareRunWithBaseline(m_runId);
        // The call returns at once; the evaluation runs on another thread.
        QVERIFY(page.isBusy());
        QVERIFY(!page.compareButton()->isEnabled());
        QVERIFY(page.cancelButton()->isEnabled());
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.first().at(0).toBool(), true);
        QVERIFY(!page.isBusy());
        QVERIFY(page.compareButton()->isEnabled());

        QVERIFY(page.summary().has_value());
        const CompareSummary &s = *page.summary();
        QCOMPARE(s.split, QStringLiteral("test"));
        QCOMPARE(s.paired, doc.rowCount(Split::Test));
        QVERIFY(page.scoreLabel(0)->text().contains(QStringLiteral("%1%").arg(s.scoreA, 0, 'f', 2)));
        QVERIFY(page.scoreLabel(1)->text().contains(QStringLiteral("%1%").arg(s.scoreB, 0, 'f', 2)));
        QVERIFY(page.scoreLabel(1)->text().contains(m_runId));
        // On math the optimized program is better beyond the noise.
        QVERIFY2(s.ciLow > 0.0, qPrintable(QStringLiteral("interval [%1, %2]").arg(s.ciLow).arg(s.ciHigh)));
        QVERIFY(page.verdictLabel()->text().contains(QStringLiteral("excludes 0")));
        QVERIFY(page.differenceLabel()->text().contains(QStringLiteral("95% paired bootstrap interval")));

        // One row per example; flips coloured green (improved) or red (regressed).
        ComparisonTableModel *model = page.examplesModel();
        QCOMPARE(model->rowCount(), doc.rowCount(Split::Test));
        int improved = 0;
        int regressed = 0;
        int unchanged = 0;
        for (int r = 0; r < model->rowCount(); ++r) {
            const QColor background = model->index(r, 0).data(Qt::BackgroundRole).value<QColor>();
            switch (model->change(r)) {
            case ComparisonTableModel::Change::Improved:
                ++improved;
                QVERIFY(background.green() > background.red());
                break;
            case ComparisonTableModel::Change::Regressed:
                ++regressed;
                QVERIFY(background.red() > background.green());
                break;
            case ComparisonTableModel::Change::Same:
                ++unchanged;
                QVERIFY(!model->index(r, 0).data(Qt::BackgroundRole).isValid());
                break;
            default: break;
            }
        }
        QCOMPARE(improved, s.improved);
        QCOMPARE(regressed, s.regressed);
        QVERIFY(improved > 0);

        // Each side's feedback says what the metric found: on a flip, the
        // wrong side's expected and got numbers, the right side "correct".
        for (int r = 0; r < model->rowCount(); ++r) {
            const auto feedback = [&](int column) { return model->index(r, column).data().toString(); };
            const QString a = feedback(ComparisonTableModel::FeedbackAColumn);
            const QString b = feedback(ComparisonTableModel::FeedbackBColumn);
            QCOMPARE(model->index(r, ComparisonTableModel::FeedbackBColumn).data(Qt::ToolTipRole).toString(), b);
            if (model->change(r) == ComparisonTableModel::Change::Improved) {
                QVERIFY2(a.startsWith(QStringLiteral("answer: expected ")) && a.contains(QStringLiteral(", got ")),
                         qPrintable(a));
                QCOMPARE(b, QStringLiteral("answer: correct."));
            } else if (model->change(r) == ComparisonTableModel::Change::Regressed) {
                QCOMPARE(a, QStringLiteral("answer: correct."));
                QVERIFY2(b.startsWith(QStringLiteral("answer: expected ")), qPrintable(b));
            }
        }
        QCOMPARE(model->headerData(ComparisonTableModel::FeedbackAColumn, Qt::Horizontal).toString(),
                 QStringLiteral("Feedback A"));

        // "Changed only" hides the unchanged rows, and only those. On math
        // the optimized program fixes every example the baseline missed.
        QCOMPARE(page.examplesTable()->model()->rowCount(), model->rowCount());
        page.changedOnlyCheck()->click();
        QCOMPARE(page.examplesTable()->model()->rowCount(), model->rowCount() - unchanged);
        for (int r = 0; r < page.examplesTable()->model()->rowCount(); ++r)
            QVERIFY(page.examplesTable()->model()->index(r, 0).data(ComparisonTableModel::ChangeRole).toInt()
                    != static_cast<int>(ComparisonTableModel::Change::Same));

        // The prompt diff shows both instructions and the run's demos.
        auto runProgram =
            prism::loadDspyProgram(m_store->artifact(m_runId.toStdString()).value(), "artifact", doc.study().program);
        QVERIFY(runProgram);
        const QString diff = page.promptDiff()->toPlainText();
        QVERIFY(diff.contains(QStringLiteral("Solve the word problem.")));
        QVERIFY(diff.contains(QStringLiteral("A · Baseline (the study's program)")));
        QVERIFY(diff.contains(QStringLiteral("B · Run %1").arg(m_runId)));
        const QString firstWords = QString::fromStdString(runProgram->program.predictors[0].signature.instruction)
                                       .section(QLatin1Char(' '), 0, 2);
        QVERIFY2(diff.contains(firstWords), qPrintable(firstWords));
        if (!runProgram->program.predictors[0].demos.empty())
            QVERIFY(diff.contains(QStringLiteral("demo")));

        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QVERIFY(page.grab().save(QDir(shotsDir()).filePath(QStringLiteral("compare-examples.png"))));
        page.resize(1024, 640);
        QVERIFY(page.grab().save(QDir(shotsDir()).filePath(QStringLiteral("compare-examples-1024x640.png"))));
        page.findChild<QTabWidget *>(QStringLiteral("compareTabs"))->setCurrentIndex(1);
        QVERIFY(page.grab().save(QDir(shotsDir()).filePath(QStringLiteral("compare-promptdiff.png"))));
    }

    void aRunAgainstItselfChangesNothing()
    {
        StudyDocument doc;
        QString error;
        QVERIFY2(doc.newFromSample(QStringLiteral("math"), &error), qPrintable(error));
        ComparePage page(&doc);
        page.setStore(m_store);
        page.setSplit(Split::Val);
        QSignalSpy finished(&page, &ComparePage::comparisonFinished);
        page.compareRuns(m_runId, m_runId);
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.first().at(0).toBool(), true);
        const CompareSummary &s = *page.summary();
        QCOMPARE(s.split, QStringLiteral("val"));
        QCOMPARE(s.paired, doc.rowCount(Split::Val));
        QCOMPARE(s.difference, 0.0);
        QCOMPARE(s.improved + s.regressed + s.partialChanges, 0);
        QVERIFY(page.verdictLabel()->text().contains(QStringLiteral("No difference")));
        // Every row is unchanged: "changed only" hides them all, and unchecking brings them back.
        QCOMPARE(page.examplesTable()->model()->rowCount(), doc.rowCount(Split::Val));
        page.changedOnlyCheck()->click();
        QCOMPARE(page.examplesTable()->model()->rowCount(), 0);
        page.changedOnlyCheck()->click();
        QCOMPARE(page.examplesTable()->model()->rowCount(), doc.rowCount(Split::Val));
        QVERIFY(page.promptDiff()->toPlainText().contains(QStringLiteral("the same on both sides")));
    }

    void anArtifactOfAnotherSignatureShowsTheLoadersError()
    {
        StudyDocument doc;
        QString error;
        QVERIFY2(doc.newFromSample(QStringLiteral("math"), &error), qPrintable(error));
        auto moderation = prism::loadStudy(std::string(PRISM_SAMPLES_DIR) + "/moderation/moderation.prism.json");
        QVERIFY(moderation);
        const QString path = m_dir.filePath(QStringLiteral("moderation-program.json"));
        QVERIFY(prism::saveDspyProgramFile(path.toStdString(), moderation->program, std::nullopt));
        const auto expected = prism::loadDspyProgramFile(path.toStdString(), doc.study().program);
        QVERIFY(!expected);

        ComparePage page(&doc);
        page.resize(1400, 900);
        QSignalSpy finished(&page, &ComparePage::comparisonFinished);
        QString message;
        QVERIFY(!page.compareFiles(QString(), path, &message));
        QVERIFY(!page.isBusy());
        QVERIFY2(message.contains(QString::fromStdString(expected.error().message)), qPrintable(message));
        QVERIFY(message.contains(QStringLiteral("Program B")));
        QVERIFY(page.banner()->isVisibleTo(&page));
        QCOMPARE(page.banner()->message(), message);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.first().at(0).toBool(), false);
        QVERIFY(!page.summary().has_value());
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QVERIFY(page.grab().save(QDir(shotsDir()).filePath(QStringLiteral("compare-error.png"))));
    }

    void historyShowsTheRealRun()
    {
        // A picture of the History page with the run above, for people to look at.
        HistoryPage page;
        page.resize(1400, 900);
        page.setStore(m_store);
        QCOMPARE(page.runIds(), QStringList{m_runId});
        page.selectRuns({m_runId});
        QVERIFY(page.details()->toPlainText().contains(QStringLiteral("Model calls by role")));
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QVERIFY(page.grab().save(QDir(shotsDir()).filePath(QStringLiteral("history.png"))));
    }
};

QTEST_MAIN(TestComparePage)
#include "test_comparepage.moc"
