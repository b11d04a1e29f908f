#include "pages/historypage.h"
#include "widgets/filedialogs.h"

#include "export/exporters.h"
#include "qtconvert.h"
#include "widgets/errorbanner.h"

#include "core/json.h"
#include "run/run_controller.h"
#include "run/run_store.h"

#include <QColor>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace {

constexpr int RunIdRole = Qt::UserRole + 1;
constexpr int HasArtifactRole = Qt::UserRole + 2;

QString percent(const std::optional<double> &value)
{
    return value ? QString::number(*value, 'f', 2) + QLatin1Char('%') : QString();
}

// "2026-11-22T10:04:31Z" -> "2026-11-22 10:04:31 UTC": easier to scan in a column.
QString readableTime(const std::string &iso)
{
    QString t = toQ(iso);
    if (t.endsWith(QLatin1Char('Z')) && t.contains(QLatin1Char('T')))
        return t.chopped(1).replace(QLatin1Char('T'), QLatin1Char(' ')) + QStringLiteral(" UTC");
    return t;
}

QString rowsHtml(const QList<QPair<QString, QString>> &rows)
{
    QString html = QStringLiteral("<table cellspacing=\"0\" cellpadding=\"3\">");
    for (const auto &[key, value] : rows)
        html += QStringLiteral("<tr><td style=\"color:#5b6676;padding-right:12px\">%1</td><td>%2</td></tr>")
                    .arg(key.toHtmlEscaped(), value.toHtmlEscaped());
    return html + QStringLiteral("</table>");
}

QString jsonValueText(const prism::Json &value)
{
    return value.is_string() ? toQ(value.get<std::string>()) : toQ(value.dump());
}

} // namespace

HistoryPage::HistoryPage(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("historyPage"));
    auto *layout = new QVBoxLayout(this);
    m_banner = new ErrorBanner(this);
    layout->addWidget(m_banner);

    auto *top = new QHBoxLayout;
    m_storeLabel = new QLabel(this);
    m_storeLabel->setObjectName(QStringLiteral("historyStoreLabel"));
    m_storeLabel->setForegroundRole(QPalette::PlaceholderText);
    m_storeLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_refresh = new QPushButton(tr("&Refresh"), this);
    m_refresh->setObjectName(QStringLiteral("historyRefreshButton"));
    top->addWidget(m_storeLabel, 1);
    top->addWidget(m_refresh);
    layout->addLayout(top);

    layout->addWidget(buildRunsSplitter(), 1);
    layout->addLayout(buildActions());
    connectSignals();

    refresh();
}

