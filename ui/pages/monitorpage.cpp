#include "core/json.h"
#include "run/run_store.h"

#include "pages/monitorpage.h"

#include "charts/heatmapwidget.h"
#include "charts/trialchart.h"
#include "qtconvert.h"
#include "run/gepaviews.h"
#include "run/runtablemodels.h"
#include "trace/tracedialog.h"
#include "trace/traceview.h"
#include "widgets/tableviews.h"

#include "run/run_example_trace.h"
#include "scripting/jsmetric.h"

#include <nlohmann/json.hpp>

#include <QComboBox>
#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTextBrowser>
#include <QTextDocumentFragment>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

namespace {

constexpr int kLedgerPollMs = 1000;
// Events replayed per apply() when a stored run is reopened: the same path
// as a live run, in batches the size of a busy live tick.
constexpr std::size_t kReplayBatch = 500;

QString percentText(double score)
{
    return QStringLiteral("%1%").arg(QString::number(score, 'f', 1));
}

QString valueText(const prism::Json &v)
{
    if (v.is_string())
        return toQ(v.get<std::string>());
    if (v.is_null())
        return {};
    if (v.is_array()) {
        QStringList parts;
        for (const auto &item : v)
            parts << valueText(item);
        return parts.join(QStringLiteral("; "));
    }
    return toQ(v.dump(-1, ' ', false, prism::Json::error_handler_t::replace));
}

// One example's stored prediction as the drill-down shows it.
struct StoredPrediction {
    QString values;   // "severity: low · policy_violations: spam"
    QString feedback; // what the metric said was wrong
};

QString predictionText(const prism::Json &j)
{
    const auto values = j.find("values");
    if (values == j.end() || !values->is_object() || values->empty()) {
        const auto raw = j.find("raw");
        return raw != j.end() && raw->is_string() ? toQ(raw->get<std::string>()).simplified() : QString();
    }
    QStringList parts;
    for (auto it = values->begin(); it != values->end(); ++it)
        parts << toQ(it.key()) + QStringLiteral(": ") + valueText(it.value()).simplified();
    return parts.join(QStringLiteral(" · "));
}

StoredPrediction storedPrediction(const std::string &predictionJson)
{
    if (predictionJson.empty())
        return {};
    const prism::Json j = prism::Json::parse(predictionJson, nullptr, false);
    if (!j.is_object())
        return {};
    const auto feedback = j.find("feedback");
    return {predictionText(j),
            feedback != j.end() && feedback->is_string() ? toQ(feedback->get<std::string>()) : QString()};
}

QTableWidgetItem *cellItem(const QString &text, bool number = false)
{
    auto *item = new QTableWidgetItem(text);
    item->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
    if (number)
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

QString statusColor(prism::RunStatus status)
{
    switch (status) {
    case prism::RunStatus::Failed: return QStringLiteral("#b3261e");
    case prism::RunStatus::Cancelled: return QStringLiteral("#a05a00");
    case prism::RunStatus::Finished: return QStringLiteral("#2e7d32");
    case prism::RunStatus::Queued:
    case prism::RunStatus::Running: break;
    }
    return QStringLiteral("#3a6ec8");
}

} // namespace

MonitorPage::MonitorPage(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("monitorPage"));
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(buildHeader());

    m_explanationBox = new QFrame(this);
    m_explanationBox->setObjectName(QStringLiteral("monitorExplanation"));
    m_explanationBox->setStyleSheet(QStringLiteral(
        "QFrame#monitorExplanation { background: #fff8e1; border: 1px solid #e8d9a8; border-radius: 0.3em; }"));
    auto *explanationLayout = new QVBoxLayout(m_explanationBox);
    m_explanation = new QLabel(m_explanationBox);
    m_explanation->setObjectName(QStringLiteral("monitorExplanationText"));
    m_explanation->setWordWrap(true);
    m_explanation->setTextFormat(Qt::RichText);
    m_explanation->setTextInteractionFlags(Qt::TextSelectableByMouse);
    explanationLayout->addWidget(m_explanation);
    m_explanationBox->hide();
    layout->addWidget(m_explanationBox);

    // Chart | heatmap, above the tabs.
    auto *charts = new QSplitter(Qt::Horizontal, this);
    charts->setChildrenCollapsible(false);
    m_chart = new TrialChart(charts);
    auto *heatPanel = new QWidget(charts);
    m_heatPanel = heatPanel;
    auto *heatLayout = new QVBoxLayout(heatPanel);
    heatLayout->setContentsMargins(0, 0, 0, 0);
    auto *chooser = new QHBoxLayout;
    m_predictorLabel = new QLabel(tr("Predictor:"), heatPanel);
    m_predictorCombo = new QComboBox(heatPanel);
    m_predictorCombo->setObjectName(QStringLiteral("heatmapPredictor"));
    m_predictorCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_predictorLabel->setBuddy(m_predictorCombo);
    chooser->addWidget(m_predictorLabel);
    chooser->addWidget(m_predictorCombo);
    chooser->addStretch(1);
    heatLayout->addLayout(chooser);
    m_heatmap = new HeatmapWidget(heatPanel);
    heatLayout->addWidget(m_heatmap, 1);
    m_gepa = new GepaViews(&m_state, this);
    charts->addWidget(m_chart);
    charts->addWidget(heatPanel);
    charts->addWidget(m_gepa->treePanel());
    charts->setStretchFactor(0, 3);
    charts->setStretchFactor(1, 2);
    charts->setStretchFactor(2, 3); // GEPA's tree: six columns
    connect(m_predictorCombo, &QComboBox::currentIndexChanged, this, [this] { updateHeatmap(); });

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("monitorTabs"));
    m_tabs->addTab(buildTrialsTab(), tr("&Trials"));
    m_tabs->addTab(m_gepa->iterationsPanel(), tr("&Iterations"));
    m_tabs->addTab(m_gepa->frontierPanel(), tr("&Frontier"));
    m_tabs->addTab(buildCandidatesTab(), tr("&Candidates"));
    m_tabs->addTab(buildDemoSetsTab(), tr("&Demo sets"));
    m_tabs->addTab(buildLedgerTab(), tr("&Ledger"));
    m_log = new QPlainTextEdit(this);
    m_log->setObjectName(QStringLiteral("monitorLog"));
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(20000);
    m_log->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_tabs->addTab(m_log, tr("L&og"));

    auto *vertical = new QSplitter(Qt::Vertical, this);
    vertical->setChildrenCollapsible(false);
    vertical->addWidget(charts);
    vertical->addWidget(m_tabs);
    // The tables get the larger share: at 1024x640 the per-example
    // drill-down showed about four rows.
    vertical->setStretchFactor(0, 2);
    vertical->setStretchFactor(1, 3);
    layout->addWidget(vertical, 1);

    m_ledgerTimer.setInterval(kLedgerPollMs);
    connect(&m_ledgerTimer, &QTimer::timeout, this, &MonitorPage::refreshLedger);
    resetViews();
}

