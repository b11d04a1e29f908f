// File > New Study from Data…: from the user's CSV or JSONL file to a saved
// study that opens in the main window, reloads with loadStudy and splits as
// the file (or the stratified split) says.
#include "mainwindow.h"
#include "qtconvert.h"
#include "studiostyle.h"
#include "studydocument.h"
#include "uitest.h"
#include "widgets/errorbanner.h"
#include "wizard/newstudywizard.h"

#include "core/study.h"
#include "data/dataset.h"

#include <QAbstractButton>
#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QRadioButton>
#include <QScopeGuard>
#include <QSettings>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <map>

namespace {

const QString kWizardData = QStringLiteral(PRISM_TEST_DATA_DIR "/wizard/");

template <typename T> T *child(QWidget *parent, const QString &name)
{
    auto *w = parent->findChild<T *>(name);
    if (!w)
        qWarning("no child %s", qPrintable(name));
    return w;
}

// Where people look at the pages: $PRISM_SCREENSHOT_DIR, if set.
void shoot(QWizard *wizard, const QString &name)
{
    const QString dir = qEnvironmentVariable("PRISM_SCREENSHOT_DIR");
    if (dir.isEmpty())
        return;
    QDir().mkpath(dir);
    wizard->resize(1024, 640);
    QApplication::processEvents();
    wizard->grab().save(QDir(dir).filePath(name));
}

// Every page fits the smallest window the studio supports.
bool fits(QWizard *wizard)
{
    const QSize hint = wizard->minimumSizeHint();
    return hint.width() <= 1024 && hint.height() <= 640;
}

QString totalsText(QWizard *wizard)
{
    return child<QLabel>(wizard, QStringLiteral("splitTotals"))->text();
}

// The cell of the counts table for a label (row header) and split column.
int countCell(QWizard *wizard, const QString &label, int column)
{
    auto *table = child<QTableWidget>(wizard, QStringLiteral("splitCounts"));
    for (int r = 0; r < table->rowCount(); ++r)
        if (table->verticalHeaderItem(r) && table->verticalHeaderItem(r)->text() == label)
            return table->item(r, column)->text().toInt();
    return -1;
}

// `prism eval STUDY --split test --json`; null when it failed (the test then says why).
nlohmann::json evalWithCli(const QString &studyPath)
{
    QProcess cli;
    cli.start(QStringLiteral(PRISM_CLI_BINARY), {QStringLiteral("eval"), studyPath, QStringLiteral("--split"),
                                                 QStringLiteral("test"), QStringLiteral("--json")});
    if (!cli.waitForFinished(60000) || cli.exitCode() != 0) {
        qWarning("prism eval failed: %s", cli.readAllStandardError().constData());
        return nlohmann::json::object();
    }
    auto report = nlohmann::json::parse(cli.readAllStandardOutput().toStdString(), nullptr, false);
    return report.is_object() ? report : nlohmann::json::object();
}

std::map<std::string, int> labelCounts(const std::vector<prism::Example> &rows, const std::string &field)
{
    std::map<std::string, int> counts;
    for (const auto &e : rows)
        ++counts[e.values.get(field).asString()];
    return counts;
}

} // namespace