QSplitter *HistoryPage::buildRunsSplitter()
{
    m_model = new QStandardItemModel(0, ColumnCount, this);
    m_model->setHorizontalHeaderLabels({tr("Run"), tr("Created"), tr("Study"), tr("Optimizer"), tr("Seed"),
                                        tr("Status"), tr("Stop reason"), tr("Baseline"), tr("Best"), tr("Sessions")});
    m_model->horizontalHeaderItem(BaselineColumn)
        ->setToolTip(tr("Score of the study's program on the split the optimizer selected on: validation, or a "
                        "held-out part of train when the study has no validation split"));
    m_model->horizontalHeaderItem(BestColumn)
        ->setToolTip(tr("Score of the best program found, on the same split as Baseline"));
    m_model->horizontalHeaderItem(SessionsColumn)->setToolTip(tr("1 + the number of times the run was resumed"));

    auto *splitter = new QSplitter(Qt::Vertical, this);
    m_table = new QTableView(splitter);
    m_table->setObjectName(QStringLiteral("historyTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    // Every column fits its content (ids, dates, scores are short); the stop
    // reason takes what is left and elides.
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(StopReasonColumn, QHeaderView::Stretch);
    m_table->horizontalHeader()->setMinimumSectionSize(fontMetrics().averageCharWidth() * 6);

    m_details = new QTextBrowser(splitter);
    m_details->setObjectName(QStringLiteral("historyDetails"));
    m_details->setOpenLinks(false);
    splitter->addWidget(m_table);
    splitter->addWidget(m_details);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    return splitter;
}

QHBoxLayout *HistoryPage::buildActions()
{
    auto *buttons = new QHBoxLayout;
    m_open = new QPushButton(tr("&Open in Monitor"), this);
    m_open->setObjectName(QStringLiteral("historyOpenButton"));
    m_compareBaseline = new QPushButton(tr("Compare with &Baseline"), this);
    m_compareBaseline->setObjectName(QStringLiteral("historyCompareBaselineButton"));
    m_compareBaseline->setToolTip(tr("The run's program against the study's own program, on the study's test split"));
    m_compareRuns = new QPushButton(tr("Compare &Two Runs"), this);
    m_compareRuns->setObjectName(QStringLiteral("historyCompareRunsButton"));
    m_compareRuns->setToolTip(tr("Select exactly two runs (Ctrl+click) to compare their programs"));
    m_export = new QPushButton(tr("&Export Program…"), this);
    m_export->setObjectName(QStringLiteral("historyExportButton"));
    m_export->setToolTip(tr("Saves the run's program in DSPy's format (loadable with module.load)"));
    buttons->addWidget(m_open);
    buttons->addWidget(m_compareBaseline);
    buttons->addWidget(m_compareRuns);
    buttons->addStretch(1);
    buttons->addWidget(m_export);
    return buttons;
}

void HistoryPage::connectSignals()
{
    connect(m_refresh, &QPushButton::clicked, this, &HistoryPage::refresh);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &HistoryPage::onSelectionChanged);
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        emit openRunRequested(m_model->item(index.row(), IdColumn)->data(RunIdRole).toString());
    });
    connect(m_open, &QPushButton::clicked, this, [this] {
        const QStringList ids = selectedRunIds();
        if (ids.size() == 1)
            emit openRunRequested(ids.first());
    });
    connect(m_compareBaseline, &QPushButton::clicked, this, [this] {
        const QStringList ids = selectedRunIds();
        if (ids.size() == 1)
            emit compareWithBaselineRequested(ids.first());
    });
    connect(m_compareRuns, &QPushButton::clicked, this, [this] {
        const QStringList ids = selectedRunIds();
        // Older run as A, newer as B: the table is newest first.
        if (ids.size() == 2)
            emit compareRunsRequested(ids.at(1), ids.at(0));
    });
    connect(m_export, &QPushButton::clicked, this, &HistoryPage::chooseExportPath);
}

HistoryPage::~HistoryPage() = default;

void HistoryPage::setStore(std::shared_ptr<prism::RunStore> store)
{
    m_store = std::move(store);
    refresh();
}

void HistoryPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    // Runs finish while the page is hidden; the list is cheap to re-read.
    refresh();
}

void HistoryPage::refresh()
{
    const QStringList selected = selectedRunIds();
    m_model->removeRows(0, m_model->rowCount());
    m_banner->clear();
    if (!m_store) {
        m_storeLabel->setText(tr("No run store is open."));
        onSelectionChanged();
        return;
    }
    auto runs = m_store->listRuns();
    if (!runs) {
        m_banner->showMessage(tr("The run list could not be read: %1").arg(toQ(runs.error().message)));
        onSelectionChanged();
        return;
    }
    m_storeLabel->setText(
        tr("%1 in %2")
            .arg(countOf(static_cast<long long>(runs->size()), tr("run"), tr("runs")),
                 m_sourceName.isEmpty() ? QDir::toNativeSeparators(toQ(m_store->path())) : m_sourceName));
    for (const prism::RunRecord &run : runs.value()) {
        QList<QStandardItem *> items;
        auto add = [&](const QString &text, bool right = false) {
            auto *item = new QStandardItem(text);
            item->setToolTip(text);
            if (right)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            items << item;
        };
        add(toQ(run.id));
        add(readableTime(run.createdAt));
        add(toQ(run.studyName));
        add(toQ(run.optimizer));
        add(QString::number(run.seed), true);
        add(toQ(prism::runStatusName(run.status)));
        add(toQ(run.stopReason.text()));
        add(percent(run.baselineScore), true);
        add(percent(run.bestScore), true);
        add(QString::number(run.sessions), true);
        items[IdColumn]->setData(toQ(run.id), RunIdRole);
        items[IdColumn]->setData(run.hasArtifact, HasArtifactRole);
        if (run.status == prism::RunStatus::Failed)
            items[StatusColumn]->setForeground(QColor(0xb3, 0x26, 0x1e));
        else if (run.status == prism::RunStatus::Running || run.status == prism::RunStatus::Queued)
            items[StatusColumn]->setForeground(QColor(0x3a, 0x6e, 0xc8));
        m_model->appendRow(items);
    }
    selectRuns(selected);
    onSelectionChanged();
}