MonitorPage::~MonitorPage() = default;

QWidget *MonitorPage::buildHeader()
{
    // Two rows at any width (at 1024 pixels the old three columns wrapped to
    // three lines): run title, progress and Cancel; then status, best, stop.
    // The title and the status give way first: clipped, with the full text in
    // the tooltip.
    auto *header = new QFrame(this);
    header->setObjectName(QStringLiteral("monitorHeader"));
    auto *rows = new QVBoxLayout(header);
    rows->setContentsMargins(0, 0, 0, 0);
    rows->setSpacing(2);
    const int ch = fontMetrics().averageCharWidth();

    auto *top = new QHBoxLayout;
    m_title = new QLabel(header);
    m_title->setObjectName(QStringLiteral("monitorTitle"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.15);
    m_title->setFont(titleFont);
    top->addWidget(m_title, 1);
    m_progress = new QProgressBar(header);
    m_progress->setObjectName(QStringLiteral("monitorProgress"));
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(true);
    m_progress->setMinimumWidth(ch * 18);
    m_progress->setMaximumWidth(ch * 36);
    top->addWidget(m_progress, 1);
    m_cancel = new QPushButton(tr("Cancel Run"), header);
    m_cancel->setObjectName(QStringLiteral("monitorCancel"));
    m_cancel->setToolTip(tr("Stop the run after the calls in flight; History can resume it later"));
    m_cancel->hide();
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        m_cancel->setEnabled(false);
        logNote(tr("Cancel requested: the calls in flight finish, then the run stops. History can resume it."));
        emit cancelRequested();
    });
    top->addWidget(m_cancel);
    rows->addLayout(top);

    auto *bottom = new QHBoxLayout;
    m_phase = new QLabel(header);
    m_phase->setObjectName(QStringLiteral("monitorPhase"));
    m_phase->setTextFormat(Qt::RichText);
    m_phase->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    bottom->addWidget(m_phase, 1);
    m_best = new QLabel(header);
    m_best->setObjectName(QStringLiteral("monitorBest"));
    m_best->setTextFormat(Qt::RichText);
    bottom->addSpacing(ch * 2);
    bottom->addWidget(m_best);
    m_stop = new QLabel(header);
    m_stop->setObjectName(QStringLiteral("monitorStop"));
    m_stop->setTextFormat(Qt::RichText);
    m_stop->setSizePolicy(QSizePolicy::Maximum, QSizePolicy::Preferred);
    bottom->addSpacing(ch * 2);
    bottom->addWidget(m_stop);
    rows->addLayout(bottom);
    return header;
}

QWidget *MonitorPage::buildTrialsTab()
{
    const int rowHeight = fontMetrics().height() + 8;
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->setChildrenCollapsible(false);
    m_trialsModel = new TrialTableModel(&m_state, this);
    m_trialsView = new QTableView(split);
    m_trialsView->setObjectName(QStringLiteral("trialsTable"));
    m_trialsView->setModel(m_trialsModel);
    setupTableView(m_trialsView, rowHeight);
    const int ch = fontMetrics().averageCharWidth();
    fitColumns(m_trialsView,
               {QStringLiteral("10000"), QStringLiteral("minibatch"), QStringLiteral("instr 10 · demos 10"),
                QStringLiteral("100.0"), QStringLiteral("100 / 100"), QStringLiteral("100"), QStringLiteral("1000"),
                QStringLiteral("1000")});
    m_trialsView->horizontalHeader()->setStretchLastSection(true);
    connect(m_trialsView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) { showTrialResults(current.isValid() ? current.row() : -1); });

    auto *detail = new QWidget(split);
    auto *detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    m_examplesLabel = new QLabel(detail);
    m_examplesLabel->setObjectName(QStringLiteral("exampleResultsLabel"));
    m_examplesLabel->setWordWrap(true);
    m_examples = new QTableWidget(0, 4, detail);
    m_examples->setObjectName(QStringLiteral("exampleResultsTable"));
    // One column for what the metric said was wrong or, unscored, why: an
    // example has one or the other, and a fifth column would not fit 1024 px.
    m_examples->setHorizontalHeaderLabels({tr("Example"), tr("Score"), tr("Feedback / error"), tr("Prediction")});
    m_examples->setTextElideMode(Qt::ElideRight);
    setupTableView(m_examples, rowHeight);
    m_examples->verticalHeader()->hide();
    fitColumns(m_examples, {QStringLiteral("1000"), QStringLiteral("1.00")});
    m_examples->setColumnWidth(ExampleFeedbackColumn, ch * 40);
    m_examples->horizontalHeader()->setStretchLastSection(true);
    m_traceButton = new QPushButton(tr("&Trace…"), detail);
    m_traceButton->setObjectName(QStringLiteral("traceExampleButton"));
    m_traceButton->setToolTip(tr("What the model was sent and answered for the selected example, replayed from "
                                 "the run's call journal (no new call). Double-click a row does the same."));
    m_traceButton->setEnabled(false);
    m_useButton = new QPushButton(tr("&Use as Run's Program"), split);
    m_useButton->setObjectName(QStringLiteral("useProgramButton"));
    m_useButton->setToolTip(tr("Make this trial's configuration the run's program instead of the optimizer's pick: "
                               "Export and Compare then use it, and the run records that you chose it"));
    m_useButton->setEnabled(false);
    connect(m_useButton, &QPushButton::clicked, this, &MonitorPage::useShownTrialProgram);
    auto *labelRow = new QHBoxLayout;
    labelRow->addWidget(m_examplesLabel, 1);
    labelRow->addWidget(m_traceButton, 0, Qt::AlignTop);
    detailLayout->addLayout(labelRow);
    detailLayout->addWidget(m_examples, 1);
    connect(m_examples, &QTableWidget::cellDoubleClicked, this, [this](int row, int) { openExampleTrace(row); });
    connect(m_examples, &QTableWidget::currentCellChanged, this,
            [this](int row) { m_traceButton->setEnabled(m_store && row >= 0 && !m_shownConfigKey.isEmpty()); });
    connect(m_traceButton, &QPushButton::clicked, this, [this] { openExampleTrace(m_examples->currentRow()); });

    // Under the trials: what can be done with the selected one's program (the
    // per-example side has no width to spare at 1024 pixels).
    auto *trialsPane = new QWidget(split);
    auto *trialsLayout = new QVBoxLayout(trialsPane);
    trialsLayout->setContentsMargins(0, 0, 0, 0);
    trialsLayout->addWidget(m_trialsView, 1);
    auto *trialActions = new QHBoxLayout;
    trialActions->addWidget(m_useButton);
    trialActions->addStretch(1);
    trialsLayout->addLayout(trialActions);
    split->addWidget(trialsPane);
    split->addWidget(detail);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 1);
    return split;
}

