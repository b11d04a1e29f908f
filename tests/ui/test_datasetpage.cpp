// The dataset page: imports (bad and good files, the mapping step, drag and
// drop), cell edits with undo, add / delete rows, the seeded split, the label
// distribution, and a 100k-row table.
#include "models/rowtablemodel.h"
#include "pages/datasetpage.h"
#include "pages/signaturepage.h"
#include "studydocument.h"
#include "uitest.h"
#include "widgets/columnmappingdialog.h"
#include "widgets/splitdialog.h"

#include "data/dataset.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMimeData>
#include <QPushButton>
#include <QRadioButton>
#include <QScrollBar>
#include <QSettings>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>
#include <QUrl>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace {

void writeFile(const QString &path, const QByteArray &content)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(content);
}

// A dialog fits the smallest window the studio supports; its picture goes to
// $PRISM_SCREENSHOT_DIR when set.
bool fitsAndShoot(QDialog *d, const QString &name)
{
    const QString dir = qEnvironmentVariable("PRISM_SCREENSHOT_DIR");
    if (!dir.isEmpty()) {
        QDir().mkpath(dir);
        d->grab().save(QDir(dir).filePath(name));
    }
    const QSize hint = d->minimumSizeHint();
    return hint.width() <= 1024 && hint.height() <= 640;
}

// 40 moderation rows; the split column (if asked) gives 30 train, 5 dev, 5
// test; severity "extreme" (no such value) on the rows at file lines `bad`.
QByteArray moderationCsv(bool withSplit, const std::vector<int> &bad = {})
{
    QByteArray out = withSplit ? "snippet,severity,policy_violations,split\n" : "snippet,severity,policy_violations\n";
    const char *severities[] = {"low", "medium", "high", "low"};
    for (int k = 0; k < 40; ++k) {
        const int line = k + 2;
        const bool broken = std::find(bad.begin(), bad.end(), line) != bad.end();
        out += "\"Imported snippet number " + QByteArray::number(k) + "\","
               + (broken ? QByteArray("extreme") : QByteArray(severities[k % 4])) + ",spam";
        if (withSplit)
            out += k % 8 == 3 ? ",test" : k % 8 == 6 ? ",dev" : ",train";
        out += "\n";
    }
    return out;
}

int column(const RowTableModel *model, const std::string &field)
{
    for (int c = 0; c < static_cast<int>(model->fields().size()); ++c)
        if (model->fields()[static_cast<std::size_t>(c)].name == field)
            return c;
    return -1;
}

} // namespace