QStringList HistoryPage::runIds() const
{
    QStringList ids;
    for (int r = 0; r < m_model->rowCount(); ++r)
        ids << m_model->item(r, IdColumn)->data(RunIdRole).toString();
    return ids;
}

QStringList HistoryPage::selectedRunIds() const
{
    QList<int> rows;
    for (const QModelIndex &index : m_table->selectionModel()->selectedRows())
        rows << index.row();
    std::sort(rows.begin(), rows.end());
    QStringList ids;
    for (int r : rows)
        ids << m_model->item(r, IdColumn)->data(RunIdRole).toString();
    return ids;
}

void HistoryPage::selectRuns(const QStringList &ids)
{
    QItemSelection selection;
    for (int r = 0; r < m_model->rowCount(); ++r)
        if (ids.contains(m_model->item(r, IdColumn)->data(RunIdRole).toString()))
            selection.select(m_model->index(r, 0), m_model->index(r, ColumnCount - 1));
    m_table->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
}

bool HistoryPage::hasArtifact(const QString &runId) const
{
    for (int r = 0; r < m_model->rowCount(); ++r)
        if (m_model->item(r, IdColumn)->data(RunIdRole).toString() == runId)
            return m_model->item(r, IdColumn)->data(HasArtifactRole).toBool();
    return false;
}

void HistoryPage::onSelectionChanged()
{
    const QStringList ids = selectedRunIds();
    const bool one = ids.size() == 1;
    m_open->setEnabled(one);
    m_compareBaseline->setEnabled(one && hasArtifact(ids.first()));
    m_compareRuns->setEnabled(ids.size() == 2 && hasArtifact(ids.at(0)) && hasArtifact(ids.at(1)));
    m_export->setEnabled(one && hasArtifact(ids.first()));
    if (one)
        showDetails(ids.first());
    else if (ids.size() == 2)
        m_details->setHtml(tr("<p>Two runs selected: <b>%1</b> and <b>%2</b>. Compare Two Runs evaluates both programs "
                              "on the open study's test split.</p>")
                               .arg(ids.at(1).toHtmlEscaped(), ids.at(0).toHtmlEscaped()));
    else if (m_model->rowCount() == 0)
        m_details->setHtml(tr("<p>No runs yet. Start one on the Run page; every run is recorded here, with its "
                              "trials, its program and what it cost.</p>"));
    else
        m_details->setHtml(tr("<p>Select a run to see its settings, its result and its model calls.</p>"));
}