QWidget *MonitorPage::buildCandidatesTab()
{
    const int rowHeight = fontMetrics().height() + 8;
    const int ch = fontMetrics().averageCharWidth();
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->setChildrenCollapsible(false);
    m_candidatesModel = new CandidateTableModel(&m_state, this);
    m_candidatesView = new QTableView(split);
    m_candidatesView->setObjectName(QStringLiteral("candidatesTable"));
    m_candidatesView->setModel(m_candidatesModel);
    setupTableView(m_candidatesView, rowHeight);
    fitColumns(m_candidatesView, {QStringLiteral("classify"), QStringLiteral("10"), QString(), QStringLiteral("1000"),
                                  QStringLiteral("100.0"), QStringLiteral("after trial 1000")});
    m_candidatesView->setColumnWidth(CandidateTableModel::InstructionColumn, ch * 60);
    m_candidatesView->horizontalHeader()->setStretchLastSection(true);
    connect(m_candidatesView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) { showCandidate(current.isValid() ? current.row() : -1); });
    m_candidateDetail = new QTextBrowser(split);
    m_candidateDetail->setObjectName(QStringLiteral("candidateDetail"));
    split->addWidget(m_candidatesView);
    split->addWidget(m_candidateDetail);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    return split;
}

QWidget *MonitorPage::buildDemoSetsTab()
{
    const int rowHeight = fontMetrics().height() + 8;
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->setChildrenCollapsible(false);
    m_demoSetsModel = new DemoSetTableModel(&m_state, this);
    m_demoSetsView = new QTableView(split);
    m_demoSetsView->setObjectName(QStringLiteral("demoSetsTable"));
    m_demoSetsView->setModel(m_demoSetsModel);
    setupTableView(m_demoSetsView, rowHeight);
    fitColumns(m_demoSetsView, {QStringLiteral("classify"), QStringLiteral("10"), QStringLiteral("bootstrapped"),
                                QStringLiteral("10"), QStringLiteral("1000"), QStringLiteral("100.0")});
    m_demoSetsView->horizontalHeader()->setStretchLastSection(true);
    connect(m_demoSetsView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) { showDemoSet(current.isValid() ? current.row() : -1); });
    m_demos = new QTableWidget(0, 0, split);
    m_demos->setObjectName(QStringLiteral("demosTable"));
    setupTableView(m_demos, rowHeight);
    m_demos->horizontalHeader()->setStretchLastSection(true);
    split->addWidget(m_demoSetsView);
    split->addWidget(m_demos);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    return split;
}

QWidget *MonitorPage::buildLedgerTab()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    m_ledgerLabel = new QLabel(page);
    m_ledgerLabel->setObjectName(QStringLiteral("ledgerLabel"));
    m_ledgerLabel->setWordWrap(true);
    m_ledger = new QTableWidget(0, 8, page);
    m_ledger->setObjectName(QStringLiteral("ledgerTable"));
    m_ledger->setHorizontalHeaderLabels({tr("Role"), tr("Model calls"), tr("Cache hits"), tr("Errors"),
                                         tr("Prompt tokens"), tr("Completion tokens"), tr("Dollars"),
                                         tr("Mean latency (ms)")});
    setupTableView(m_ledger, fontMetrics().height() + 8);
    fitColumns(m_ledger, {QStringLiteral("instruction_proposal"), QStringLiteral("100,000"), QStringLiteral("100,000"),
                          QStringLiteral("10,000"), QStringLiteral("10,000,000"), QStringLiteral("10,000,000"),
                          QStringLiteral("$100.0000"), QStringLiteral("10000.0")});
    layout->addWidget(m_ledgerLabel);
    layout->addWidget(m_ledger, 1);
    return page;
}

void MonitorPage::setStore(std::shared_ptr<prism::RunStore> store)
{
    m_store = std::move(store);
}

