// The study's name and description, editable anywhere: File > Study Properties
// and the Dataset page's Rename link open the same dialog; the change is one
// undo step, the window title follows, and a run started afterwards records
// the new name (History, reports and exports read it from the run).
#include "engine/enginebridge.h"
#include "mainwindow.h"
#include "pages/datasetpage.h"
#include "pages/runpage.h"
#include "pagesregistry.h"
#include "studydocument.h"
#include "uitest.h"
#include "widgets/studyinfodialog.h"

#include "run/run_store.h"

#include <QAction>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>
#include <QUndoStack>

namespace {

// Fills the dialog as a user would and presses OK (or Cancel).
void answerDialog(const QString &name, const QString &description, bool ok = true)
{
    uitest::onNextDialog<StudyInfoDialog>([name, description, ok](StudyInfoDialog *dialog) {
        auto *nameEdit = dialog->findChild<QLineEdit *>(QStringLiteral("studyNameEdit"));
        auto *descriptionEdit = dialog->findChild<QPlainTextEdit *>(QStringLiteral("studyDescriptionEdit"));
        auto *buttons = dialog->findChild<QDialogButtonBox *>();
        if (!nameEdit || !descriptionEdit || !buttons) {
            dialog->reject();
            return;
        }
        nameEdit->clear();
        QTest::keyClicks(nameEdit, name);
        descriptionEdit->setPlainText(description);
        QPushButton *button = buttons->button(ok ? QDialogButtonBox::Ok : QDialogButtonBox::Cancel);
        if (!button->isEnabled()) {
            dialog->reject();
            return;
        }
        QTest::mouseClick(button, Qt::LeftButton);
    });
}

} // namespace

class TestStudyInfo final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("PrismTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_studyinfo"));
        QSettings().clear();
    }

    void studyPropertiesRenamesTheStudyForTheNextRun()
    {
        MainWindow window;
        registerPages(&window);
        QVERIFY(window.openSample(QStringLiteral("moderation")));
        StudyDocument *doc = window.document();
        const std::string oldName = doc->study().name;
        QVERIFY(!oldName.empty());

        // A short run: manual MIPROv2 with few trials (steps before the rename).
        auto *run = window.findChild<RunPage *>();
        auto *bridge = window.findChild<EngineBridge *>();
        QVERIFY(run && bridge);
        run->autoCombo()->setCurrentIndex(run->autoCombo()->findData(QString()));
        run->numTrialsSpin()->setValue(3);

        QAction *properties = window.findChild<QAction *>(QStringLiteral("studyPropertiesAction"));
        QVERIFY(properties);
        answerDialog(QStringLiteral("Product reviews"), QStringLiteral("40 hand-written reviews."));
        properties->trigger();
        QCOMPARE(doc->study().name, std::string("Product reviews"));
        QCOMPARE(doc->study().description, std::string("40 hand-written reviews."));
        QVERIFY2(window.windowTitle().startsWith(QStringLiteral("Product reviews")), qPrintable(window.windowTitle()));

        QSignalSpy finished(bridge, &EngineBridge::runFinished);
        QString error;
        QVERIFY2(run->start(&error), qPrintable(error));
        const QString runId = bridge->runId();
        QVERIFY(finished.wait(120000));
        auto store = prism::RunStore::openDefault();
        QVERIFY2(store, store ? "" : store.error().message.c_str());
        auto record = store.value()->loadRun(runId.toStdString());
        QVERIFY2(record, record ? "" : record.error().message.c_str());
        QCOMPARE(record->studyName, std::string("Product reviews"));

        // One undo gives the old name and title back.
        doc->undoStack()->undo();
        QCOMPARE(doc->study().name, oldName);
        QVERIFY(doc->study().description.empty());
        QVERIFY2(window.windowTitle().startsWith(QString::fromStdString(oldName)), qPrintable(window.windowTitle()));
    }

    void datasetRenameLinkOpensTheSameDialog()
    {
        StudyDocument doc;
        QString error;
        QVERIFY2(doc.newFromSample(QStringLiteral("qa"), &error), qPrintable(error));
        DatasetPage page(&doc);
        page.resize(1000, 600);
        page.show();
        auto *link = page.findChild<QLabel *>(QStringLiteral("studyNameLabel"));
        QVERIFY(link);
        QVERIFY(link->text().contains(QString::fromStdString(doc.study().name).toHtmlEscaped()));
        const prism::Study before = doc.study();

        // Cancel and an empty name change nothing.
        answerDialog(QStringLiteral("Not this"), QString(), false);
        emit link->linkActivated(QStringLiteral("rename"));
        QVERIFY(doc.study() == before);
        answerDialog(QStringLiteral("   "), QString());
        emit link->linkActivated(QStringLiteral("rename"));
        QVERIFY(doc.study() == before);
        QCOMPARE(doc.undoStack()->count(), 0);

        answerDialog(QStringLiteral("Trivia <v2>"), QString());
        emit link->linkActivated(QStringLiteral("rename"));
        QCOMPARE(doc.study().name, std::string("Trivia <v2>"));
        QVERIFY2(link->text().contains(QStringLiteral("Trivia &lt;v2&gt;")), qPrintable(link->text()));
        QCOMPARE(doc.undoStack()->count(), 1);
        doc.undoStack()->undo();
        QVERIFY(doc.study() == before);
        QVERIFY(link->text().contains(QString::fromStdString(before.name).toHtmlEscaped()));
    }
};

QTEST_MAIN(TestStudyInfo)
#include "test_studyinfo.moc"