void HistoryPage::showDetails(const QString &runId)
{
    if (!m_store)
        return;
    const std::string id = toStd(runId);
    auto run = m_store->loadRun(id);
    if (!run) {
        m_details->setHtml(tr("<p>Run %1 could not be read: %2</p>")
                               .arg(runId.toHtmlEscaped(), toQ(run.error().message).toHtmlEscaped()));
        return;
    }
    const prism::RunRecord &r = run.value();
    QString html = QStringLiteral("<h3>%1 · %2</h3>").arg(runId.toHtmlEscaped(), toQ(r.studyName).toHtmlEscaped());

    QList<QPair<QString, QString>> overview{
        {tr("Status"),
         toQ(prism::runStatusName(r.status))
             + (r.stopReason.text().empty() ? QString() : QStringLiteral(" (%1)").arg(toQ(r.stopReason.text())))},
        {tr("Created"), readableTime(r.createdAt)},
        {tr("Finished"), r.finishedAt.empty() ? tr("not yet") : readableTime(r.finishedAt)},
        {tr("Study file"), r.studyPath.empty() ? tr("unsaved study") : QDir::toNativeSeparators(toQ(r.studyPath))},
        {tr("Optimizer"), QStringLiteral("%1, seed %2").arg(toQ(r.optimizer)).arg(r.seed)},
        {tr("Validation score"), r.baselineScore || r.bestScore
                                     ? tr("%1 baseline → %2 best").arg(percent(r.baselineScore), percent(r.bestScore))
                                     : tr("not measured")},
        {tr("Sessions"), QString::number(r.sessions)},
        {tr("Program"), r.hasArtifact ? tr("saved with the run") : tr("none (the run did not finish)")},
    };
    if (r.summary) {
        const prism::RunFinishedEvent &s = *r.summary;
        overview.append({tr("Trials"), QString::number(s.trials)});
        overview.append({tr("Spend"), s.dollars ? QStringLiteral("$%1").arg(*s.dollars, 0, 'f', 4) : tr("unknown")});
        for (const std::string &n : s.notes)
            overview.append({tr("Note"), toQ(n)});
    }
    html += rowsHtml(overview);

    QList<QPair<QString, QString>> settings;
    if (auto config = prism::parseJson(r.optimizerConfigJson, "settings"); config && config->is_object())
        for (const auto &[key, value] : config->items())
            settings.append({toQ(key), jsonValueText(value)});
    if (!settings.isEmpty())
        html += QStringLiteral("<h4>%1</h4>").arg(tr("Optimizer settings")) + rowsHtml(settings);

    if (auto totals = m_store->ledgerTotals(id)) {
        html +=
            QStringLiteral(
                "<h4>%1</h4><table cellspacing=\"0\" cellpadding=\"3\" border=\"1\" style=\"border-color:#d5dbe5\">")
                .arg(tr("Model calls by role"));
        html += QStringLiteral("<tr><th>%1</th><th>%2</th><th>%3</th><th>%4</th><th>%5</th><th>%6</th></tr>")
                    .arg(tr("Role"), tr("Calls"), tr("Cache hits"), tr("Errors"), tr("Tokens in / out"), tr("Dollars"));
        auto row = [&html](const QString &role, const prism::LedgerTotals &t, bool bold) {
            const QString tokens = QStringLiteral("%1 / %2").arg(
                t.promptTokensUnknown ? tr("unknown") : QString::number(t.promptTokens),
                t.completionTokensUnknown ? tr("unknown") : QString::number(t.completionTokens));
            const QString dollars = t.dollarsUnknown ? tr("unknown") : QStringLiteral("$%1").arg(t.dollars, 0, 'f', 4);
            QString line =
                QStringLiteral(
                    "<tr><td>%1</td><td align=\"right\">%2</td><td align=\"right\">%3</td><td align=\"right\">%4</td>"
                    "<td align=\"right\">%5</td><td align=\"right\">%6</td></tr>")
                    .arg(role.toHtmlEscaped())
                    .arg(t.calls)
                    .arg(t.cacheHits)
                    .arg(t.errors)
                    .arg(tokens, dollars);
            if (bold)
                line.replace(QStringLiteral("<td"), QStringLiteral("<td style=\"font-weight:bold\""));
            html += line;
        };
        for (const auto &[role, t] : totals->byRole)
            row(toQ(role), t, false);
        row(tr("total"), totals->total, true);
        html += QStringLiteral("</table>");
    }
    m_details->setHtml(html);
}

bool HistoryPage::exportProgram(const QString &runId, const QString &path, QString *error)
{
    if (!m_store) {
        if (error)
            *error = tr("No run store is open.");
        return false;
    }
    auto written = exportProgramJson(*m_store, runId, path);
    if (!written) {
        const QString message =
            tr("The program of run %1 was not exported: %2").arg(runId, toQ(written.error().message));
        m_banner->showMessage(message);
        if (error)
            *error = message;
        return false;
    }
    m_banner->showMessage(tr("Saved the program of run %1 to %2.").arg(runId, QDir::toNativeSeparators(path)),
                          ErrorBanner::Kind::Info);
    rememberExportFolder(path);
    emit exported(true, path);
    return true;
}

void HistoryPage::chooseExportPath()
{
    const QStringList ids = selectedRunIds();
    if (ids.size() != 1)
        return;
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export Program of %1").arg(ids.first()),
        QDir(exportFolder(QString())).filePath(ids.first() + QStringLiteral(".json")), tr("DSPy program (*.json)"));
    if (!path.isEmpty())
        exportProgram(ids.first(), path);
}
