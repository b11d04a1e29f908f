#include "pages/datasetpage.h"

#include "models/rowtablemodel.h"
#include "qtconvert.h"
#include "widgets/columnmappingdialog.h"
#include "widgets/errorbanner.h"
#include "widgets/fielddelegate.h"
#include "widgets/splitdialog.h"
#include "widgets/studyinfodialog.h"

#include "data/dataset.h"
#include "data/import.h"

#include <QAction>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMimeData>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSplitter>
#include <QTabBar>
#include <QTableView>
#include <QTimer>
#include <QUndoStack>
#include <QVBoxLayout>

#include <algorithm>
#include <array>
#include <map>

namespace {

// The rows of an import by split: every row into the dialog's split, or each
// to the split its column names; rows that do not fit skipped when asked.
struct RoutedRows {
    std::array<std::vector<prism::Example>, 3> rows;
    std::vector<prism::RowProblem> skipped;
};

prism::Result<RoutedRows> routeImport(const prism::RawTable &table, const prism::Program &program,
                                      const ColumnMappingDialog &dialog, const std::string &path)
{
    prism::DatasetSource source;
    source.columns = dialog.mapping();
    prism::LenientRows mapped;
    if (dialog.skipBadRows()) {
        auto rows = prism::mapRowsLenient(table, source, program, path);
        if (!rows)
            return rows.error();
        mapped = std::move(rows.value());
    } else {
        // Without skipping, the first row that does not fit stops the import, as a study load would.
        auto rows = prism::mapRows(table, source, program, path);
        if (!rows)
            return rows.error();
        mapped.examples = std::move(rows.value());
        for (std::size_t r = 0; r < mapped.examples.size(); ++r)
            mapped.rowOf.push_back(r);
    }
    RoutedRows out;
    out.skipped = std::move(mapped.problems);
    std::vector<prism::DataSplit> splitOf;
    if (!dialog.splitColumn().isEmpty()) {
        auto splits = prism::splitsFromColumn(table, toStd(dialog.splitColumn()), path);
        if (!splits)
            return splits.error();
        splitOf = std::move(splits.value());
    }
    for (std::size_t k = 0; k < mapped.examples.size(); ++k) {
        const Split split = splitOf.empty() ? dialog.split() : static_cast<Split>(splitOf[mapped.rowOf[k]]);
        out.rows[static_cast<std::size_t>(split)].push_back(std::move(mapped.examples[k]));
    }
    return out;
}

prism::Dataset &datasetOf(prism::StudyData &data, Split split)
{
    switch (split) {
    case Split::Train: return data.train;
    case Split::Val: return data.val;
    case Split::Test: return data.test;
    }
    return data.train;
}

// How many values a free-text field may have before the panel shows only the most frequent.
constexpr std::size_t maxBars = 8;

struct FieldStats {
    std::vector<BarListWidget::Bar> bars;
    QString note;
};

FieldStats computeStats(const prism::Field &field, const std::vector<prism::Example> &rows)
{
    FieldStats stats;
    long long missing = 0;
    const prism::Type &type = field.type;
    const bool list = type.kind() == prism::TypeKind::List;
    const prism::Type &item = list ? type.element() : type;
    std::map<QString, long long> counts;
    long long emptyLists = 0;
    for (const auto &example : rows) {
        const prism::Value *value = example.values.find(field.name);
        if (!value || value->isNull()) {
            ++missing;
            continue;
        }
        if (list && value->isList()) {
            if (value->asList().empty())
                ++emptyLists;
            // A row counts once per option, however often it lists it.
            std::vector<QString> seen;
            for (const auto &v : value->asList()) {
                QString text = valueToText(v);
                if (std::find(seen.begin(), seen.end(), text) == seen.end()) {
                    seen.push_back(text);
                    ++counts[text];
                }
            }
        } else {
            ++counts[valueToText(*value)];
        }
    }
    if (item.kind() == prism::TypeKind::Enum) {
        // Every option, in declaration order, even those with no rows.
        for (const auto &v : item.enumValues()) {
            const QString key = toQ(v);
            stats.bars.push_back({key, counts.count(key) ? counts[key] : 0});
            counts.erase(key);
        }
        for (const auto &[key, n] : counts)
            stats.bars.push_back({key, n});
    } else if (item.kind() == prism::TypeKind::Bool) {
        for (const char *key : {"true", "false"}) {
            const QString k = QLatin1String(key);
            stats.bars.push_back({k, counts.count(k) ? counts[k] : 0});
        }
    } else {
        std::vector<BarListWidget::Bar> all;
        for (const auto &[key, n] : counts)
            all.push_back({key, n});
        std::stable_sort(all.begin(), all.end(), [](const auto &a, const auto &b) { return a.count > b.count; });
        if (all.size() > maxBars) {
            stats.note = QObject::tr("%1 distinct values; the %2 most frequent:").arg(all.size()).arg(maxBars);
            all.resize(maxBars);
        }
        stats.bars = std::move(all);
    }
    if (list)
        stats.bars.push_back({QObject::tr("(empty list)"), emptyLists});
    if (missing > 0)
        stats.bars.push_back({QObject::tr("(missing)"), missing});
    return stats;
}

} // namespace