class TestNewStudyWizard final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("PrismTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_newstudywizard"));
        QSettings().clear();
        applyStudioStyle(qApp); // the screenshots look like the app
    }

    void csvWithASplitColumnBecomesAStudy()
    {
        QTemporaryDir dir;
        QVERIFY(QFile::copy(kWizardData + QStringLiteral("reviews.csv"), dir.filePath(QStringLiteral("reviews.csv"))));
        MainWindow window;
        QVERIFY(window.openSample(QStringLiteral("moderation")));
        bool finished = false;
        uitest::onNextDialog<NewStudyWizard>([&](NewStudyWizard *w) {
            auto finish = qScopeGuard([&] {
                if (!finished)
                    w->reject();
            });
            QVERIFY(!w->button(QWizard::NextButton)->isEnabled()); // no file yet
            QVERIFY(w->loadFile(dir.filePath(QStringLiteral("reviews.csv"))));
            auto *preview = child<QTableWidget>(w, QStringLiteral("previewTable"));
            QCOMPARE(preview->rowCount(), 40);
            QCOMPARE(preview->columnCount(), 4);
            QCOMPARE(preview->verticalHeaderItem(0)->text(), QStringLiteral("2")); // the file's line
            QVERIFY(fits(w));
            shoot(w, QStringLiteral("wizard-1-file.png"));

            w->next();
            QCOMPARE(w->currentId(), int(NewStudyWizard::ColumnsPage));
            QCOMPARE(child<QComboBox>(w, QStringLiteral("role_sentiment"))->currentText(), QStringLiteral("Output"));
            QCOMPARE(child<QComboBox>(w, QStringLiteral("role_text"))->currentText(), QStringLiteral("Input"));
            QCOMPARE(child<QComboBox>(w, QStringLiteral("role_review_id"))->currentText(), QStringLiteral("Ignore"));
            QCOMPARE(child<QComboBox>(w, QStringLiteral("role_split"))->currentText(), QStringLiteral("Ignore"));
            QCOMPARE(child<QComboBox>(w, QStringLiteral("type_sentiment"))->currentText(),
                     QStringLiteral("one of the values"));
            QCOMPARE(child<QLineEdit>(w, QStringLiteral("values_sentiment"))->text(),
                     QStringLiteral("positive, negative, neutral"));
            // Every guess can be changed: the text column becomes the field "review".
            child<QLineEdit>(w, QStringLiteral("field_text"))->setText(QStringLiteral("review"));
            QVERIFY(fits(w));
            shoot(w, QStringLiteral("wizard-2-columns.png"));

            w->next();
            QCOMPARE(w->currentId(), int(NewStudyWizard::SplitsPage));
            QVERIFY(child<QRadioButton>(w, QStringLiteral("useSplitColumn"))->isChecked());
            QCOMPARE(totalsText(w), QStringLiteral("Train 30 \u00b7 Val 5 \u00b7 Test 5"));
            QCOMPARE(countCell(w, QStringLiteral("negative"), 2), 2); // test column
            QVERIFY(fits(w));
            shoot(w, QStringLiteral("wizard-3-splits.png"));

            w->next();
            QCOMPARE(w->currentId(), int(NewStudyWizard::DetailsPage));
            QCOMPARE(child<QLineEdit>(w, QStringLiteral("studyName"))->text(), QStringLiteral("reviews"));
            child<QLineEdit>(w, QStringLiteral("studyName"))->setText(QStringLiteral("Product reviews"));
            QCOMPARE(child<QComboBox>(w, QStringLiteral("metric_sentiment"))->currentText(), QStringLiteral("exact"));
            child<QRadioButton>(w, QStringLiteral("chainOfThoughtKind"))->setChecked(true);
            QVERIFY(fits(w));
            shoot(w, QStringLiteral("wizard-4-study.png"));

            w->next();
            QCOMPARE(w->currentId(), int(NewStudyWizard::SavePage));
            QCOMPARE(QDir(child<QLineEdit>(w, QStringLiteral("saveFolder"))->text()), QDir(dir.path()));
            QCOMPARE(child<QLineEdit>(w, QStringLiteral("fileStem"))->text(), QStringLiteral("product-reviews"));
            QVERIFY(fits(w));
            shoot(w, QStringLiteral("wizard-5-save.png"));
            finished = true;
            w->button(QWizard::FinishButton)->click();
        });
        window.findChild<QAction *>(QStringLiteral("newFromDataAction"))->trigger();
        QVERIFY(finished);

        const QString studyPath = dir.filePath(QStringLiteral("product-reviews.prism.json"));
        const StudyDocument *doc = window.document();
        QCOMPARE(doc->path(), studyPath);
        QVERIFY(!doc->isModified());
        QCOMPARE(doc->study().name, std::string("Product reviews"));
        QCOMPARE(doc->rowCount(Split::Train), 30);
        QCOMPARE(doc->rowCount(Split::Val), 5); // the "dev" rows
        QCOMPARE(doc->rowCount(Split::Test), 5);
        const prism::Predictor &predictor = doc->study().program.predictors.front();
        QCOMPARE(predictor.kind, prism::PredictorKind::ChainOfThought);
        QCOMPARE(predictor.signature.inputs.size(), std::size_t(1));
        QCOMPARE(predictor.signature.inputs[0].name, std::string("review"));
        const prism::Field *sentiment = predictor.signature.findOutput("sentiment");
        QVERIFY(sentiment);
        QVERIFY(sentiment->type == prism::Type::enumOf({"positive", "negative", "neutral"}));
        QCOMPARE(doc->study().metric.fields.size(), std::size_t(1));
        QCOMPARE(doc->study().metric.fields[0].metric, std::string("exact"));

        // The rows of each split are the file's rows with that split value.
        auto table = prism::loadTable(toStd(kWizardData + QStringLiteral("reviews.csv")));
        QVERIFY(table);
        std::vector<std::string> devTexts;
        for (const auto &row : table->rows)
            if (row.get("split").asString() == "dev")
                devTexts.push_back(row.get("text").asString());
        std::vector<std::string> valTexts;
        for (const auto &e : doc->examples(Split::Val))
            valTexts.push_back(e.values.get("review").asString());
        QVERIFY(valTexts == devTexts);

        // What was saved reloads on its own.
        auto reloaded = prism::loadStudy(toStd(studyPath));
        QVERIFY2(reloaded, reloaded ? "" : reloaded.error().message.c_str());
        auto data = prism::loadStudyData(reloaded.value());
        QVERIFY2(data, data ? "" : data.error().message.c_str());
        QCOMPARE(data->train.examples.size(), std::size_t(30));
        QCOMPARE(data->test.examples.size(), std::size_t(5));

        // And evaluates with the CLI, offline on the simulator it starts with.
        const auto report = evalWithCli(studyPath);
        QCOMPARE(report.value("total", -1), 5);
        QCOMPARE(report.value("split", std::string()), std::string("test"));
        QCOMPARE(report.value("study", std::string()), std::string("Product reviews"));
    }

    void jsonlWithoutASplitColumnIsSplitByLabel()
    {
        QTemporaryDir dir;
        const QString source = dir.filePath(QStringLiteral("reviews.jsonl"));
        QVERIFY(QFile::copy(kWizardData + QStringLiteral("reviews.jsonl"), source));
        NewStudyWizard w;
        w.show();
        QVERIFY(w.loadFile(source));
        w.next();
        QCOMPARE(child<QComboBox>(&w, QStringLiteral("role_id"))->currentText(), QStringLiteral("Ignore"));
        QCOMPARE(child<QComboBox>(&w, QStringLiteral("role_label"))->currentText(), QStringLiteral("Output"));
        QCOMPARE(child<QComboBox>(&w, QStringLiteral("type_stars"))->currentText(), QStringLiteral("integer"));
        // A type the rows do not fit: the error names the file and line, and the page stays.
        auto *reviewType = child<QComboBox>(&w, QStringLiteral("type_review"));
        reviewType->setCurrentIndex(reviewType->findData(QStringLiteral("int")));
        w.next();
        QCOMPARE(w.currentId(), int(NewStudyWizard::ColumnsPage));
        auto *mapError = child<ErrorBanner>(&w, QStringLiteral("mapError"));
        QVERIFY(mapError->isVisible());
        QVERIFY2(mapError->message().contains(QStringLiteral("reviews.jsonl:1: field 'review'")),
                 qPrintable(mapError->message()));
        reviewType->setCurrentIndex(reviewType->findData(QStringLiteral("str")));
        child<QComboBox>(&w, QStringLiteral("role_stars"))->setCurrentIndex(2); // Ignore
        w.next();
        QCOMPARE(w.currentId(), int(NewStudyWizard::SplitsPage));

        QVERIFY(!child<QRadioButton>(&w, QStringLiteral("useSplitColumn"))->isVisible());
        QCOMPARE(child<QComboBox>(&w, QStringLiteral("stratifyBy"))->currentText(), QStringLiteral("label"));
        child<QDoubleSpinBox>(&w, QStringLiteral("valPercent"))->setValue(15.0);
        child<QDoubleSpinBox>(&w, QStringLiteral("testPercent"))->setValue(25.0);
        child<QSpinBox>(&w, QStringLiteral("splitSeed"))->setValue(4);
        // Labels 20 / 12 / 8: test 25% is 5 / 3 / 2, val 15% (6 rows) is 3 / 2 / 1.
        QCOMPARE(totalsText(&w), QStringLiteral("Train 24 \u00b7 Val 6 \u00b7 Test 10"));
        QCOMPARE(countCell(&w, QStringLiteral("positive"), 2), 5);
        QCOMPARE(countCell(&w, QStringLiteral("negative"), 2), 3);
        QCOMPARE(countCell(&w, QStringLiteral("neutral"), 2), 2);
        QCOMPARE(countCell(&w, QStringLiteral("positive"), 1), 3);
        QCOMPARE(countCell(&w, QStringLiteral("negative"), 1), 2);
        QCOMPARE(countCell(&w, QStringLiteral("neutral"), 1), 1);
        QCOMPARE(countCell(&w, QStringLiteral("Total"), 3), 40);
        w.next();
        w.next();
        QCOMPARE(w.currentId(), int(NewStudyWizard::SavePage));
        QCOMPARE(child<QLineEdit>(&w, QStringLiteral("fileStem"))->text(), QStringLiteral("reviews"));
        w.button(QWizard::FinishButton)->click();
        QCOMPARE(w.result(), int(QDialog::Accepted));
        QCOMPARE(w.studyPath(), dir.filePath(QStringLiteral("reviews.prism.json")));

        auto study = prism::loadStudy(toStd(w.studyPath()));
        QVERIFY(study);
        QCOMPARE(study->metric.fields[0].metric, std::string("exact"));
        QCOMPARE(study->program.predictors[0].kind, prism::PredictorKind::Predict);
        auto data = prism::loadStudyData(study.value());
        QVERIFY2(data, data ? "" : data.error().message.c_str());
        const auto test = labelCounts(data->test.examples, "label");
        QCOMPARE(test.at("positive"), 5);
        QCOMPARE(test.at("negative"), 3);
        QCOMPARE(test.at("neutral"), 2);
        QCOMPARE(data->val.examples.size(), std::size_t(6));
        QCOMPARE(data->train.examples.size(), std::size_t(24));
        QCOMPARE(evalWithCli(w.studyPath()).value("total", -1), 10);

        // Saving the same study again asks before replacing the files.
        NewStudyWizard again;
        again.show();
        QVERIFY(again.loadFile(source));
        again.next();
        child<QComboBox>(&again, QStringLiteral("role_stars"))->setCurrentIndex(2);
        again.next();
        again.next();
        again.next();
        QVERIFY(!again.button(QWizard::FinishButton)->isEnabled());
        child<QAbstractButton>(&again, QStringLiteral("replaceFiles"))->click();
        QVERIFY(again.button(QWizard::FinishButton)->isEnabled());
    }

    void aBrokenFileShowsWhereAndStays()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("bad.csv"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("text,label\nfine,a\nextra,b,c\n");
        file.close();
        NewStudyWizard w;
        w.show();
        QVERIFY(!w.loadFile(path));
        QVERIFY(!w.button(QWizard::NextButton)->isEnabled());
        auto *loadError = child<ErrorBanner>(&w, QStringLiteral("loadError"));
        QVERIFY(loadError->isVisible());
        QVERIFY2(loadError->message().contains(QStringLiteral("bad.csv:3")), qPrintable(loadError->message()));
        shoot(&w, QStringLiteral("wizard-1-error.png"));
    }
};

QTEST_MAIN(TestNewStudyWizard)
#include "test_newstudywizard.moc"
