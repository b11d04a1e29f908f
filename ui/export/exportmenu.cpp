#include "export/exportmenu.h"
#include "widgets/filedialogs.h"

#include "compare/programsource.h"
#include "export/exporters.h"

#include "run/run_controller.h"
#include "run/run_store.h"

#include <QAction>
#include <QDir>
#include <QFileDialog>
#include <QMenu>
#include <QMessageBox>

namespace {

QString safeFileName(QString name)
{
    for (QChar &c : name)
        if (!c.isLetterOrNumber() && c != QLatin1Char('-') && c != QLatin1Char('_') && c != QLatin1Char('.'))
            c = QLatin1Char('-');
    return name;
}

} // namespace

ExportMenu::ExportMenu(QMenu *menu, ExportSources sources, QWidget *dialogParent)
    : QObject(menu), m_sources(std::move(sources)), m_parent(dialogParent)
{
    m_program = menu->addAction(tr("&Program (DSPy JSON)…"));
    m_program->setToolTip(tr("The current run's program in DSPy's saved format, with Prism's metadata"));
    m_messages = menu->addAction(tr("Prompt as Chat &Messages (JSON)…"));
    m_text = menu->addAction(tr("Prompt as &Text…"));
    menu->addSeparator();
    m_trials = menu->addAction(tr("T&rials (CSV)…"));
    m_report = menu->addAction(tr("Run &Report (HTML)…"));
    m_charts = menu->addMenu(tr("&Chart (PNG)"));

    connect(menu, &QMenu::aboutToShow, this, &ExportMenu::updateActions);
    connect(m_program, &QAction::triggered, this, [this] {
        const QString runId = m_sources.runId ? m_sources.runId() : QString();
        auto store = m_sources.store ? m_sources.store() : nullptr;
        if (runId.isEmpty() || !store)
            return;
        const QString path = ask(tr("Export Program"), runId + QStringLiteral(".json"), tr("DSPy program (*.json)"));
        if (!path.isEmpty())
            report(exportProgramJson(*store, runId, path), path, tr("The program"));
    });
    auto promptAction = [this](bool messages) {
        const prism::Study study = m_sources.study ? m_sources.study() : prism::Study{};
        QString error;
        const prism::Program program = currentProgram(study, &error);
        if (!error.isEmpty()) {
            report(prism::Error::make(prism::ErrorKind::Data, error.toStdString()), QString(), tr("The prompt"));
            return;
        }
        const QString base =
            safeFileName(QString::fromStdString(study.name.empty() ? std::string("prompt") : study.name));
        const QString path =
            messages
                ? ask(tr("Export Prompt as Messages"), base + QStringLiteral(".messages.json"), tr("JSON (*.json)"))
                : ask(tr("Export Prompt as Text"), base + QStringLiteral(".prompt.txt"), tr("Text (*.txt)"));
        if (path.isEmpty())
            return;
        report(messages ? exportPromptMessages(study, program, path) : exportPromptText(study, program, path), path,
               tr("The prompt"));
    };
    connect(m_messages, &QAction::triggered, this, [promptAction] { promptAction(true); });
    connect(m_text, &QAction::triggered, this, [promptAction] { promptAction(false); });
    connect(m_trials, &QAction::triggered, this, [this] {
        const QString runId = m_sources.runId ? m_sources.runId() : QString();
        auto store = m_sources.store ? m_sources.store() : nullptr;
        if (runId.isEmpty() || !store)
            return;
        const QString path = ask(tr("Export Trials"), runId + QStringLiteral("-trials.csv"), tr("CSV (*.csv)"));
        if (!path.isEmpty())
            report(exportTrialsCsv(*store, runId, path), path, tr("The trial table"));
    });
    connect(m_report, &QAction::triggered, this, [this] {
        const QString runId = m_sources.runId ? m_sources.runId() : QString();
        auto store = m_sources.store ? m_sources.store() : nullptr;
        if (runId.isEmpty() || !store)
            return;
        const QString path = ask(tr("Export Run Report"), runId + QStringLiteral("-report.html"), tr("HTML (*.html)"));
        if (path.isEmpty())
            return;
        const QList<QPair<QString, QImage>> charts =
            m_sources.charts ? m_sources.charts() : QList<QPair<QString, QImage>>{};
        const std::optional<CompareSummary> comparison = m_sources.comparison ? m_sources.comparison() : std::nullopt;
        report(exportRunReportHtml(*store, runId, charts, comparison ? &*comparison : nullptr, path), path,
               tr("The report"));
    });
    connect(m_charts, &QMenu::aboutToShow, this, &ExportMenu::rebuildChartsMenu);
    updateActions();
}

void ExportMenu::updateActions()
{
    const bool run = m_sources.runId && !m_sources.runId().isEmpty() && m_sources.store && m_sources.store();
    const QString why = tr("Select a run first (History or Monitor)");
    for (QAction *a : {m_program, m_trials, m_report}) {
        a->setEnabled(run);
        a->setStatusTip(run ? QString() : why);
    }
    m_charts->setEnabled(m_sources.charts && !m_sources.charts().isEmpty());
    rebuildChartsMenu();
}

void ExportMenu::rebuildChartsMenu()
{
    m_charts->clear();
    if (!m_sources.charts)
        return;
    const QList<QPair<QString, QImage>> charts = m_sources.charts();
    for (int i = 0; i < charts.size(); ++i) {
        const QString title = charts.at(i).first;
        QAction *action = m_charts->addAction(tr("%1…").arg(title));
        connect(action, &QAction::triggered, this, [this, title] {
            // Grab again at export time: the chart may have changed since the menu opened.
            const QList<QPair<QString, QImage>> now =
                m_sources.charts ? m_sources.charts() : QList<QPair<QString, QImage>>{};
            QImage image;
            for (const auto &[t, img] : now)
                if (t == title)
                    image = img;
            const QString path =
                ask(tr("Export Chart"), safeFileName(title) + QStringLiteral(".png"), tr("PNG image (*.png)"));
            if (!path.isEmpty())
                report(exportChartPng(image, path), path, tr("The chart"));
        });
    }
}

prism::Program ExportMenu::currentProgram(const prism::Study &study, QString *error)
{
    const QString runId = m_sources.runId ? m_sources.runId() : QString();
    auto store = m_sources.store ? m_sources.store() : nullptr;
    if (runId.isEmpty() || !store)
        return study.program;
    auto program = loadRunProgram(*store, runId, study.program);
    if (!program) {
        *error = QString::fromStdString(program.error().message);
        return study.program;
    }
    return program.value();
}

QString ExportMenu::ask(const QString &title, const QString &suggestedName, const QString &filter)
{
    const QString folder = exportFolder(m_sources.studyPath ? m_sources.studyPath() : QString());
    const QString suggested = QDir(folder).filePath(suggestedName);
    if (m_ask)
        return m_ask(title, suggested, filter);
    return QFileDialog::getSaveFileName(m_parent, title, suggested, filter);
}

void ExportMenu::report(const prism::Result<void> &result, const QString &path, const QString &what)
{
    if (result) {
        rememberExportFolder(path);
        emit exported(true, path);
        return;
    }
    const QString message = tr("%1 was not exported: %2").arg(what, QString::fromStdString(result.error().message));
    emit exported(false, message);
    QMessageBox::warning(m_parent, tr("Export Failed"), message);
}