DatasetPage::DatasetPage(StudyDocument *document, QWidget *parent) : QWidget(parent), m_document(document)
{
    setObjectName(QStringLiteral("datasetPage"));
    setAcceptDrops(true);
    auto *layout = new QVBoxLayout(this);

    m_banner = new ErrorBanner(this);
    layout->addWidget(m_banner);
    m_labelBanner = new ErrorBanner(this);
    m_labelBanner->setObjectName(QStringLiteral("labelBanner"));
    layout->addWidget(m_labelBanner);
    connect(m_labelBanner, &ErrorBanner::actionTriggered, this, &DatasetPage::showFirstOutsideEnum);

    m_studyLabel = new QLabel(this);
    m_studyLabel->setObjectName(QStringLiteral("studyNameLabel"));
    m_studyLabel->setTextFormat(Qt::RichText);
    m_studyLabel->setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
    connect(m_studyLabel, &QLabel::linkActivated, this, &DatasetPage::editStudyInfo);
    layout->addWidget(m_studyLabel);

    layout->addLayout(buildToolbar());

    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("datasetSummary"));
    m_summary->setTextFormat(Qt::PlainText);
    layout->addWidget(m_summary);

    layout->addWidget(buildRowsSplitter(), 1);

    m_statsTimer = new QTimer(this);
    m_statsTimer->setSingleShot(true);
    m_statsTimer->setInterval(50);
    connect(m_statsTimer, &QTimer::timeout, this, &DatasetPage::rebuildStats);

    connectViews();
    m_deleteButton->setEnabled(false);

    auto onData = [this] {
        updateSplitTabs();
        updateSummary();
        scheduleStats();
    };
    connect(m_document, &StudyDocument::dataChanged, this, onData);
    connect(m_document, &StudyDocument::rowChanged, this, onData);
    connect(m_document, &StudyDocument::rowsInserted, this, onData);
    connect(m_document, &StudyDocument::rowsRemoved, this, onData);
    connect(m_document, &StudyDocument::studyChanged, this, onData);
    connect(m_document, &StudyDocument::documentReset, this, [this] {
        m_banner->clear();
        resizeColumns();
    });

    // Labels outside the enum: recounted when rows change, and when the study
    // changes only if an enum did (typing an instruction costs no pass over the rows).
    auto recount = [this] { checkLabels(false); };
    connect(m_document, &StudyDocument::studyChanged, this, [this] {
        checkLabels(true);
        updateStudyLabel();
    });
    connect(m_document, &StudyDocument::dataChanged, this, recount);
    connect(m_document, &StudyDocument::rowChanged, this, recount);
    connect(m_document, &StudyDocument::rowsInserted, this, recount);
    connect(m_document, &StudyDocument::rowsRemoved, this, recount);
    connect(m_document, &StudyDocument::documentReset, this, [this] {
        checkLabels(false);
        updateStudyLabel();
    });
    checkLabels(false);
    updateStudyLabel();
    updateSplitTabs();
    updateSummary();
    resizeColumns();
    rebuildStats();
}