class TestDatasetPage final : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<StudyDocument> m_doc;
    std::unique_ptr<DatasetPage> m_page;
    QTemporaryDir m_dir;

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("PrismTest"));
        QCoreApplication::setApplicationName(QStringLiteral("test_datasetpage"));
        QVERIFY(m_dir.isValid());
    }

    void init()
    {
        m_doc = std::make_unique<StudyDocument>();
        QString error;
        QVERIFY2(m_doc->newFromSample(QStringLiteral("moderation"), &error), qPrintable(error));
        m_page = std::make_unique<DatasetPage>(m_doc.get());
        m_page->resize(1200, 700);
        m_page->show();
    }

    void cleanup()
    {
        m_page.reset();
        m_doc.reset();
    }

    void csvWithABadLineImportsNothing()
    {
        const QString path = m_dir.filePath(QStringLiteral("bad.csv"));
        writeFile(path, "snippet,severity,policy_violations\n"
                        "\"You are great\",low,\n"
                        "\"Buy cheap pills now\",medium,spam\n"
                        "\"I will find you\",extreme,violence\n"
                        "\"Nice day\",low,\n");
        const auto before = m_doc->examples(Split::Train);
        const int undoSteps = m_doc->undoStack()->count();
        uitest::onNextDialog<ColumnMappingDialog>([](ColumnMappingDialog *d) { d->accept(); });
        QVERIFY(!m_page->importFile(path));
        const QString banner = m_page->bannerMessage();
        // The engine's message: the file, the line (header is line 1), the field and the value.
        QVERIFY2(banner.contains(QStringLiteral("bad.csv:4")), qPrintable(banner));
        QVERIFY2(banner.contains(QStringLiteral("severity")), qPrintable(banner));
        QVERIFY2(banner.contains(QStringLiteral("extreme")), qPrintable(banner));
        QVERIFY(m_doc->examples(Split::Train) == before);
        QCOMPARE(m_doc->undoStack()->count(), undoSteps);
    }

    void importRoutesRowsByTheFilesSplitColumn()
    {
        const QString path = m_dir.filePath(QStringLiteral("routed.csv"));
        writeFile(path, moderationCsv(true));
        bool byColumn = false;
        uitest::onNextDialog<ColumnMappingDialog>([&byColumn](ColumnMappingDialog *d) {
            // Found and chosen: the column named split.
            byColumn = d->findChild<QRadioButton *>(QStringLiteral("routeByColumn"))->isChecked()
                       && d->splitColumn() == QLatin1String("split");
            d->findChild<QRadioButton *>(QStringLiteral("importReplace"))->setChecked(true);
            QVERIFY(fitsAndShoot(d, QStringLiteral("dialog-import-routed.png")));
            d->accept();
        });
        QVERIFY2(m_page->importFile(path), qPrintable(m_page->bannerMessage()));
        QVERIFY(byColumn);
        QCOMPARE(m_doc->rowCount(Split::Train), 30);
        QCOMPARE(m_doc->rowCount(Split::Val), 5);
        QCOMPARE(m_doc->rowCount(Split::Test), 5);
        QCOMPARE(m_doc->examples(Split::Val).front().values.get("snippet").asString(),
                 std::string("Imported snippet number 6"));
        m_doc->undoStack()->undo(); // one step
        QCOMPARE(m_doc->rowCount(Split::Train), 30);
        QCOMPARE(m_doc->rowCount(Split::Test), 15);
        QVERIFY(m_doc->examples(Split::Train).front().values.get("snippet").asString() != "Imported snippet number 0");
    }

    void importCanSkipTheRowsThatDoNotFit()
    {
        const QString path = m_dir.filePath(QStringLiteral("twobad.csv"));
        writeFile(path, moderationCsv(false, {5, 12}));
        const int before = m_doc->rowCount(Split::Train);
        QString skipText;
        QString redTip;
        uitest::onNextDialog<ColumnMappingDialog>([&](ColumnMappingDialog *d) {
            auto *skip = d->findChild<QCheckBox *>(QStringLiteral("skipBadRows"));
            skipText = skip->text();
            // The preview marks the cell that does not fit: line 5 is the 4th row, severity the 2nd column.
            redTip = d->findChild<QTableWidget *>(QStringLiteral("importPreview"))->item(3, 1)->toolTip();
            skip->setChecked(true);
            QVERIFY(fitsAndShoot(d, QStringLiteral("dialog-import-skip.png")));
            d->accept();
        });
        QVERIFY2(m_page->importFile(path), qPrintable(m_page->bannerMessage()));
        QCOMPARE(skipText, QStringLiteral("Skip the 2 rows that do not fit (line 5, 12)"));
        QVERIFY2(redTip.contains(QStringLiteral("twobad.csv:5: field 'severity'")), qPrintable(redTip));
        QCOMPARE(m_doc->rowCount(Split::Train), before + 38);
        const QString banner = m_page->bannerMessage();
        QVERIFY2(banner.contains(QStringLiteral("Skipped 2 rows that did not fit: line 5, 12")), qPrintable(banner));

        // Without skipping, nothing is imported and the first bad line is named.
        m_doc->undoStack()->undo();
        uitest::onNextDialog<ColumnMappingDialog>([](ColumnMappingDialog *d) { d->accept(); });
        QVERIFY(!m_page->importFile(path));
        QCOMPARE(m_doc->rowCount(Split::Train), before);
        QVERIFY2(m_page->bannerMessage().contains(QStringLiteral("twobad.csv:5")), qPrintable(m_page->bannerMessage()));
    }

    void unreadableCsvFailsBeforeTheMappingStep()
    {
        const QString path = m_dir.filePath(QStringLiteral("broken.csv"));
        writeFile(path, "snippet,severity,policy_violations\n\"ok\",low,\n\"never closed,low,\n");
        const auto before = m_doc->examples(Split::Train);
        QVERIFY(!m_page->importFile(path)); // no dialog is answered: it must not open
        const QString banner = m_page->bannerMessage();
        QVERIFY2(banner.contains(QStringLiteral("broken.csv:3")), qPrintable(banner));
        QVERIFY(m_doc->examples(Split::Train) == before);
    }

    void goodCsvWithOtherColumnNamesIsMappedAndAdded()
    {
        const QString path = m_dir.filePath(QStringLiteral("good.csv"));
        writeFile(path, "text,Severity,violations,notes\n"
                        "\"You people are vermin, get out\",high,\"hate; harassment\",x\n"
                        "\"Lovely photo!\",LOW,,y\n");
        const int before = m_doc->rowCount(Split::Train);
        bool prefilled = false;
        uitest::onNextDialog<ColumnMappingDialog>([&prefilled](ColumnMappingDialog *d) {
            // Same name, other case: pre-filled. Other names: the user picks them.
            prefilled = d->comboFor(QStringLiteral("severity"))->currentText() == QLatin1String("Severity")
                        && d->comboFor(QStringLiteral("snippet"))->currentData().toString().isEmpty();
            QComboBox *snippet = d->comboFor(QStringLiteral("snippet"));
            snippet->setCurrentIndex(snippet->findText(QStringLiteral("text")));
            QComboBox *violations = d->comboFor(QStringLiteral("policy_violations"));
            violations->setCurrentIndex(violations->findText(QStringLiteral("violations")));
            d->accept();
        });
        QVERIFY2(m_page->importFile(path), qPrintable(m_page->bannerMessage()));
        QVERIFY(prefilled);
        QCOMPARE(m_doc->rowCount(Split::Train), before + 2);
        const prism::Example &first = m_doc->examples(Split::Train)[static_cast<std::size_t>(before)];
        QCOMPARE(first.values.get("snippet"), prism::Value("You people are vermin, get out"));
        QCOMPARE(first.values.get("severity"), prism::Value("high"));
        QCOMPARE(first.values.get("policy_violations"),
                 prism::Value(prism::Value::List{prism::Value("hate"), prism::Value("harassment")}));
        QCOMPARE(first.inputKeys, std::vector<std::string>{"snippet"});
        const prism::Example &second = m_doc->examples(Split::Train)[static_cast<std::size_t>(before + 1)];
        QCOMPARE(second.values.get("severity"), prism::Value("low")); // the enum's spelling
        QCOMPARE(second.values.get("policy_violations"), prism::Value(prism::Value::List{}));
        QVERIFY(!second.values.contains("notes"));
        // One undo step takes the whole import back.
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->rowCount(Split::Train), before);
    }

    void jsonlCanReplaceAnotherSplit()
    {
        const QString path = m_dir.filePath(QStringLiteral("val.jsonl"));
        writeFile(path, "{\"snippet\": \"a\", \"severity\": \"low\", \"policy_violations\": []}\n"
                        "{\"snippet\": \"b\", \"severity\": \"high\", \"policy_violations\": [\"violence\"]}\n");
        const auto train = m_doc->examples(Split::Train);
        uitest::onNextDialog<ColumnMappingDialog>([](ColumnMappingDialog *d) {
            auto *split = d->findChild<QComboBox *>(QStringLiteral("importSplit"));
            split->setCurrentIndex(static_cast<int>(Split::Test));
            d->findChild<QRadioButton *>(QStringLiteral("importReplace"))->setChecked(true);
            QVERIFY(fitsAndShoot(d, QStringLiteral("dialog-import-routed.png")));
            d->accept();
        });
        QVERIFY2(m_page->importFile(path), qPrintable(m_page->bannerMessage()));
        QCOMPARE(m_doc->rowCount(Split::Test), 2);
        QCOMPARE(m_doc->examples(Split::Test)[1].values.get("snippet"), prism::Value("b"));
        QVERIFY(m_doc->examples(Split::Train) == train);
        QCOMPARE(m_page->currentSplit(), Split::Test);
    }

    void droppingAFileImportsIt()
    {
        const QString path = m_dir.filePath(QStringLiteral("drop.json"));
        writeFile(path, "[{\"snippet\": \"dropped\", \"severity\": \"medium\", \"policy_violations\": [\"spam\"]}]");
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(path)});
        QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(m_page.get(), &enter);
        QVERIFY(enter.isAccepted());
        uitest::onNextDialog<ColumnMappingDialog>([](ColumnMappingDialog *d) { d->accept(); });
        const int before = m_doc->rowCount(Split::Train);
        QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(m_page.get(), &drop);
        QTRY_COMPARE(m_doc->rowCount(Split::Train), before + 1);
        QCOMPARE(m_doc->examples(Split::Train).back().values.get("snippet"), prism::Value("dropped"));

        // A file type the loaders do not read is refused at the door.
        QMimeData other;
        other.setUrls({QUrl::fromLocalFile(m_dir.filePath(QStringLiteral("notes.txt")))});
        QDragEnterEvent refuse(QPoint(10, 10), Qt::CopyAction, &other, Qt::LeftButton, Qt::NoModifier);
        refuse.setAccepted(false);
        QApplication::sendEvent(m_page.get(), &refuse);
        QVERIFY(!refuse.isAccepted());
    }

    void editingACellIsUndoable()
    {
        RowTableModel *model = m_page->model();
        const int severity = column(model, "severity");
        const int violations = column(model, "policy_violations");
        QVERIFY(severity >= 0 && violations >= 0);
        const prism::Example original = m_doc->examples(Split::Train)[0];
        const QString shown = model->data(model->index(0, severity)).toString();
        QCOMPARE(shown.toStdString(), original.values.get("severity").asString());

        QVERIFY(model->setData(model->index(0, severity), QStringLiteral("High")));
        QCOMPARE(m_doc->examples(Split::Train)[0].values.get("severity"), prism::Value("high"));
        QVERIFY(model->setData(model->index(0, violations), QStringLiteral("spam; other")));
        QCOMPARE(m_doc->examples(Split::Train)[0].values.get("policy_violations"),
                 prism::Value(prism::Value::List{prism::Value("spam"), prism::Value("other")}));
        QCOMPARE(model->data(model->index(0, violations)).toString(), QStringLiteral("spam; other"));

        // A value outside the enum is refused with the reason, and nothing changes.
        const prism::Example edited = m_doc->examples(Split::Train)[0];
        QVERIFY(!model->setData(model->index(0, severity), QStringLiteral("extreme")));
        QVERIFY(m_doc->examples(Split::Train)[0] == edited);
        QVERIFY2(m_page->bannerMessage().contains(QStringLiteral("low, medium, high")),
                 qPrintable(m_page->bannerMessage()));

        m_doc->undoStack()->undo();
        m_doc->undoStack()->undo();
        QVERIFY(m_doc->examples(Split::Train)[0] == original);
        QCOMPARE(model->data(model->index(0, severity)).toString().toStdString(),
                 original.values.get("severity").asString());
    }

    void addAndDeleteRows()
    {
        QTableView *table = m_page->tableView();
        RowTableModel *model = m_page->model();
        const auto original = m_doc->examples(Split::Train);
        const int n = static_cast<int>(original.size());

        table->setCurrentIndex(model->index(4, 0));
        m_page->addRow();
        QCOMPARE(m_doc->rowCount(Split::Train), n + 1);
        QCOMPARE(model->rowCount(), n + 1);
        QVERIFY(m_doc->examples(Split::Train)[5].values.empty());
        QCOMPARE(table->currentIndex().row(), 5);
        m_doc->undoStack()->undo();
        QVERIFY(m_doc->examples(Split::Train) == original);

        // Rows 2..4 and 10 (0-based), selected as a user would with shift and ctrl clicks.
        table->clearSelection();
        QItemSelection selection(model->index(2, 0), model->index(4, 0));
        selection.select(model->index(10, 1), model->index(10, 1));
        table->selectionModel()->select(selection, QItemSelectionModel::Select);
        m_page->deleteSelectedRows();
        QCOMPARE(m_doc->rowCount(Split::Train), n - 4);
        std::vector<prism::Example> expected;
        for (int i = 0; i < n; ++i)
            if (!(i >= 2 && i <= 4) && i != 10)
                expected.push_back(original[static_cast<std::size_t>(i)]);
        QVERIFY(m_doc->examples(Split::Train) == expected);
        QCOMPARE(model->rowCount(), n - 4);
        // One step for the whole deletion.
        m_doc->undoStack()->undo();
        QVERIFY(m_doc->examples(Split::Train) == original);
    }

    void splitDealsAllRowsWithTheSeed()
    {
        std::vector<prism::Example> pooled;
        for (Split split : allSplits)
            for (const auto &e : m_doc->examples(split))
                pooled.push_back(e);
        QCOMPARE(pooled.size(), std::size_t(45));

        auto answer = [](SplitDialog *d) {
            // Every split pooled, not stratified: the engine's splitByFraction.
            d->findChild<QCheckBox *>(QStringLiteral("poolTest"))->setChecked(true);
            d->findChild<QComboBox *>(QStringLiteral("stratifyBy"))->setCurrentIndex(0);
            d->findChild<QDoubleSpinBox *>(QStringLiteral("valPercent"))->setValue(20.0);
            d->findChild<QDoubleSpinBox *>(QStringLiteral("testPercent"))->setValue(20.0);
            d->findChild<QSpinBox *>(QStringLiteral("splitSeed"))->setValue(7);
            d->accept();
        };
        uitest::onNextDialog<SplitDialog>(answer);
        m_page->splitWithDialog();
        QCOMPARE(m_doc->rowCount(Split::Val), 9); // 20% of 45
        QCOMPARE(m_doc->rowCount(Split::Test), 9);
        QCOMPARE(m_doc->rowCount(Split::Train), 27);
        // Exactly the engine's seeded split of the pooled rows.
        std::vector<prism::Example> train, val, test;
        prism::splitByFraction(pooled, 0.2, 0.2, 7, train, val, test);
        QVERIFY(m_doc->examples(Split::Train) == train);
        QVERIFY(m_doc->examples(Split::Val) == val);
        QVERIFY(m_doc->examples(Split::Test) == test);
        // No row lost or duplicated.
        std::multiset<std::string> all, after;
        for (const auto &e : pooled)
            all.insert(e.values.get("snippet").asString());
        for (Split split : allSplits)
            for (const auto &e : m_doc->examples(split))
                after.insert(e.values.get("snippet").asString());
        QVERIFY(all == after);
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->rowCount(Split::Train), 30);
        QCOMPARE(m_doc->rowCount(Split::Val), 0);
    }

    void splitKeepsTheTestRowsAndTheLabelShares()
    {
        const std::vector<prism::Example> train = m_doc->examples(Split::Train);
        const std::vector<prism::Example> test = m_doc->examples(Split::Test);
        QVERIFY(!test.empty());
        std::map<std::string, int> before;
        for (const auto &e : train)
            ++before[e.values.get("severity").asString()];
        QString preview;
        auto answer = [&preview](SplitDialog *d) {
            // The defaults: train and val pooled, test kept, stratified by the first label.
            QVERIFY(d->findChild<QCheckBox *>(QStringLiteral("poolVal"))->isChecked());
            QVERIFY(!d->findChild<QCheckBox *>(QStringLiteral("poolTest"))->isChecked());
            QVERIFY(!d->findChild<QDoubleSpinBox *>(QStringLiteral("testPercent"))->isEnabled());
            QCOMPARE(d->findChild<QComboBox *>(QStringLiteral("stratifyBy"))->currentText(),
                     QStringLiteral("severity"));
            d->findChild<QDoubleSpinBox *>(QStringLiteral("valPercent"))->setValue(20.0);
            d->findChild<QSpinBox *>(QStringLiteral("splitSeed"))->setValue(5);
            preview = d->findChild<QLabel *>(QStringLiteral("splitPreview"))->text();
            QVERIFY(fitsAndShoot(d, QStringLiteral("dialog-split.png")));
            d->accept();
        };
        uitest::onNextDialog<SplitDialog>(answer);
        m_page->splitWithDialog();
        QVERIFY(m_doc->examples(Split::Test) == test); // untouched, in order
        QCOMPARE(m_doc->rowCount(Split::Val), 6);      // 20% of the 30 train rows
        QCOMPARE(m_doc->rowCount(Split::Train), 24);
        QCOMPARE(preview, QStringLiteral("Train 24 \u00b7 Val 6 \u00b7 Test %1").arg(test.size()));
        // Each severity keeps its share: within one row of 20% in val.
        std::map<std::string, int> val;
        for (const auto &e : m_doc->examples(Split::Val))
            ++val[e.values.get("severity").asString()];
        for (const auto &[label, n] : before)
            QVERIFY2(std::abs(val[label] - n * 0.2) < 1.0, label.c_str());
        m_doc->undoStack()->undo();
        QVERIFY(m_doc->examples(Split::Train) == train);
        QCOMPARE(m_doc->rowCount(Split::Val), 0);
    }

    void labelDistributionCountsTheSplit()
    {
        // Counted here straight from the sample file.
        QFile file(QStringLiteral(PRISM_SAMPLES_DIR "/moderation/train.jsonl"));
        QVERIFY(file.open(QIODevice::ReadOnly));
        std::map<QString, long long> severity, violations;
        long long empty = 0;
        while (!file.atEnd()) {
            const QByteArray line = file.readLine().trimmed();
            if (line.isEmpty())
                continue;
            const QJsonObject o = QJsonDocument::fromJson(line).object();
            ++severity[o.value(QStringLiteral("severity")).toString()];
            const QJsonArray list = o.value(QStringLiteral("policy_violations")).toArray();
            if (list.isEmpty())
                ++empty;
            for (const auto &v : list)
                ++violations[v.toString()];
        }
        m_page->setCurrentSplit(Split::Train);
        const auto bars = m_page->distribution(QStringLiteral("severity"));
        QCOMPARE(bars.size(), std::size_t(3)); // every enum value, in order
        QCOMPARE(bars[0].label, QStringLiteral("low"));
        QCOMPARE(bars[2].label, QStringLiteral("high"));
        for (const auto &bar : bars)
            QCOMPARE(bar.count, severity[bar.label]);
        const auto listBars = m_page->distribution(QStringLiteral("policy_violations"));
        QCOMPARE(listBars.size(), std::size_t(8)); // seven options and "(empty list)"
        for (std::size_t i = 0; i + 1 < listBars.size(); ++i)
            QCOMPARE(listBars[i].count, violations[listBars[i].label]);
        QCOMPARE(listBars.back().count, empty);

        // It follows edits.
        prism::Example row = m_doc->examples(Split::Train)[0];
        const QString old = QString::fromStdString(row.values.get("severity").asString());
        row.values.set("severity", prism::Value(old == QLatin1String("high") ? "low" : "high"));
        m_doc->setRow(Split::Train, 0, row, QStringLiteral("edit"));
        long long high = 0;
        for (const auto &bar : m_page->distribution(QStringLiteral("severity")))
            if (bar.label == QLatin1String("high"))
                high = bar.count;
        QCOMPARE(high, severity[QStringLiteral("high")] + (old == QLatin1String("high") ? -1 : 1));
    }

    void aHundredThousandRows()
    {
        prism::StudyData data = m_doc->data();
        data.train.examples.clear();
        data.train.examples.reserve(100000);
        for (int i = 0; i < 100000; ++i) {
            prism::Example e;
            e.inputKeys = {"snippet"};
            e.values.set("snippet", prism::Value("row " + std::to_string(i)));
            e.values.set("severity", prism::Value(i % 3 == 0 ? "high" : "low"));
            e.values.set("policy_violations", prism::Value(prism::Value::List{}));
            data.train.examples.push_back(std::move(e));
        }
        m_doc->replaceData(data, QStringLiteral("big"));
        m_page->setCurrentSplit(Split::Train);
        RowTableModel *model = m_page->model();
        QTableView *table = m_page->tableView();
        QCOMPARE(model->rowCount(), 100000);
        // Built for size: fixed row heights, no widget per row, values read on demand.
        QCOMPARE(table->verticalHeader()->sectionResizeMode(0), QHeaderView::Fixed);
        QVERIFY(table->indexWidget(model->index(0, 0)) == nullptr);
        table->scrollToBottom();
        QCoreApplication::processEvents();
        QCOMPARE(table->verticalScrollBar()->value(), table->verticalScrollBar()->maximum());
        QCOMPARE(model->data(model->index(99999, 0)).toString(), QStringLiteral("row 99999"));
        QVERIFY(table->rowAt(table->viewport()->height() - 2) > 99000);
        // An edit at the end touches one row.
        QVERIFY(model->setData(model->index(99999, column(model, "severity")), QStringLiteral("medium")));
        QCOMPARE(m_doc->examples(Split::Train)[99999].values.get("severity"), prism::Value("medium"));
        long long high = 0;
        for (const auto &bar : m_page->distribution(QStringLiteral("severity")))
            if (bar.label == QLatin1String("high"))
                high = bar.count;
        QCOMPARE(high, 33333); // 33,334 rows with i % 3 == 0, less row 99,999 edited to medium
    }

    void enumCellsAreEditedWithAListOfTheValues()
    {
        QTableView *table = m_page->tableView();
        RowTableModel *model = m_page->model();
        const int severity = column(model, "severity");
        const prism::Type type = m_doc->study().program.predictors.front().signature.findOutput("severity")->type;
        const auto &values = type.enumValues();
        const prism::Example original = m_doc->examples(Split::Train)[0];
        const std::string label = original.values.get("severity").asString();
        const auto at = std::find(values.begin(), values.end(), label);
        QVERIFY(at != values.end() && at + 1 != values.end()); // the sample's row 1 is not the last value

        const QModelIndex cell = model->index(0, severity);
        table->setCurrentIndex(cell);
        table->edit(cell);
        auto *combo = qobject_cast<QComboBox *>(table->indexWidget(cell));
        QVERIFY2(combo, "the editor of an enum cell is a list of its values");
        QStringList items;
        for (int i = 0; i < combo->count(); ++i)
            items << combo->itemText(i);
        QStringList expected;
        for (const auto &v : values)
            expected << QString::fromStdString(v);
        QCOMPARE(items, expected);
        QCOMPARE(combo->currentText(), QString::fromStdString(label));

        // Choosing the next value (the Down key, as a user would) writes it at once.
        const int steps = m_doc->undoStack()->count();
        QTest::keyClick(combo, Qt::Key_Down);
        QCOMPARE(m_doc->examples(Split::Train)[0].values.get("severity").asString(), *(at + 1));
        QTRY_VERIFY(!table->indexWidget(cell));
        QCOMPARE(m_doc->undoStack()->count(), steps + 1);
        m_doc->undoStack()->undo();
        QVERIFY(m_doc->examples(Split::Train)[0] == original);
    }

    void boolAndListCellsHaveTheirOwnEditors()
    {
        // A bool output: true / false.
        prism::Study study = m_doc->study();
        study.program.predictors.front().signature.outputs.push_back(
            prism::Field{"flagged", prism::Type::boolean(), "", ""});
        m_doc->setStudy(study, QStringLiteral("Add flagged"));
        QTableView *table = m_page->tableView();
        RowTableModel *model = m_page->model();
        const QModelIndex flag = model->index(0, column(model, "flagged"));
        table->edit(flag);
        auto *yesNo = qobject_cast<QComboBox *>(table->indexWidget(flag));
        QVERIFY(yesNo);
        QCOMPARE(yesNo->count(), 2);
        QCOMPARE(yesNo->itemText(0), QStringLiteral("true"));
        QCOMPARE(yesNo->itemText(1), QStringLiteral("false"));
        yesNo->setCurrentIndex(1);
        emit yesNo->activated(1);
        QCOMPARE(m_doc->examples(Split::Train)[0].values.get("flagged"), prism::Value(false));
        QTRY_VERIFY(!table->indexWidget(flag));

        // A list of enum values: one check box per value, the row's values checked.
        const int violations = column(model, "policy_violations");
        int row = -1;
        const auto &train = m_doc->examples(Split::Train);
        for (std::size_t r = 0; r < train.size() && row < 0; ++r)
            if (train[r].values.get("policy_violations").asList().size() == 1)
                row = static_cast<int>(r);
        QVERIFY(row >= 0);
        const std::string had =
            train[static_cast<std::size_t>(row)].values.get("policy_violations").asList()[0].asString();
        const QModelIndex cell = model->index(row, violations);
        table->setCurrentIndex(cell);
        table->edit(cell);
        auto *checks = qobject_cast<QComboBox *>(table->indexWidget(cell));
        QVERIFY(checks);
        const auto &options = m_doc->study()
                                  .program.predictors.front()
                                  .signature.findOutput("policy_violations")
                                  ->type.element()
                                  .enumValues();
        QCOMPARE(checks->count(), static_cast<int>(options.size()));
        int other = -1;
        for (int i = 0; i < checks->count(); ++i) {
            const bool checked = checks->itemData(i, Qt::CheckStateRole).toInt() == Qt::Checked;
            QCOMPARE(checked, checks->itemText(i).toStdString() == had);
            if (!checked && other < 0)
                other = i;
        }
        // Ticking a second value in the popup keeps it open; closing it writes both.
        checks->showPopup();
        QAbstractItemView *popup = checks->view();
        QTRY_VERIFY(popup->isVisible());
        const QRect item = popup->visualRect(popup->model()->index(other, 0));
        QTest::mouseClick(popup->viewport(), Qt::LeftButton, {}, item.center());
        QVERIFY(popup->isVisible());
        checks->hidePopup();
        const prism::Value written =
            m_doc->examples(Split::Train)[static_cast<std::size_t>(row)].values.get("policy_violations");
        QCOMPARE(written.asList().size(), std::size_t(2));
        std::set<std::string> labels;
        for (const auto &v : written.asList())
            labels.insert(v.asString());
        QVERIFY(labels.contains(had));
        QVERIFY(labels.contains(options[static_cast<std::size_t>(other)]));
        m_doc->undoStack()->undo();
        QCOMPARE(m_doc->examples(Split::Train)[static_cast<std::size_t>(row)]
                     .values.get("policy_violations")
                     .asList()
                     .size(),
                 std::size_t(1));
    }

    void labelsOutsideANarrowedEnumAreFlagged()
    {
        // The rows labelled "high", counted over every split before the edit.
        int high = 0;
        for (Split split : allSplits)
            for (const auto &example : m_doc->examples(split))
                if (example.values.get("severity") == prism::Value("high"))
                    ++high;
        QVERIFY(high > 0);
        QCOMPARE(m_page->rowsOutsideEnum(), 0);
        QVERIFY(m_page->labelWarning().isEmpty());

        // The user drops "high" from the enum on the Program page.
        SignaturePage signature(m_doc.get());
        QTableWidget *fields = signature.fieldsTable();
        int severityRow = -1;
        for (int r = 0; r < fields->rowCount(); ++r)
            if (fields->item(r, 0)->text() == QStringLiteral("severity"))
                severityRow = r;
        QVERIFY(severityRow >= 0);
        fields->item(severityRow, 3)->setText(QStringLiteral("low, medium"));

        QCOMPARE(m_page->rowsOutsideEnum(), high);
        QVERIFY2(signature.bannerMessage().startsWith(QStringLiteral("%1 rows of the dataset").arg(high)),
                 qPrintable(signature.bannerMessage()));
        QVERIFY2(m_page->labelWarning().startsWith(QStringLiteral("%1 rows").arg(high)),
                 qPrintable(m_page->labelWarning()));
        QVERIFY(m_page->labelWarning().contains(QStringLiteral("severity: %1").arg(high)));

        // The cells are tinted and say why; the others are not.
        RowTableModel *model = m_page->model();
        const int severity = column(model, "severity");
        int firstHigh = -1;
        int firstLow = -1;
        const auto &train = m_doc->examples(Split::Train);
        for (std::size_t r = 0; r < train.size(); ++r) {
            const prism::Value v = train[r].values.get("severity");
            if (v == prism::Value("high") && firstHigh < 0)
                firstHigh = static_cast<int>(r);
            if (v == prism::Value("low") && firstLow < 0)
                firstLow = static_cast<int>(r);
        }
        QVERIFY(firstHigh >= 0 && firstLow >= 0);
        QVERIFY(model->data(model->index(firstHigh, severity), Qt::BackgroundRole).value<QBrush>().style()
                != Qt::NoBrush);
        QVERIFY(model->data(model->index(firstHigh, severity), Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("will not load")));
        QVERIFY(!model->data(model->index(firstLow, severity), Qt::BackgroundRole).isValid());

        // "Show First" takes the user to the first one.
        m_page->setCurrentSplit(Split::Test);
        auto *banner = m_page->findChild<QWidget *>(QStringLiteral("labelBanner"));
        QVERIFY(banner);
        auto *show = banner->findChild<QPushButton *>(QStringLiteral("errorBannerAction"));
        QVERIFY(show && show->isVisible());
        QTest::mouseClick(show, Qt::LeftButton);
        QCOMPARE(m_page->currentSplit(), Split::Train);
        QCOMPARE(m_page->tableView()->currentIndex(), model->index(firstHigh, severity));

        // Fixing one row lowers the count; undoing the enum edit clears the warning.
        QVERIFY(model->setData(model->index(firstHigh, severity), QStringLiteral("medium")));
        QCOMPARE(m_page->rowsOutsideEnum(), high - 1);
        m_doc->undoStack()->undo();
        m_doc->undoStack()->undo();
        QCOMPARE(m_page->rowsOutsideEnum(), 0);
        QVERIFY(m_page->labelWarning().isEmpty());
    }

    void aRejectedEditsMessageGoesAfterTheNextEditOrUndo()
    {
        RowTableModel *model = m_page->model();
        const int severity = column(model, "severity");
        QVERIFY(!model->setData(model->index(0, severity), QStringLiteral("extreme")));
        QVERIFY(m_page->bannerMessage().contains(QStringLiteral("extreme")));
        QVERIFY(model->setData(model->index(1, severity), QStringLiteral("medium")));
        QVERIFY2(m_page->bannerMessage().isEmpty(), qPrintable(m_page->bannerMessage()));

        QVERIFY(!model->setData(model->index(0, severity), QStringLiteral("extreme")));
        QVERIFY(!m_page->bannerMessage().isEmpty());
        m_doc->undoStack()->undo();
        QVERIFY2(m_page->bannerMessage().isEmpty(), qPrintable(m_page->bannerMessage()));

        // An import's report goes with the import when it is undone.
        const QString path = m_dir.filePath(QStringLiteral("more.jsonl"));
        writeFile(path, "{\"snippet\": \"a\", \"severity\": \"low\", \"policy_violations\": []}\n");
        uitest::onNextDialog<ColumnMappingDialog>([](ColumnMappingDialog *d) { d->accept(); });
        QVERIFY2(m_page->importFile(path), qPrintable(m_page->bannerMessage()));
        QVERIFY(m_page->bannerMessage().startsWith(QStringLiteral("Imported")));
        m_doc->undoStack()->undo();
        QVERIFY2(m_page->bannerMessage().isEmpty(), qPrintable(m_page->bannerMessage()));

        // An import's error is about the file, not the rows: an edit leaves it in view.
        m_page->importFile(m_dir.filePath(QStringLiteral("missing.csv")));
        const QString importError = m_page->bannerMessage();
        QVERIFY(!importError.isEmpty());
        QVERIFY(model->setData(model->index(1, severity), QStringLiteral("low")));
        QCOMPARE(m_page->bannerMessage(), importError);
    }
};

QTEST_MAIN(TestDatasetPage)
#include "test_datasetpage.moc"
