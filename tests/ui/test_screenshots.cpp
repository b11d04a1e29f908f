// Saves a PNG of the window on every page (and of the import dialog) to
// $PRISM_SCREENSHOT_DIR, for people to look at. Skips when the variable is unset.
#include "mainwindow.h"
#include "pages/datasetpage.h"
#include "pages/signaturepage.h"
#include "pagesregistry.h"
#include "studiostyle.h"
#include "studydocument.h"
#include "uitest.h"
#include "widgets/columnmappingdialog.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

class TestScreenshots final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("PrismTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_screenshots"));
        applyStudioStyle(qApp);
    }

    void everyPage()
    {
        const QString dir = qEnvironmentVariable("PRISM_SCREENSHOT_DIR");
        if (dir.isEmpty())
            QSKIP("set PRISM_SCREENSHOT_DIR to save screenshots");
        QVERIFY(QDir().mkpath(dir));

        MainWindow window;
        registerPages(&window);
        QVERIFY(window.openSample(QStringLiteral("moderation")));
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        const QStringList titles = window.pageTitles();
        for (int i = 0; i < titles.size(); ++i) {
            window.showPage(titles.at(i));
            if (auto *signature = qobject_cast<SignaturePage *>(window.currentPage())) {
                signature->setPreviewRow(20);
                signature->flushPreview();
            }
            QTest::qWait(50);
            const QString file = QDir(dir).filePath(QStringLiteral("%1-%2.png").arg(i + 1, 2, 10, QLatin1Char('0')).arg(titles.at(i).toLower()));
            QVERIFY2(window.grab().save(file), qPrintable(file));
        }

        // The import step and an import error, as a user sees them.
        auto *dataset = qobject_cast<DatasetPage *>(window.page(QStringLiteral("Dataset")));
        QVERIFY(dataset);
        window.showPage(QStringLiteral("Dataset"));
        QTemporaryDir tmp;
        const QString csv = tmp.filePath(QStringLiteral("new-snippets.csv"));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("text,Severity,violations\n\"Get out of here, you people\",high,hate\n\"Great game last night\",low,\n\"Click here for free money\",extreme,spam\n");
        f.close();
        uitest::onNextDialog<ColumnMappingDialog>([dir](ColumnMappingDialog *d) {
            QComboBox *snippet = d->comboFor(QStringLiteral("snippet"));
            snippet->setCurrentIndex(snippet->findText(QStringLiteral("text")));
            QTest::qWait(50);
            d->grab().save(QDir(dir).filePath(QStringLiteral("dialog-column-mapping.png")));
            QComboBox *violations = d->comboFor(QStringLiteral("policy_violations"));
            violations->setCurrentIndex(violations->findText(QStringLiteral("violations")));
            d->accept();
        });
        QVERIFY(!dataset->importFile(csv));
        QTest::qWait(50);
        QVERIFY(window.grab().save(QDir(dir).filePath(QStringLiteral("dataset-import-error.png"))));
    }
};

QTEST_MAIN(TestScreenshots)
#include "test_screenshots.moc"