QHBoxLayout *DatasetPage::buildToolbar()
{
    auto *bar = new QHBoxLayout;
    m_splitTabs = new QTabBar(this);
    m_splitTabs->setObjectName(QStringLiteral("splitTabs"));
    m_splitTabs->setDrawBase(false);
    m_splitTabs->setExpanding(false);
    for (Split split : allSplits)
        m_splitTabs->addTab(splitTitle(split));
    bar->addWidget(m_splitTabs);
    bar->addStretch(1);
    auto button = [this, bar](const QString &text, const QString &name, const QString &tip) {
        auto *b = new QPushButton(text, this);
        b->setObjectName(name);
        b->setToolTip(tip);
        bar->addWidget(b);
        return b;
    };
    auto *importButton = button(tr("&Import\u2026"), QStringLiteral("importButton"),
                                tr("Add rows from a JSON, JSONL or CSV file (or drop the file on this page)"));
    auto *addButton =
        button(tr("&Add Row"), QStringLiteral("addRowButton"), tr("Insert an empty row after the current one"));
    m_deleteButton =
        button(tr("&Delete Rows"), QStringLiteral("deleteRowsButton"), tr("Delete the selected rows (Del)"));
    auto *splitButton = button(tr("S&plit\u2026"), QStringLiteral("splitButton"),
                               tr("Deal all rows again into train, val and test with a seed"));
    connect(importButton, &QPushButton::clicked, this, &DatasetPage::importWithDialog);
    connect(addButton, &QPushButton::clicked, this, &DatasetPage::addRow);
    connect(m_deleteButton, &QPushButton::clicked, this, &DatasetPage::deleteSelectedRows);
    connect(splitButton, &QPushButton::clicked, this, &DatasetPage::splitWithDialog);
    return bar;
}

QSplitter *DatasetPage::buildRowsSplitter()
{
    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setObjectName(QStringLiteral("datasetSplitter"));
    splitter->setChildrenCollapsible(false);
    m_model = new RowTableModel(m_document, this);
    m_table = new QTableView(splitter);
    m_table->setObjectName(QStringLiteral("rowsTable"));
    m_table->setModel(m_model);
    m_table->setItemDelegate(new FieldDelegate(m_model, m_table));
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setSelectionBehavior(QAbstractItemView::SelectItems);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed
                             | QAbstractItemView::AnyKeyPressed);
    m_table->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    // Fixed row heights: the view never measures 100k rows.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() * 3 / 2);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);

    auto *statsScroll = new QScrollArea(splitter);
    statsScroll->setObjectName(QStringLiteral("labelStats"));
    statsScroll->setWidgetResizable(true);
    statsScroll->setFrameShape(QFrame::NoFrame);
    statsScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_statsContent = new QWidget(statsScroll);
    m_statsLayout = new QVBoxLayout(m_statsContent);
    statsScroll->setWidget(m_statsContent);
    statsScroll->setMinimumWidth(fontMetrics().averageCharWidth() * 34);
    splitter->addWidget(m_table);
    splitter->addWidget(statsScroll);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 0);
    splitter->setSizes({fontMetrics().averageCharWidth() * 120, fontMetrics().averageCharWidth() * 44});

    auto *deleteAction = new QAction(tr("Delete Rows"), m_table);
    deleteAction->setShortcut(QKeySequence::Delete);
    deleteAction->setShortcutContext(Qt::WidgetShortcut);
    m_table->addAction(deleteAction);
    connect(deleteAction, &QAction::triggered, this, &DatasetPage::deleteSelectedRows);
    return splitter;
}

