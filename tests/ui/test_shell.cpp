// The studio shell: opening the sample, the side bar, the status bar, undo
// and redo, save / reopen, recent files, window state and the unsaved-changes prompt.
#include "mainwindow.h"
#include "pages/signaturepage.h"
#include "pagesregistry.h"
#include "studydocument.h"
#include "uitest.h"
#include "widgets/helpdialog.h"

#include "data/dataset.h"

#include <QAction>
#include <QFile>
#include <QFileInfo>
#include <QKeySequence>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QUndoStack>

namespace {

int countLines(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    int n = 0;
    while (!file.atEnd())
        if (!file.readLine().trimmed().isEmpty())
            ++n;
    return n;
}

QString sampleFile(const QString &name)
{
    return QStringLiteral(PRISM_SAMPLES_DIR "/") + name;
}

QAction *findAction(QWidget *window, const QString &objectName)
{
    return window->findChild<QAction *>(objectName);
}

} // namespace

class TestShell final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("PrismTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_shell"));
        QSettings().clear();
    }

    void opensModerationSample()
    {
        MainWindow window;
        registerPages(&window);
        QVERIFY(window.openSample(QStringLiteral("moderation")));
        const StudyDocument *doc = window.document();
        QCOMPARE(doc->study().name, std::string("Content moderation (seed tutorial)"));
        // Row counts read independently from the sample's files.
        QCOMPARE(doc->rowCount(Split::Train), countLines(sampleFile(QStringLiteral("moderation/train.jsonl"))));
        QCOMPARE(doc->rowCount(Split::Test), countLines(sampleFile(QStringLiteral("moderation/test.jsonl"))));
        QCOMPARE(doc->rowCount(Split::Val), 0);
        QVERIFY(doc->isUntitled());
        QVERIFY(!doc->isModified());
        QVERIFY(window.windowTitle().contains(QStringLiteral("Content moderation (seed tutorial)")));
    }

    void sideBarListsTheExistingPages()
    {
        MainWindow window;
        registerPages(&window);
        const QStringList titles = window.pageTitles();
        QVERIFY(titles.size() >= 2);
        QCOMPARE(titles.at(0), QStringLiteral("Dataset"));
        QCOMPARE(titles.at(1), QStringLiteral("Program"));
        // Only real pages, in the studio's order, no duplicates, each one a real widget.
        const QStringList order = {QStringLiteral("Dataset"), QStringLiteral("Program"), QStringLiteral("Metric"),
                                   QStringLiteral("Models"),  QStringLiteral("Run"),       QStringLiteral("Monitor"),
                                   QStringLiteral("Compare"), QStringLiteral("Grid"),      QStringLiteral("Playground"),
                                   QStringLiteral("History"), QStringLiteral("Export")};
        int last = -1;
        for (const QString &title : titles) {
            const int at = static_cast<int>(order.indexOf(title));
            QVERIFY2(at > last, qPrintable(title));
            last = at;
            QVERIFY(window.page(title) != nullptr);
        }
        auto *sideBar = window.findChild<QListWidget *>(QStringLiteral("sideBar"));
        QVERIFY(sideBar);
        QCOMPARE(sideBar->count(), titles.size());

        // A page registered later shows up at the end and can be selected.
        auto *extra = new QWidget;
        window.addPage(QStringLiteral("Extra"), extra, QIcon());
        QCOMPARE(window.pageTitles().last(), QStringLiteral("Extra"));
        QVERIFY(window.showPage(QStringLiteral("Extra")));
        QCOMPARE(window.currentPage(), extra);
        QCOMPARE(sideBar->currentItem()->text(), QStringLiteral("Extra"));
        QVERIFY(window.showPage(QStringLiteral("Dataset")));
        QCOMPARE(window.currentPage(), window.page(QStringLiteral("Dataset")));
        QVERIFY(!window.showPage(QStringLiteral("Nope")));
    }

    void statusBarShowsModelsAndSpend()
    {
        MainWindow window;
        QVERIFY(window.openSample(QStringLiteral("moderation")));
        auto *models = window.findChild<QLabel *>(QStringLiteral("modelsLabel"));
        auto *spend = window.findChild<QLabel *>(QStringLiteral("spendLabel"));
        QVERIFY(models && spend);
        QCOMPARE(models->text(), QStringLiteral("Task: sim-small (Simulator) \u00b7 Proposer: sim-small (Simulator)"));
        QCOMPARE(spend->text(), QStringLiteral("Session $0.00"));
        window.setSpendText(QStringLiteral("Run $0.0042 \u00b7 12 calls"), QStringLiteral("by role"));
        QCOMPARE(spend->text(), QStringLiteral("Run $0.0042 \u00b7 12 calls"));
        QCOMPARE(spend->toolTip(), QStringLiteral("by role"));

        // A model change (an undoable study edit) shows at once.
        prism::Study study = window.document()->study();
        study.taskModel.provider = prism::Provider::OpenAi;
        study.taskModel.model = "gpt-4o-mini";
        window.document()->setStudy(study, QStringLiteral("Change model"));
        QCOMPARE(models->text(),
                 QStringLiteral("Task: gpt-4o-mini (OpenAI-compatible) \u00b7 Proposer: sim-small (Simulator)"));
    }

    void undoRedoOfAnInstructionEdit()
    {
        MainWindow window;
        registerPages(&window);
        QVERIFY(window.openSample(QStringLiteral("moderation")));
        window.show();
        QVERIFY(window.showPage(QStringLiteral("Program")));
        auto *page = qobject_cast<SignaturePage *>(window.page(QStringLiteral("Program")));
        QVERIFY(page);
        StudyDocument *doc = window.document();
        const std::string original = doc->study().program.predictors[0].signature.instruction;

        QPlainTextEdit *editor = page->instructionEditor();
        editor->moveCursor(QTextCursor::End);
        QTest::keyClicks(editor, QStringLiteral(" Be brief."));
        QCOMPARE(doc->study().program.predictors[0].signature.instruction, original + " Be brief.");
        QVERIFY(doc->isModified());
        QVERIFY(window.isWindowModified());
        // One burst of typing is one undo step.
        QCOMPARE(doc->undoStack()->count(), 1);

        QAction *undo = findAction(&window, QStringLiteral("undoAction"));
        QAction *redo = findAction(&window, QStringLiteral("redoAction"));
        QVERIFY(undo && redo);
        QVERIFY(undo->isEnabled());
        QCOMPARE(undo->shortcut(), QKeySequence(QKeySequence::Undo));
        undo->trigger();
        QCOMPARE(doc->study().program.predictors[0].signature.instruction, original);
        QCOMPARE(editor->toPlainText(), QString::fromStdString(original));
        QVERIFY(!doc->isModified());
        QVERIFY(!window.isWindowModified());
        redo->trigger();
        QCOMPARE(doc->study().program.predictors[0].signature.instruction, original + " Be brief.");
        QCOMPARE(editor->toPlainText(), QString::fromStdString(original + " Be brief."));

        // Ctrl+Z inside the editor goes to the same history.
        editor->setFocus();
        QTest::keyClick(editor, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(doc->study().program.predictors[0].signature.instruction, original);
    }

    void saveAndReopenGivesTheSameStudy()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QByteArray sampleTrain = [] {
            QFile f(sampleFile(QStringLiteral("moderation/train.jsonl")));
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        }();

        MainWindow window;
        QVERIFY(window.openSample(QStringLiteral("moderation")));
        StudyDocument *doc = window.document();
        prism::Study study = doc->study();
        study.program.predictors[0].signature.instruction = "Rate the severity, then list the violations.";
        study.optimizer.seed = 42;
        doc->setStudy(study, QStringLiteral("Edit"));
        prism::Example row = doc->examples(Split::Train)[3];
        row.values.set("severity", prism::Value("high"));
        doc->setRow(Split::Train, 3, row, QStringLiteral("Edit row"));
        doc->removeRows(Split::Test, 0, 2);

        const QString path = dir.filePath(QStringLiteral("mine.prism.json"));
        QString error;
        QVERIFY2(doc->save(path, &error), qPrintable(error));
        QVERIFY(!doc->isModified());
        QCOMPARE(doc->path(), path);
        QVERIFY(window.windowTitle().contains(QStringLiteral("mine.prism.json")));
        // The copy keeps its rows beside it; the sample itself is untouched.
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("mine.train.jsonl"))));
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("mine.test.jsonl"))));
        QFile sample(sampleFile(QStringLiteral("moderation/train.jsonl")));
        QVERIFY(sample.open(QIODevice::ReadOnly));
        QCOMPARE(sample.readAll(), sampleTrain);

        StudyDocument reopened;
        QVERIFY2(reopened.open(path, &error), qPrintable(error));
        prism::Study a = doc->study();
        prism::Study b = reopened.study();
        QVERIFY(a == b);
        for (Split split : allSplits)
            QVERIFY2(reopened.examples(split) == doc->examples(split), qPrintable(splitKey(split)));
        QCOMPARE(reopened.examples(Split::Train)[3].values.get("severity"), prism::Value("high"));
        QCOMPARE(reopened.rowCount(Split::Test), countLines(sampleFile(QStringLiteral("moderation/test.jsonl"))) - 2);

        // Saving again in place with one more edit rewrites only what changed, and still round-trips.
        prism::Example again = doc->examples(Split::Train)[0];
        again.values.set("policy_violations", prism::Value(prism::Value::List{prism::Value("spam")}));
        doc->setRow(Split::Train, 0, again, QStringLiteral("Edit row"));
        QVERIFY2(doc->save(path, &error), qPrintable(error));
        StudyDocument third;
        QVERIFY2(third.open(path, &error), qPrintable(error));
        QVERIFY(third.examples(Split::Train) == doc->examples(Split::Train));
        QVERIFY(third.study() == doc->study());
    }

    void carvedSplitsAreWrittenOutWhenRowsChange()
    {
        // A study whose val/test are carved out of train by fractions.
        QTemporaryDir dir;
        QVERIFY(QFile::copy(sampleFile(QStringLiteral("moderation/train.jsonl")),
                            dir.filePath(QStringLiteral("all.jsonl"))));
        StudyDocument seed;
        QString error;
        QVERIFY(seed.newFromSample(QStringLiteral("moderation"), &error));
        prism::Study study = seed.study();
        study.data = {};
        study.data.train = prism::DatasetSource{"all.jsonl", "", {}, ";"};
        study.data.valFraction = 0.2;
        study.data.testFraction = 0.2;
        study.data.splitSeed = 3;
        study.baseDir.clear();
        const QString path = dir.filePath(QStringLiteral("carved.prism.json"));
        QVERIFY(prism::saveStudy(study, path.toStdString()).ok());

        StudyDocument doc;
        QVERIFY2(doc.open(path, &error), qPrintable(error));
        QCOMPARE(doc.rowCount(Split::Train) + doc.rowCount(Split::Val) + doc.rowCount(Split::Test), 30);
        QCOMPARE(doc.rowCount(Split::Val), 6);
        doc.removeRows(Split::Val, 0, 1);
        QVERIFY2(doc.save(path, &error), qPrintable(error));
        StudyDocument reopened;
        QVERIFY2(reopened.open(path, &error), qPrintable(error));
        for (Split split : allSplits)
            QVERIFY2(reopened.examples(split) == doc.examples(split), qPrintable(splitKey(split)));
        QCOMPARE(reopened.rowCount(Split::Val), 5);
    }

    void openRecentKeepsTheLastEight()
    {
        QSettings().remove(QStringLiteral("recentFiles"));
        QTemporaryDir dir;
        StudyDocument doc;
        QString error;
        QVERIFY(doc.newFromSample(QStringLiteral("moderation"), &error));
        QStringList paths;
        for (int i = 0; i < 10; ++i) {
            const QString path = dir.filePath(QStringLiteral("s%1.prism.json").arg(i));
            QVERIFY2(doc.save(path, &error), qPrintable(error));
            paths << path;
        }
        MainWindow window;
        for (const QString &path : paths)
            QVERIFY(window.openStudy(path));
        const QStringList recent = MainWindow::recentFiles();
        QCOMPARE(recent.size(), MainWindow::maxRecentFiles);
        QCOMPARE(recent.front(), paths.back());
        QCOMPARE(recent.back(), paths.at(2));
        // Reopening moves a study to the top without duplicates.
        QVERIFY(window.openStudy(paths.at(5)));
        QCOMPARE(MainWindow::recentFiles().front(), paths.at(5));
        QCOMPARE(MainWindow::recentFiles().count(paths.at(5)), 1);
        // Each entry reads "name  —  folder" (issue 14: a QLatin1String showed the dash as "â€”").
        QMenu *recentMenu = nullptr;
        for (QMenu *menu : window.findChildren<QMenu *>())
            if (menu->title().contains(QStringLiteral("Recent")))
                recentMenu = menu;
        QVERIFY(recentMenu);
        emit recentMenu->aboutToShow(); // as opening the menu does
        const QString entry = recentMenu->actions().value(0)->text();
        QVERIFY2(entry.startsWith(QFileInfo(paths.at(5)).fileName() + QStringLiteral("  ") + QChar(0x2014)),
                 qPrintable(entry));
        QVERIFY2(!entry.contains(QChar(0x00e2)), qPrintable(entry));

        // With no argument the studio reopens the last study.
        MainWindow next;
        QVERIFY(next.openLastOrSample());
        QCOMPARE(next.document()->path(), paths.at(5));
    }

    // Issue 14: Help had only About. Its pages are in the app; the shortcut
    // list is read from the window's actions, page jumps included.
    void helpExplainsTheStudioAndItsShortcuts()
    {
        MainWindow window;
        QVERIFY(window.openSample(QStringLiteral("moderation")));
        registerPages(&window);
        auto *gettingStarted = window.findChild<QAction *>(QStringLiteral("helpGettingStarted"));
        auto *sims = window.findChild<QAction *>(QStringLiteral("helpSimulatedModels"));
        auto *keys = window.findChild<QAction *>(QStringLiteral("helpShortcuts"));
        QVERIFY(gettingStarted && sims && keys);

        int besideTheWindow = 0; // shown, not modal: it can stay open beside the page
        auto textOf = [&window, &besideTheWindow](QAction *action) {
            action->trigger();
            auto *dialog = window.findChild<HelpDialog *>();
            if (!dialog)
                return QString();
            const QString text = dialog->browser()->toPlainText();
            besideTheWindow += dialog->isVisible() && !dialog->isModal() ? 1 : 0;
            delete dialog;
            return text;
        };
        const QString start = textOf(gettingStarted);
        QVERIFY2(start.contains(QStringLiteral("New Study from Data")), qPrintable(start.left(200)));
        for (const QString &page : window.pageTitles())
            QVERIFY2(start.contains(page), qPrintable(page)); // every page of the side bar is explained
        const QString simText = textOf(sims);
        for (const char *model : {"sim-small", "sim-large", "sim-flaky"})
            QVERIFY2(simText.contains(QLatin1String(model)), model);
        const QString keyText = textOf(keys);
        QVERIFY(keyText.contains(QKeySequence(QKeySequence::Save).toString(QKeySequence::NativeText)));
        QVERIFY(keyText.contains(QStringLiteral("Go to Monitor")));
        QVERIFY(keyText.contains(QStringLiteral("Undo")));
        QCOMPARE(besideTheWindow, 3);
    }

    void windowGeometryIsRemembered()
    {
        QSize size;
        {
            MainWindow window;
            window.show();
            window.resize(window.fontMetrics().height() * 60, window.fontMetrics().height() * 40);
            size = window.size();
            QVERIFY(window.close());
        }
        MainWindow again;
        QCOMPARE(again.size(), size);
    }

    void closingWithUnsavedChangesAsks()
    {
        MainWindow window;
        QVERIFY(window.openSample(QStringLiteral("moderation")));
        window.show();
        prism::Study study = window.document()->study();
        study.name = "Changed";
        window.document()->setStudy(study, QStringLiteral("Rename"));
        QVERIFY(window.windowTitle().startsWith(QStringLiteral("Changed")));

        bool asked = false;
        uitest::onNextDialog<QMessageBox>([&asked](QMessageBox *box) {
            asked = true;
            box->button(QMessageBox::Cancel)->click();
        });
        QVERIFY(!window.close());
        QVERIFY(asked);
        QVERIFY(window.isVisible());

        uitest::onNextDialog<QMessageBox>([](QMessageBox *box) { box->button(QMessageBox::Discard)->click(); });
        QVERIFY(window.close());
    }
};

QTEST_MAIN(TestShell)
#include "test_shell.moc"