void MonitorPage::resetViews()
{
    m_bestMinibatchShown = 0;
    m_chart->clear();
    m_heatmap->clear();
    m_trialsModel->reset();
    m_candidatesModel->reset();
    m_demoSetsModel->reset();
    m_examples->setRowCount(0);
    m_examplesLabel->setText(tr("Select a trial to see its per-example results."));
    m_candidateDetail->clear();
    m_demos->clear();
    m_demos->setRowCount(0);
    m_demos->setColumnCount(0);
    m_ledger->setRowCount(0);
    m_ledgerLabel->setText(tr("Calls, cache hits, tokens and dollars by role, from the run's ledger."));
    m_log->clear();
    m_predictorCombo->clear();
    m_predictorCombo->setVisible(false);
    m_predictorLabel->setVisible(false);
    m_explanationBox->hide();
    m_explanation->clear();
    m_gepa->reset();
    updateOptimizerViews();
    updateHeader();
}

void MonitorPage::updateOptimizerViews()
{
    const bool gepa = m_state.optimizer() == "gepa";
    m_heatPanel->setVisible(!gepa);
    m_gepa->treePanel()->setVisible(gepa);
    m_tabs->setTabVisible(m_tabs->indexOf(m_gepa->iterationsPanel()), gepa);
    m_tabs->setTabVisible(m_tabs->indexOf(m_gepa->frontierPanel()), gepa);
    m_tabs->setTabVisible(m_tabs->indexOf(m_demoSetsView->parentWidget()), !gepa);
    // "143 of 160 metric calls · 17 left · finished" is longer than a count of trials.
    m_progress->setMaximumWidth(fontMetrics().averageCharWidth() * (gepa ? 48 : 36));
}

void MonitorPage::beginRun(const QString &runId)
{
    m_state.clear();
    m_runId = runId;
    m_status.reset();
    m_stopReason.reset();
    m_live = true;
    m_cancel->setEnabled(true);
    resetViews();
    m_ledgerTimer.start();
    // A resumed run replays its stored events first; the note follows them.
    m_pendingNote.clear();
    if (m_store)
        if (auto record = m_store->loadRun(toStd(runId)); record && record->sessions > 1)
            m_pendingNote = tr("Resumed: session %1 of this run continues where the last one stopped; no paid call "
                               "is repeated.")
                                .arg(record->sessions);
    updateHeader();
}

void MonitorPage::continueLive()
{
    m_live = true;
    m_status.reset();
    m_stopReason.reset();
    m_cancel->setEnabled(true);
    m_ledgerTimer.start();
    updateHeader();
}

std::uint64_t MonitorPage::lastSeq() const
{
    return m_state.lastSeq();
}

void MonitorPage::logNote(const QString &text)
{
    m_log->appendHtml(QStringLiteral("<span style='color:#7a8599'>[%1]</span> <span style='color:#3a6ec8'>%2</span>")
                          .arg(toQ(prism::formatDuration(m_state.elapsed())), text.toHtmlEscaped()));
}

void MonitorPage::applyEvents(const std::vector<prism::RunEvent> &batch)
{
    const prism::RunState::Changes changes = m_state.apply(batch);
    if (!changes.any())
        return;
    using RS = prism::RunState;
    if (m_runId.isEmpty() && !m_state.runId().empty())
        m_runId = toQ(m_state.runId());
    if (changes.has(RS::RunInfoChanged))
        updateOptimizerViews();

    if (changes.has(RS::TrialsAdded)) {
        const auto &trials = m_state.trials();
        for (std::size_t i = changes.firstNewTrial; i < trials.size(); ++i) {
            const auto &t = trials[i];
            if (t.kind == "minibatch" && t.score)
                m_chart->addMinibatchScore(t.number, *t.score);
            m_chart->noteTrial(t.number);
        }
        const auto &bestMini = m_state.bestMinibatch();
        for (; m_bestMinibatchShown < bestMini.size(); ++m_bestMinibatchShown)
            m_chart->addBestMinibatch(bestMini[m_bestMinibatchShown].trial, bestMini[m_bestMinibatchShown].score);
        // Newest last: follow the end only when the user is already there.
        QScrollBar *bar = m_trialsView->verticalScrollBar();
        const bool atEnd = bar->value() >= bar->maximum() - 2;
        m_trialsModel->sync();
        if (atEnd)
            m_trialsView->scrollToBottom();
    }
    if (changes.has(RS::FullEvalsAdded)) {
        const auto &full = m_state.fullEvals();
        for (std::size_t i = changes.firstNewFullEval; i < full.size(); ++i)
            m_chart->addFullEvalScore(full[i].trial, full[i].score);
    }
    if (changes.has(RS::BestChanged)) {
        const auto &best = m_state.bestFull();
        for (std::size_t i = changes.firstNewBestFull; i < best.size(); ++i)
            m_chart->addBestFull(best[i].trial, best[i].score);
    }
    if (changes.has(RS::CandidatesAdded))
        m_candidatesModel->sync();
    if (changes.has(RS::DemoSetsAdded))
        m_demoSetsModel->sync();
    if (changes.has(RS::CandidateStatsChanged)) {
        m_candidatesModel->statsChanged();
        m_demoSetsModel->statsChanged();
    }
    if (changes.has(RS::SummariesAdded) && !m_candidatesView->currentIndex().isValid())
        showCandidate(-1);
    if (changes.has(RS::CandidatesAdded) || changes.has(RS::DemoSetsAdded) || changes.has(RS::TrialsAdded))
        updatePredictors();
    if (changes.has(RS::HeatmapChanged) || changes.has(RS::BestChanged))
        updateHeatmap();
    if (m_state.optimizer() == "gepa")
        m_gepa->update(changes);
    if (changes.has(RS::LogAdded))
        appendLog(changes.firstNewLog);
    if (!m_pendingNote.isEmpty())
        logNote(std::exchange(m_pendingNote, QString()));
    if (changes.has(RS::Finished)) {
        if (!m_stopReason || m_stopReason->is(prism::StopReason::Kind::None))
            m_stopReason = m_state.stopReason();
        m_chart->flush();
        if (!m_store)
            fillLedgerFromState();
    }
    updateHeader();
    if (changes.has(RS::Finished))
        updateExplanation();
}