void DatasetPage::connectViews()
{
    connect(m_splitTabs, &QTabBar::currentChanged, this, [this](int index) {
        m_model->setSplit(static_cast<Split>(index));
        updateSummary();
        scheduleStats();
    });
    connect(m_model, &RowTableModel::editRejected, this, [this](const QString &message) {
        m_editError = message;
        m_banner->showMessage(message);
    });
    // A rejected edit's message, or the report of an import or a split, is stale once the
    // study changed again (a good edit, an undo). An import's error is about a file: it stays.
    connect(m_document->undoStack(), &QUndoStack::indexChanged, this, [this] {
        const QString shown = m_banner->message();
        if (!shown.isEmpty() && (shown == m_editError || m_banner->kind() == ErrorBanner::Kind::Info))
            m_banner->clear();
        m_editError.clear();
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            [this] { m_deleteButton->setEnabled(m_table->selectionModel()->hasSelection()); });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] { m_deleteButton->setEnabled(false); });
}

Split DatasetPage::currentSplit() const
{
    return static_cast<Split>(std::max(0, m_splitTabs->currentIndex()));
}

void DatasetPage::setCurrentSplit(Split split)
{
    m_splitTabs->setCurrentIndex(static_cast<int>(split));
}

QString DatasetPage::bannerMessage() const
{
    return m_banner->message();
}

void DatasetPage::updateStudyLabel()
{
    const prism::Study &study = m_document->study();
    m_studyLabel->setText(tr("Study: <b>%1</b> &nbsp; <a href=\"rename\">Rename\u2026</a>")
                              .arg(m_document->displayName().toHtmlEscaped()));
    m_studyLabel->setToolTip(study.description.empty() ? tr("Rename the study or give it a description")
                                                       : toQ(study.description));
}

void DatasetPage::editStudyInfo()
{
    StudyInfoDialog::editStudy(m_document, this);
}

QString DatasetPage::labelWarning() const
{
    return m_labelBanner->message();
}

void DatasetPage::checkLabels(bool studyOnly)
{
    std::vector<prism::Field> enumFields;
    for (auto &field : m_document->dataFields()) {
        const bool list = field.type.kind() == prism::TypeKind::List;
        if ((list ? field.type.element() : field.type).kind() == prism::TypeKind::Enum)
            enumFields.push_back(std::move(field));
    }
    if (studyOnly && enumFields == m_enumFields)
        return;
    m_enumFields = std::move(enumFields);
    Outside outside;
    std::vector<int> perField(m_enumFields.size(), 0);
    for (Split split : allSplits) {
        const auto &rows = m_document->examples(split);
        for (std::size_t r = 0; r < rows.size(); ++r) {
            bool any = false;
            for (std::size_t f = 0; f < m_enumFields.size(); ++f) {
                const prism::Value *value = rows[r].values.find(m_enumFields[f].name);
                if (!value || !isOutsideEnum(*value, m_enumFields[f].type))
                    continue;
                ++perField[f];
                if (outside.row < 0) {
                    outside.split = split;
                    outside.row = static_cast<int>(r);
                    outside.field = m_enumFields[f].name;
                }
                any = true;
            }
            outside.rows += any ? 1 : 0;
        }
    }
    m_outside = std::move(outside);
    if (m_outside.rows == 0) {
        m_labelBanner->clear();
        return;
    }
    QStringList counts;
    for (std::size_t f = 0; f < m_enumFields.size(); ++f)
        if (perField[f] > 0)
            counts << QStringLiteral("%1: %2").arg(toQ(m_enumFields[f].name)).arg(perField[f]);
    m_labelBanner->showMessage(
        tr("%1 with a label that is not one of its field's values (%2). The study will not open again with "
           "them: choose a value in each highlighted cell, or add the label to the enum on the Program page.")
            .arg(countOf(m_outside.rows, tr("row"), tr("rows")), counts.join(QStringLiteral(", "))),
        ErrorBanner::Kind::Warning, tr("Show First"));
}

void DatasetPage::showFirstOutsideEnum()
{
    if (m_outside.row < 0)
        return;
    setCurrentSplit(m_outside.split);
    const auto &fields = m_model->fields();
    for (int c = 0; c < static_cast<int>(fields.size()); ++c) {
        if (fields[static_cast<std::size_t>(c)].name != m_outside.field)
            continue;
        const QModelIndex index = m_model->index(m_outside.row, c);
        m_table->setCurrentIndex(index);
        m_table->scrollTo(index, QAbstractItemView::PositionAtCenter);
        m_table->setFocus();
        return;
    }
}

