#include "run/run_controller.h"
#include "run/run_store.h"

#include "pages/exportpage.h"

#include "charts/heatmapwidget.h"
#include "charts/trialchart.h"
#include "export/exportmenu.h"
#include "pages/monitorpage.h"
#include "studydocument.h"

#include <QComboBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QLabel>
#include <QMenu>
#include <QShowEvent>
#include <QToolButton>
#include <QVBoxLayout>

namespace {

constexpr QSize kChartSize(1000, 560);
constexpr QSize kHeatmapSize(720, 480);

QToolButton *actionButton(QAction *action, QWidget *parent)
{
    auto *button = new QToolButton(parent);
    button->setDefaultAction(action);
    button->setToolButtonStyle(Qt::ToolButtonTextOnly);
    button->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    button->setMinimumHeight(32);
    return button;
}

QString scoreText(const std::optional<double> &score)
{
    return score ? QStringLiteral("%1%").arg(*score, 0, 'f', 2) : QStringLiteral("–");
}

} // namespace

ExportPage::ExportPage(StudyDocument *doc, MonitorPage *monitor, QWidget *parent)
    : QWidget(parent), m_doc(doc), m_monitor(monitor)
{
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("<b>Export</b> a run's compiled program (DSPy's JSON format, loadable with "
                                "<code>program.load(path)</code>), its rendered prompt, a self-contained HTML report, "
                                "its trials as CSV, or a chart as PNG. Prompt exports use the run's program, or the "
                                "study's own program when no run is chosen."),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto *form = new QFormLayout;
    m_runs = new QComboBox(this);
    m_runs->setObjectName(QStringLiteral("exportRunCombo"));
    m_runs->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    form->addRow(tr("&Run:"), m_runs);
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("exportRunSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form->addRow(tr("Summary:"), m_summary);
    layout->addLayout(form);

    m_menu = new QMenu(this);
    ExportSources sources;
    sources.store = [this] { return m_store; };
    sources.runId = [this] { return selectedRunId(); };
    sources.study = [this] { return m_doc->study(); };
    sources.charts = [this] { return chartImages(); };
    sources.comparison = [this] { return m_comparison ? m_comparison() : std::optional<CompareSummary>(); };
    sources.studyPath = [this] { return m_doc->path(); };
    m_exportMenu = new ExportMenu(m_menu, std::move(sources), this);

    auto *program = new QGroupBox(tr("Program and prompt"), this);
    auto *programGrid = new QGridLayout(program);
    programGrid->addWidget(actionButton(m_exportMenu->programAction(), program), 0, 0);
    programGrid->addWidget(actionButton(m_exportMenu->promptMessagesAction(), program), 0, 1);
    programGrid->addWidget(actionButton(m_exportMenu->promptTextAction(), program), 0, 2);
    layout->addWidget(program);

    auto *run = new QGroupBox(tr("Run results"), this);
    auto *runGrid = new QGridLayout(run);
    runGrid->addWidget(actionButton(m_exportMenu->reportAction(), run), 0, 0);
    runGrid->addWidget(actionButton(m_exportMenu->trialsAction(), run), 0, 1);
    auto *charts = new QToolButton(run);
    charts->setText(tr("Chart as PNG"));
    charts->setMenu(m_exportMenu->chartsMenu());
    charts->setPopupMode(QToolButton::InstantPopup);
    charts->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    charts->setMinimumHeight(32);
    runGrid->addWidget(charts, 0, 2);
    layout->addWidget(run);
    layout->addStretch(1);

    connect(m_runs, &QComboBox::currentIndexChanged, this, [this] {
        updateSummary();
        m_exportMenu->updateActions();
    });
}

ExportPage::~ExportPage() = default;

void ExportPage::setStore(std::shared_ptr<prism::RunStore> store)
{
    m_store = std::move(store);
    refresh();
}

void ExportPage::setComparisonSource(std::function<std::optional<CompareSummary>()> comparison)
{
    m_comparison = std::move(comparison);
}

QString ExportPage::selectedRunId() const
{
    const QString chosen = m_runs->currentData().toString();
    return chosen.isEmpty() && m_monitor ? m_monitor->runId() : chosen;
}

void ExportPage::selectRun(const QString &runId)
{
    const int index = m_runs->findData(runId);
    if (index >= 0)
        m_runs->setCurrentIndex(index);
}

void ExportPage::refresh()
{
    const QString keep = m_runs->currentData().toString();
    const QSignalBlocker block(m_runs);
    m_runs->clear();
    m_runs->addItem(tr("The run on the Monitor page"), QString());
    if (m_store) {
        prism::Result<std::vector<prism::RunRecord>> runs = m_store->listRuns();
        if (runs.ok()) {
            for (const prism::RunRecord &r : *runs)
                m_runs->addItem(QStringLiteral("%1 · %2 · %3 · %4")
                                    .arg(QString::fromStdString(r.id), QString::fromStdString(r.studyName),
                                         QString::fromStdString(r.optimizer),
                                         QString::fromLatin1(prism::runStatusName(r.status))),
                                QString::fromStdString(r.id));
        } else {
            m_summary->setText(
                tr("The run store could not be read: %1").arg(QString::fromStdString(runs.error().message)));
        }
    }
    const int index = m_runs->findData(keep);
    m_runs->setCurrentIndex(index >= 0 ? index : 0);
    updateSummary();
    m_exportMenu->updateActions();
}

void ExportPage::updateSummary()
{
    const QString runId = selectedRunId();
    if (runId.isEmpty()) {
        m_summary->setText(
            tr("No run yet: the program and prompt exports use the study's own program. Start a run on the "
               "Run page, or pick a past run above."));
        return;
    }
    if (!m_store) {
        m_summary->setText(tr("Run %1 (no run store available).").arg(runId));
        return;
    }
    prism::Result<prism::RunRecord> run = m_store->loadRun(runId.toStdString());
    if (!run.ok()) {
        m_summary->setText(QString::fromStdString(run.error().message));
        return;
    }
    m_summary->setText(tr("%1 · %2, seed %3 · %4 (%5) · baseline %6 → best %7 · %8")
                           .arg(runId, QString::fromStdString(run->optimizer))
                           .arg(run->seed)
                           .arg(QString::fromLatin1(prism::runStatusName(run->status)),
                                QString::fromStdString(run->stopReason.text()), scoreText(run->baselineScore),
                                scoreText(run->bestScore),
                                run->hasArtifact ? tr("program available") : tr("no program yet")));
}

QList<QPair<QString, QImage>> ExportPage::chartImages()
{
    const QString runId = selectedRunId();
    if (runId.isEmpty())
        return {};
    MonitorPage *source = m_monitor;
    if (!source || source->runId() != runId) {
        if (!m_store)
            return {};
        if (!m_offscreen || m_offscreen->runId() != runId) {
            m_offscreen = std::make_unique<MonitorPage>();
            m_offscreen->setStore(m_store);
            m_offscreen->resize(1400, 900);
            QString error;
            if (!m_offscreen->loadRun(runId, &error)) {
                m_offscreen.reset();
                return {};
            }
        }
        source = m_offscreen.get();
    }
    source->trialChart()->flush();
    return {{tr("Trial scores"), source->trialChart()->renderImage(kChartSize)},
            {tr("Instruction x demo set"), source->heatmap()->renderImage(kHeatmapSize)}};
}

void ExportPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
}