void MonitorPage::finishRun(const QString &runId, prism::RunStatus status, const prism::StopReason &stopReason)
{
    if (!runId.isEmpty() && runId != m_runId)
        return;
    m_live = false;
    m_ledgerTimer.stop();
    m_status = status;
    m_stopReason = stopReason;
    m_chart->flush();
    refreshLedger();
    updateHeader();
    updateExplanation();
}

bool MonitorPage::loadRun(const QString &runId, QString *error)
{
    auto fail = [&](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    if (!m_store)
        return fail(tr("Cannot open run %1: no run store is open.").arg(runId));
    auto record = m_store->loadRun(toStd(runId));
    if (!record)
        return fail(tr("Cannot open run %1: %2").arg(runId, toQ(record.error().message)));
    auto events = m_store->events(toStd(runId));
    if (!events)
        return fail(tr("Cannot read the events of run %1: %2").arg(runId, toQ(events.error().message)));

    m_ledgerTimer.stop();
    m_state.clear();
    m_runId = runId;
    m_live = false;
    m_status = record->status;
    m_stopReason = record->stopReason;
    resetViews();
    const std::vector<prism::RunEvent> &all = events.value();
    for (std::size_t start = 0; start < all.size(); start += kReplayBatch) {
        const std::size_t end = std::min(all.size(), start + kReplayBatch);
        applyEvents(std::vector<prism::RunEvent>(all.begin() + static_cast<std::ptrdiff_t>(start),
                                                 all.begin() + static_cast<std::ptrdiff_t>(end)));
    }
    m_chart->flush();
    refreshLedger();
    updateHeader();
    updateExplanation();
    return true;
}

void MonitorPage::updateHeader()
{
    if (m_runId.isEmpty()) {
        m_title->setText(tr("No run"));
        m_phase->setText(tr("Start a run on the Run page, or reopen one from History."));
        m_progress->setRange(0, 1000);
        m_progress->setValue(0);
        m_progress->setFormat(tr("no run"));
        m_best->clear();
        m_stop->clear();
        return;
    }
    QString title = m_runId;
    if (!m_state.studyName().empty())
        title += QStringLiteral("  ·  ") + toQ(m_state.studyName());
    if (!m_state.optimizer().empty())
        title += QStringLiteral("  ·  %1, seed %2").arg(toQ(m_state.optimizer())).arg(m_state.seed());
    m_title->setText(title);
    m_title->setToolTip(title);

    const prism::RunStatus status = m_status ? *m_status : m_state.status();
    const bool running = status == prism::RunStatus::Running;
    QString phaseText =
        QStringLiteral("<span style='color:%1; font-weight:600'>%2</span>")
            .arg(statusColor(status), running && !m_live ? tr("running (not live in this window)")
                                                         : toQ(prism::runStatusName(status)).toHtmlEscaped());
    if (!m_state.phase().empty())
        phaseText += tr(" · phase <b>%1</b>").arg(toQ(m_state.phase()).toHtmlEscaped());
    phaseText += tr(" · elapsed %1").arg(toQ(prism::formatDuration(m_state.elapsed())));
    if (m_state.trialsRunning() > 0 && running)
        phaseText += tr(" · %1 trial(s) running").arg(m_state.trialsRunning());
    if (m_state.warningCount() > 0)
        phaseText += tr(" · <span style='color:#a05a00'>%1 warning(s)</span>").arg(m_state.warningCount());
    if (m_state.errorCount() > 0)
        phaseText += tr(" · <span style='color:#b3261e'>%1 error(s)</span>").arg(m_state.errorCount());
    m_phase->setText(phaseText);
    m_phase->setToolTip(QTextDocumentFragment::fromHtml(phaseText).toPlainText());

    const int planned = m_state.plannedSearchTrials();
    const int done = m_state.searchTrialsDone();
    // Trial 0 is the baseline and the search's last full evaluation may take one number
    // more, so the axis covers planned + 1 from the start and never rescales at the end.
    m_chart->setPlannedLastTrial(planned > 0 ? planned + 1 : 0);
    const auto progress = m_state.progress();
    // Search trials only: the baseline (trial 0) and the final full
    // evaluations are listed in the table but are not search trials.
    QString format;
    if (const auto budget = m_state.metricCallBudget(); budget && budget->second > 0)
        format = tr("%1 of %2 metric calls · %3 left")
                     .arg(budget->first)
                     .arg(budget->second)
                     .arg(std::max(0LL, budget->second - budget->first));
    else if (planned > 0)
        format = tr("%1 of %2 search trials").arg(done).arg(planned);
    else
        format = tr("%1 trial(s)").arg(m_state.trials().size());
    if (!running)
        format += QStringLiteral(" · ") + toQ(prism::runStatusName(status));
    else if (const auto eta = m_state.etaSeconds())
        format += tr(" · ETA %1").arg(toQ(prism::formatDuration(*eta)));
    else if (m_state.phase() != "search")
        format += tr(" · %1").arg(m_state.phase().empty() ? tr("starting") : toQ(m_state.phase()));
    if (progress || !running) {
        m_progress->setRange(0, 1000);
        m_progress->setValue(static_cast<int>(std::lround(progress.value_or(1.0) * 1000.0)));
    } else {
        m_progress->setRange(0, 0); // size unknown: a busy bar
    }
    m_progress->setFormat(format);
    m_cancel->setVisible(m_live && running);
    if (!m_live)
        m_cancel->setEnabled(true);

    const auto best = m_state.bestScore();
    const auto baseline = m_state.baselineScore();
    if (best) {
        QString text = tr("Best <b>%1</b>").arg(percentText(*best));
        if (baseline)
            text += tr(" · baseline %1 (%2%3 points)")
                        .arg(percentText(*baseline), *best >= *baseline ? QStringLiteral("+") : QString(),
                             QString::number(*best - *baseline, 'f', 1));
        if (!m_state.bestFull().empty())
            text += tr(" · trial %1").arg(m_state.bestFull().back().trial);
        m_best->setText(text);
    } else {
        m_best->setText(tr("Best: no full evaluation yet"));
    }
    const QString reason =
        toQ(m_stopReason && !m_stopReason->is(prism::StopReason::Kind::None) ? m_stopReason->text()
                                                                             : m_state.stopReason().text());
    if (!reason.isEmpty())
        m_stop->setText(tr("Stop reason: <b>%1</b>").arg(reason.toHtmlEscaped()));
    else
        m_stop->setText(running ? tr("Stop reason: (still running)") : QString());
}

void MonitorPage::updatePredictors()
{
    const auto &names = m_state.predictors();
    if (m_predictorCombo->count() == static_cast<int>(names.size()))
        return;
    const QString current = m_predictorCombo->currentText();
    {
        const QSignalBlocker block(m_predictorCombo);
        m_predictorCombo->clear();
        for (const auto &n : names)
            m_predictorCombo->addItem(toQ(n));
        const int keep = m_predictorCombo->findText(current);
        m_predictorCombo->setCurrentIndex(keep >= 0 ? keep : 0);
    }
    const bool several = names.size() > 1;
    m_predictorCombo->setVisible(several);
    m_predictorLabel->setVisible(several);
    updateHeatmap();
}

void MonitorPage::updateHeatmap()
{
    const std::string predictor = toStd(m_predictorCombo->currentText());
    if (predictor.empty()) {
        m_heatmap->clear();
        return;
    }
    const prism::RunState::Heatmap grid = m_state.heatmap(predictor);
    std::vector<HeatmapWidget::Cell> cells;
    cells.reserve(grid.cells.size());
    for (const auto &c : grid.cells)
        cells.push_back(HeatmapWidget::Cell{c.mean().value_or(0.0), c.count, c.tried - c.count});
    QStringList rows;
    for (int i = 0; i < grid.instructions; ++i) {
        const auto *candidate = m_state.candidate(predictor, i);
        rows << (candidate ? toQ(candidate->text) : tr("(instruction %1 not reported)").arg(i));
    }
    bool hasDemoSets = false;
    for (const auto &d : m_state.demoSets())
        hasDemoSets = hasDemoSets || d.predictor == predictor;
    QStringList columns;
    for (int j = 0; j < grid.demoSets; ++j)
        columns << (hasDemoSets ? tr("Demos %1").arg(j) : tr("no demos"));
    m_heatmap->setGrid(grid.instructions, grid.demoSets, std::move(cells), rows, columns);

    int highlightRow = -1;
    int highlightColumn = -1;
    if (!m_state.bestFull().empty()) {
        const int index = m_state.trialIndex(m_state.bestFull().back().trial);
        if (index >= 0)
            for (const auto &choice : m_state.trials()[static_cast<std::size_t>(index)].config)
                if (choice.predictor == predictor) {
                    highlightRow = choice.instruction;
                    highlightColumn = std::max(0, choice.demos);
                }
    }
    m_heatmap->setHighlight(highlightRow, highlightColumn);
}

void MonitorPage::appendLog(std::size_t from)
{
    const auto &lines = m_state.log();
    for (std::size_t i = from; i < lines.size(); ++i) {
        const auto &line = lines[i];
        QString color;
        switch (line.level) {
        case prism::RunState::LogLine::Level::Warning: color = QStringLiteral("#a05a00"); break;
        case prism::RunState::LogLine::Level::Error: color = QStringLiteral("#b3261e"); break;
        case prism::RunState::LogLine::Level::Phase: color = QStringLiteral("#3a6ec8"); break;
        case prism::RunState::LogLine::Level::Info: color = QStringLiteral("#1f2d44"); break;
        }
        m_log->appendHtml(QStringLiteral("<span style='color:#7a8599'>[%1]</span> <span style='color:%2'>%3</span>")
                              .arg(toQ(prism::formatDuration(line.elapsed)), color, toQ(line.text).toHtmlEscaped()));
    }
}

void MonitorPage::updateExplanation()
{
    const auto explanations = prism::explainRun(m_state);
    QStringList parts;
    for (const auto &e : explanations)
        parts << QStringLiteral("<p><b>%1.</b> %2</p>").arg(toQ(e.title).toHtmlEscaped(), toQ(e.text).toHtmlEscaped());
    // finishRun may say more than the events did (a run that failed to finish).
    if (explanations.empty() && m_status == prism::RunStatus::Failed && m_stopReason
        && !m_stopReason->is(prism::StopReason::Kind::None))
        parts << tr("<p><b>The run failed.</b> %1</p>").arg(toQ(m_stopReason->text()).toHtmlEscaped());
    m_explanation->setText(parts.join(QString()));
    m_explanationBox->setVisible(!parts.isEmpty());
}

TraceDialog *MonitorPage::openExampleTrace(int row)
{
    if (!m_store || row < 0 || row >= m_examples->rowCount() || !m_examples->item(row, ExampleIndexColumn))
        return nullptr;
    const int index = m_examples->item(row, ExampleIndexColumn)->text().toInt();
    const std::string runId = toStd(m_runId);
    const std::string configKey = toStd(m_shownConfigKey);
    auto *dialog = TraceDialog::open(this, tr("Trace of example %1 · %2").arg(index).arg(m_shownConfigKey));
    auto store = m_store;
    auto setup = std::make_shared<std::optional<prism::RunExampleSetup>>();
    dialog->start([store, runId, configKey, index, setup]() -> prism::Result<prism::ExampleTrace> {
        auto prepared = prism::prepareRunExample(*store, runId, configKey, index);
        if (!prepared)
            return prepared.error();
        *setup = *prepared;
        auto judge = prism::replayJudge(*store, runId, *prepared);
        if (!judge)
            return judge.error();
        auto metric = prism::makeStudyMetric(prepared->study.metric, prepared->program, *judge);
        if (!metric)
            return metric.error();
        return prism::replayRunExample(*store, runId, *prepared, **metric);
    });
    connect(dialog, &TraceDialog::traceReady, dialog, [dialog, setup, runId] {
        const auto &trace = dialog->view()->trace();
        if (!trace || !*setup)
            return;
        if (trace->result.error) {
            dialog->setNote(tr("Replayed from the call journal of run %1. A replay never calls the model, so a "
                               "call the run did not record shows as an error.")
                                .arg(toQ(runId)));
            return;
        }
        const bool same = trace->result.prediction.values == (*setup)->storedPrediction;
        dialog->setNote(same ? tr("Replayed from the call journal of run %1: no new call was made, and the "
                                  "prediction is the one the run recorded.")
                                   .arg(toQ(runId))
                             : tr("Replayed from the call journal of run %1, but the prediction differs from "
                                  "the one the run recorded.")
                                   .arg(toQ(runId)));
    });
    return dialog;
}

void MonitorPage::useShownTrialProgram()
{
    if (m_shownTrial < 0 || m_shownTrial >= static_cast<int>(m_state.trials().size()))
        return;
    std::vector<prism::ConfigChoice> config;
    for (const auto &c : m_state.trials()[static_cast<std::size_t>(m_shownTrial)].config)
        config.push_back(
            prism::ConfigChoice{c.predictor, c.instruction, c.demos >= 0 ? std::optional<int>(c.demos) : std::nullopt});
    emit useProgramRequested(m_runId, config);
}

void MonitorPage::showTrialResults(int row)
{
    m_examples->setRowCount(0);
    m_shownConfigKey.clear();
    m_traceButton->setEnabled(false);
    m_shownTrial = row;
    // Only a finished run's program can be replaced (a resume would replace it again).
    m_useButton->setEnabled((m_status ? *m_status : m_state.status()) == prism::RunStatus::Finished && row >= 0
                            && row < static_cast<int>(m_state.trials().size()));
    if (row < 0 || row >= static_cast<int>(m_state.trials().size())) {
        m_examplesLabel->setText(tr("Select a trial to see its per-example results."));
        return;
    }
    const auto &t = m_state.trials()[static_cast<std::size_t>(row)];
    m_shownConfigKey = toQ(t.configKey);
    std::map<int, prism::ExampleResultRecord> stored;
    QString storeNote;
    if (!m_store) {
        storeNote = tr(" Predictions are not shown: no run store is open.");
    } else if (auto records = m_store->exampleResults(toStd(m_runId), t.configKey)) {
        for (auto &r : records.value())
            stored.emplace(r.exampleIndex, std::move(r));
    } else {
        storeNote = tr(" Predictions could not be read: %1").arg(toQ(records.error().message));
    }
    QString summary = tr("Trial %1 (%2, %3): %4 of %5 examples scored")
                          .arg(t.number)
                          .arg(toQ(t.kind), TrialTableModel::configText(t))
                          .arg(t.scored)
                          .arg(t.examples);
    if (t.score)
        summary += tr(", score %1").arg(percentText(*t.score));
    if (!t.error.empty())
        summary += tr(". Failed: %1").arg(toQ(t.error));
    m_examplesLabel->setText(summary + QLatin1Char('.') + storeNote);

    m_examples->setRowCount(static_cast<int>(t.results.size()));
    for (int i = 0; i < static_cast<int>(t.results.size()); ++i) {
        const auto &[index, score] = t.results[static_cast<std::size_t>(i)];
        const auto it = stored.find(index);
        StoredPrediction prediction;
        QString error;
        if (it != stored.end()) {
            prediction = storedPrediction(it->second.predictionJson);
            error = toQ(it->second.error);
        }
        if (!score && error.isEmpty())
            error = tr("not scored");
        m_examples->setItem(i, ExampleIndexColumn, cellItem(QString::number(index), true));
        m_examples->setItem(i, ExampleScoreColumn,
                            cellItem(score ? QString::number(*score, 'f', 2) : QStringLiteral("–"), true));
        auto *p = cellItem(prediction.values);
        p->setToolTip(prediction.values);
        m_examples->setItem(i, ExamplePredictionColumn, p);
        const QString feedback = error.isEmpty() ? prediction.feedback : error;
        auto *f = cellItem(feedback);
        f->setToolTip(feedback);
        if (!error.isEmpty())
            f->setForeground(QColor(0xb3, 0x26, 0x1e));
        m_examples->setItem(i, ExampleFeedbackColumn, f);
    }
}

void MonitorPage::showCandidate(int row)
{
    QString html;
    if (row >= 0 && row < static_cast<int>(m_state.candidates().size())) {
        const auto &c = m_state.candidates()[static_cast<std::size_t>(row)];
        html += tr("<h3>%1 · instruction %2</h3>").arg(toQ(c.predictor).toHtmlEscaped()).arg(c.index);
        html += QStringLiteral("<p style='white-space:pre-wrap'>%1</p>").arg(toQ(c.text).toHtmlEscaped());
        if (!c.tip.empty())
            html += tr("<p><i>Proposer tip:</i> %1</p>").arg(toQ(c.tip).toHtmlEscaped());
        const auto mean = c.meanScore();
        html += tr("<p>Tried in %1 trial(s)%2.</p>")
                    .arg(c.timesTried)
                    .arg(mean ? tr(", mean score %1").arg(percentText(*mean)) : QString());
    } else {
        html += tr("<p>Select an instruction to read it in full.</p>");
    }
    if (!m_state.summaries().empty()) {
        html += tr("<h3>What the proposer was told</h3>");
        for (const auto &s : m_state.summaries()) {
            QString label = toQ(s.kind);
            if (!s.predictor.empty())
                label += QStringLiteral(" (%1)").arg(toQ(s.predictor));
            html += QStringLiteral("<p><b>%1:</b> <span style='white-space:pre-wrap'>%2</span></p>")
                        .arg(label.toHtmlEscaped(), toQ(s.text).toHtmlEscaped());
        }
    }
    m_candidateDetail->setHtml(html);
}

void MonitorPage::showDemoSet(int row)
{
    m_demos->clear();
    m_demos->setRowCount(0);
    m_demos->setColumnCount(0);
    if (row < 0 || row >= static_cast<int>(m_state.demoSets().size()))
        return;
    const auto &set = m_state.demoSets()[static_cast<std::size_t>(row)];
    const prism::Json demos = prism::Json::parse(set.demosJson, nullptr, false);
    if (!demos.is_array())
        return;
    // Columns: every field in first-seen order, then whether it was bootstrapped.
    QStringList fields;
    for (const auto &d : demos)
        if (d.is_object())
            for (auto it = d.begin(); it != d.end(); ++it)
                if (it.key() != "augmented" && !fields.contains(toQ(it.key())))
                    fields << toQ(it.key());
    m_demos->setColumnCount(static_cast<int>(fields.size()) + 1);
    QStringList headers = fields;
    headers << tr("Source");
    m_demos->setHorizontalHeaderLabels(headers);
    m_demos->setRowCount(static_cast<int>(demos.size()));
    for (int r = 0; r < static_cast<int>(demos.size()); ++r) {
        const prism::Json &d = demos[static_cast<std::size_t>(r)];
        for (int c = 0; c < fields.size(); ++c) {
            const auto it = d.find(toStd(fields.at(c)));
            const QString text = it != d.end() ? valueText(*it) : QString();
            auto *item = cellItem(text.simplified());
            item->setToolTip(text);
            m_demos->setItem(r, c, item);
        }
        const auto augmented = d.find("augmented");
        const bool bootstrapped = augmented != d.end() && augmented->is_boolean() && augmented->get<bool>();
        m_demos->setItem(r, static_cast<int>(fields.size()),
                         cellItem(bootstrapped ? tr("bootstrapped") : tr("labeled")));
    }
    // The fields share the width; the source column is as wide as its words.
    for (int c = 0; c < fields.size(); ++c)
        m_demos->horizontalHeader()->setSectionResizeMode(c, QHeaderView::Stretch);
    m_demos->horizontalHeader()->setSectionResizeMode(static_cast<int>(fields.size()), QHeaderView::ResizeToContents);
}

void MonitorPage::refreshLedger()
{
    if (!m_store || m_runId.isEmpty()) {
        fillLedgerFromState();
        return;
    }
    auto totals = m_store->ledgerTotals(toStd(m_runId));
    if (!totals) {
        m_ledgerLabel->setText(
            tr("The ledger of run %1 could not be read: %2").arg(m_runId, toQ(totals.error().message)));
        return;
    }
    auto tokens = [](long long n, bool unknown) { return unknown && n == 0 ? tr("unknown") : QLocale().toString(n); };
    auto addRow = [&](int row, const QString &role, const prism::LedgerTotals &t) {
        m_ledger->setItem(row, 0, cellItem(role));
        m_ledger->setItem(row, 1, cellItem(QLocale().toString(t.calls - t.cacheHits), true));
        m_ledger->setItem(row, 2, cellItem(QLocale().toString(t.cacheHits), true));
        m_ledger->setItem(row, 3, cellItem(QLocale().toString(t.errors), true));
        m_ledger->setItem(row, 4, cellItem(tokens(t.promptTokens, t.promptTokensUnknown), true));
        m_ledger->setItem(row, 5, cellItem(tokens(t.completionTokens, t.completionTokensUnknown), true));
        m_ledger->setItem(row, 6,
                          cellItem(t.dollarsUnknown && t.dollars == 0.0
                                       ? tr("unknown")
                                       : QStringLiteral("$%1").arg(QString::number(t.dollars, 'f', 4)),
                                   true));
        const long long paid = t.calls - t.cacheHits;
        m_ledger->setItem(
            row, 7,
            cellItem(paid > 0 ? QString::number(t.latencyMs / static_cast<double>(paid), 'f', 1) : QStringLiteral("–"),
                     true));
    };
    const auto &summary = totals.value();
    m_ledger->setRowCount(static_cast<int>(summary.byRole.size()) + 1);
    int row = 0;
    for (const auto &[role, t] : summary.byRole)
        addRow(row++, toQ(role), t);
    addRow(row, tr("Total"), summary.total);
    for (int c = 0; c < m_ledger->columnCount(); ++c) {
        QFont bold = m_ledger->font();
        bold.setBold(true);
        m_ledger->item(row, c)->setFont(bold);
    }
    m_ledgerLabel->setText(m_live ? tr("Ledger of run %1, read every second while the run is live. Model calls exclude "
                                       "cache hits.")
                                        .arg(m_runId)
                                  : tr("Ledger of run %1. Model calls exclude cache hits.").arg(m_runId));
}

void MonitorPage::fillLedgerFromState()
{
    const auto &usage = m_state.usageByRole();
    m_ledger->setRowCount(static_cast<int>(usage.size()));
    int row = 0;
    for (const auto &[role, u] : usage) {
        m_ledger->setItem(row, 0, cellItem(toQ(role)));
        m_ledger->setItem(row, 1, cellItem(QLocale().toString(u.calls), true));
        m_ledger->setItem(row, 2, cellItem(QLocale().toString(u.cacheHits), true));
        m_ledger->setItem(row, 3, cellItem(QLocale().toString(u.errors), true));
        m_ledger->setItem(row, 4, cellItem(u.promptTokens ? QLocale().toString(*u.promptTokens) : tr("unknown"), true));
        m_ledger->setItem(row, 5,
                          cellItem(u.completionTokens ? QLocale().toString(*u.completionTokens) : tr("unknown"), true));
        m_ledger->setItem(row, 6,
                          cellItem(row == 0 && m_state.dollars()
                                       ? QStringLiteral("$%1 (run)").arg(QString::number(*m_state.dollars(), 'f', 4))
                                       : QStringLiteral("–"),
                                   true));
        m_ledger->setItem(row, 7, cellItem(QStringLiteral("–"), true));
        ++row;
    }
    m_ledgerLabel->setText(usage.empty()
                               ? tr("No ledger yet: calls by role appear when the run finishes (no run store is open).")
                               : tr("Calls and tokens by role from the run's final summary (no run store is open)."));
}