void DatasetPage::updateSplitTabs()
{
    for (Split split : allSplits)
        m_splitTabs->setTabText(static_cast<int>(split),
                                QStringLiteral("%1 (%2)").arg(splitTitle(split)).arg(m_document->rowCount(split)));
}

void DatasetPage::updateSummary()
{
    const Split split = currentSplit();
    const int rows = m_document->rowCount(split);
    const QString path = m_document->sourcePath(split);
    QString text = countOf(rows, tr("row"), tr("rows"));
    if (!path.isEmpty())
        text += tr(" \u00b7 from %1").arg(QFileInfo(path).fileName());
    if (rows == 0)
        text += tr(" \u00b7 import a file or drop one here, or use Split\u2026 to carve this split out of the others");
    m_summary->setText(text);
}

void DatasetPage::resizeColumns()
{
    // Widths from the type, not from measuring 100k cells.
    const int ch = fontMetrics().averageCharWidth();
    const auto &fields = m_model->fields();
    for (int c = 0; c < static_cast<int>(fields.size()); ++c) {
        const prism::Type &type = fields[static_cast<std::size_t>(c)].type;
        int chars = 16;
        if (type.kind() == prism::TypeKind::String)
            chars = m_document->isInputField(fields[static_cast<std::size_t>(c)].name) ? 60 : 30;
        else if (type.kind() == prism::TypeKind::List)
            chars = 28;
        else if (type.kind() == prism::TypeKind::Enum)
            chars = 14;
        const int header =
            m_table->horizontalHeader()->fontMetrics().horizontalAdvance(toQ(fields[static_cast<std::size_t>(c)].name))
            + ch * 4;
        m_table->setColumnWidth(c, std::max(ch * chars, header));
    }
}

void DatasetPage::scheduleStats()
{
    m_statsTimer->start();
}

void DatasetPage::rebuildStats()
{
    while (QLayoutItem *item = m_statsLayout->takeAt(0)) {
        if (QWidget *w = item->widget())
            w->deleteLater();
        delete item;
    }
    m_statBars.clear();
    const Split split = currentSplit();
    const auto &rows = m_document->examples(split);
    auto *title =
        new QLabel(tr("<b>Labels in %1</b> (%2)")
                       .arg(splitTitle(split), countOf(static_cast<long long>(rows.size()), tr("row"), tr("rows"))),
                   m_statsContent);
    m_statsLayout->addWidget(title);
    for (const auto &field : m_document->dataFields()) {
        if (m_document->isInputField(field.name))
            continue;
        const FieldStats stats = computeStats(field, rows);
        // The full type can be long (every enum value): brief here, complete in the tooltip.
        const bool list = field.type.kind() == prism::TypeKind::List;
        const prism::Type &item = list ? field.type.element() : field.type;
        QString brief =
            item.kind() == prism::TypeKind::Enum
                ? tr("enum, %1")
                      .arg(countOf(static_cast<long long>(item.enumValues().size()), tr("value"), tr("values")))
                : typeText(item);
        if (list)
            brief = tr("list of %1").arg(brief);
        auto *name = new QLabel(QStringLiteral("<b>%1</b> <span style='color:gray'>%2</span>")
                                    .arg(toQ(field.name).toHtmlEscaped(), brief.toHtmlEscaped()),
                                m_statsContent);
        name->setToolTip(typeText(field.type));
        name->setWordWrap(true);
        m_statsLayout->addSpacing(fontMetrics().height() / 2);
        m_statsLayout->addWidget(name);
        if (!stats.note.isEmpty()) {
            auto *note = new QLabel(stats.note, m_statsContent);
            note->setWordWrap(true);
            m_statsLayout->addWidget(note);
        }
        auto *bars = new BarListWidget(m_statsContent);
        bars->setObjectName(QStringLiteral("bars_") + toQ(field.name));
        bars->setBars(stats.bars, static_cast<long long>(rows.size()));
        m_statsLayout->addWidget(bars);
        m_statBars.emplace_back(toQ(field.name), bars);
    }
    m_statsLayout->addStretch(1);
}

std::vector<BarListWidget::Bar> DatasetPage::distribution(const QString &field) const
{
    if (m_statsTimer->isActive())
        const_cast<DatasetPage *>(this)->rebuildStats();
    for (const auto &[name, bars] : m_statBars)
        if (name == field)
            return bars->bars();
    return {};
}

bool DatasetPage::isImportable(const QString &path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    return suffix == QLatin1String("csv") || suffix == QLatin1String("json") || suffix == QLatin1String("jsonl")
           || suffix == QLatin1String("ndjson");
}

void DatasetPage::importWithDialog()
{
    QSettings settings;
    const QString dir = settings.value(QStringLiteral("dataset/importDir"), QDir::homePath()).toString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Import Rows"), dir,
                                                      tr("Data files (*.csv *.json *.jsonl *.ndjson);;All files (*)"));
    if (path.isEmpty())
        return;
    settings.setValue(QStringLiteral("dataset/importDir"), QFileInfo(path).absolutePath());
    importFile(path);
}

bool DatasetPage::importFile(const QString &path)
{
    m_banner->clear();
    // The open study's data limits, so a file it can load can also be imported.
    auto table = prism::loadTable(toStd(path), {}, m_document->study().data.limits);
    if (!table) {
        m_banner->showMessage(tr("Nothing was imported. %1").arg(toQ(table.error().message)));
        return false;
    }
    if (table.value().rows.empty()) {
        m_banner->showMessage(tr("Nothing was imported: %1 has no rows.").arg(path));
        return false;
    }

    const prism::Program &program = m_document->study().program;
    std::vector<ColumnMappingDialog::FieldSlot> fieldSlots;
    const auto &last =
        program.predictors.empty() ? std::vector<prism::Field>() : program.predictors.back().signature.outputs;
    for (const auto &field : m_document->dataFields()) {
        ColumnMappingDialog::FieldSlot slot;
        slot.field = field;
        slot.input = m_document->isInputField(field.name);
        slot.required = slot.input || std::any_of(last.begin(), last.end(), [&](const prism::Field &f) {
                            return f.name == field.name;
                        });
        fieldSlots.push_back(std::move(slot));
    }
    QStringList columns;
    for (const auto &c : table.value().columns)
        columns << toQ(c);
    ColumnMappingDialog dialog(std::move(fieldSlots), columns, QFileInfo(path).fileName(),
                               static_cast<int>(table.value().rows.size()), currentSplit(), this);
    dialog.setPreview(table.value(), program, toStd(path));
    if (dialog.exec() != QDialog::Accepted)
        return false;

    auto routed = routeImport(table.value(), program, dialog, toStd(path));
    if (!routed) {
        m_banner->showMessage(tr("Nothing was imported. %1").arg(toQ(routed.error().message)));
        return false;
    }
    prism::StudyData data = m_document->data();
    QStringList into;
    int count = 0;
    Split shown = dialog.split();
    for (Split split : allSplits) {
        auto &rows = routed->rows[static_cast<std::size_t>(split)];
        const bool target = dialog.splitColumn().isEmpty() ? split == dialog.split() : true;
        if (!target)
            continue;
        auto &examples = datasetOf(data, split).examples;
        if (dialog.replaceSplit())
            examples.clear();
        if (rows.empty())
            continue;
        into << tr("%1 into %2").arg(rows.size()).arg(splitTitle(split));
        count += static_cast<int>(rows.size());
        shown = split;
        examples.insert(examples.end(), std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
    }
    m_document->replaceData(
        data, tr("Import %1 from %2").arg(countOf(count, tr("row"), tr("rows")), QFileInfo(path).fileName()));
    setCurrentSplit(dialog.splitColumn().isEmpty() ? dialog.split() : shown);
    m_table->scrollToBottom();
    QString message =
        tr("Imported %1 from %2: %3.")
            .arg(countOf(count, tr("row"), tr("rows")), QFileInfo(path).fileName(), into.join(QStringLiteral(", ")));
    if (!routed->skipped.empty()) {
        QStringList lines;
        for (const auto &problem : routed->skipped)
            lines << QString::number(problem.line);
        message += tr(" Skipped %1 that did not fit: line %2. First: %3")
                       .arg(countOf(static_cast<long long>(lines.size()), tr("row"), tr("rows")),
                            lines.join(QStringLiteral(", ")), toQ(routed->skipped.front().message));
    }
    m_banner->showMessage(message, ErrorBanner::Kind::Info);
    return true;
}

void DatasetPage::addRow()
{
    const Split split = currentSplit();
    const QModelIndex current = m_table->currentIndex();
    const int row = current.isValid() ? current.row() + 1 : m_document->rowCount(split);
    prism::Example example;
    example.inputKeys = m_document->study().program.externalInputs();
    m_document->insertRows(split, row, {example});
    const QModelIndex index = m_model->index(row, 0);
    m_table->setCurrentIndex(index);
    m_table->scrollTo(index);
    m_table->setFocus();
}

void DatasetPage::deleteSelectedRows()
{
    const QItemSelection selection = m_table->selectionModel()->selection();
    // Row intervals from the selection ranges: no per-cell index lists on big selections.
    std::vector<std::pair<int, int>> spans;
    for (const QItemSelectionRange &range : selection)
        spans.emplace_back(range.top(), range.bottom());
    if (spans.empty())
        return;
    std::sort(spans.begin(), spans.end());
    std::vector<std::pair<int, int>> merged;
    for (const auto &span : spans) {
        if (!merged.empty() && span.first <= merged.back().second + 1)
            merged.back().second = std::max(merged.back().second, span.second);
        else
            merged.push_back(span);
    }
    int total = 0;
    for (const auto &[top, bottom] : merged)
        total += bottom - top + 1;
    const Split split = currentSplit();
    QUndoStack *stack = m_document->undoStack();
    stack->beginMacro(tr("Delete %1").arg(countOf(total, tr("row"), tr("rows"))));
    // Bottom first, so the earlier row numbers stay valid.
    for (auto it = merged.rbegin(); it != merged.rend(); ++it)
        m_document->removeRows(split, it->first, it->second - it->first + 1);
    stack->endMacro();
}

void DatasetPage::splitWithDialog()
{
    const prism::DataConfig &config = m_document->study().data;
    const double val = config.valFraction > 0 ? config.valFraction : 0.2;
    const double test = config.testFraction > 0 ? config.testFraction : 0.2;
    std::vector<prism::Field> outputs;
    for (const auto &field : m_document->dataFields())
        if (!m_document->isInputField(field.name))
            outputs.push_back(field);
    SplitDialog dialog(m_document->data(), outputs, val, test, config.splitSeed, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const prism::StudyData data = dialog.result();
    const QString by =
        dialog.stratifyField().empty() ? QString() : tr(", stratified by %1").arg(toQ(dialog.stratifyField()));
    m_document->replaceData(data, tr("Split rows (seed %1)").arg(dialog.seed()));
    m_banner->showMessage(tr("Split %1 rows: train %2, val %3, test %4 (seed %5%6).")
                              .arg(dialog.pooledRows())
                              .arg(data.train.examples.size())
                              .arg(data.val.examples.size())
                              .arg(data.test.examples.size())
                              .arg(dialog.seed())
                              .arg(by),
                          ErrorBanner::Kind::Info);
}

void DatasetPage::dragEnterEvent(QDragEnterEvent *event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.size() == 1 && urls.front().isLocalFile() && isImportable(urls.front().toLocalFile()))
        event->acceptProposedAction();
}

void DatasetPage::dropEvent(QDropEvent *event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.size() != 1 || !urls.front().isLocalFile())
        return;
    const QString path = urls.front().toLocalFile();
    event->acceptProposedAction();
    // After the drop returns: the mapping dialog must not run inside the drag loop.
    QTimer::singleShot(0, this, [this, path] { importFile(path); });
}
