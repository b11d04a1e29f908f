#pragma once

#include "compare/comparesummary.h"

#include <QWidget>

#include <functional>
#include <memory>
#include <optional>

namespace prism {
class RunStore;
}

class ExportMenu;
class MonitorPage;
class QComboBox;
class QLabel;
class QMenu;
class QToolButton;
class StudyDocument;

// Export page: pick a run (the one on the monitor by default) and write its
// compiled program, rendered prompt, HTML report, trials CSV or a chart PNG.
// The buttons are the actions of an ExportMenu, so the page and the Export
// menu of the main window do exactly the same thing.
class ExportPage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ExportPage)

public:
    ExportPage(StudyDocument *doc, MonitorPage *monitor, QWidget *parent = nullptr);
    ~ExportPage() override;

    void setStore(std::shared_ptr<prism::RunStore> store);
    // The last comparison to include in the HTML report, if any.
    void setComparisonSource(std::function<std::optional<CompareSummary>()> comparison);

    // The run the exports use: the chosen one, else the monitor's.
    QString selectedRunId() const;
    void selectRun(const QString &runId);
    void refresh();

    ExportMenu *exportMenu() const { return m_exportMenu; }
    // (title, image) of the selected run's charts, rendered off screen when
    // the monitor shows another run.
    QList<QPair<QString, QImage>> chartImages();

protected:
    void showEvent(QShowEvent *event) override;

private:
    void updateSummary();

    StudyDocument *m_doc = nullptr;
    MonitorPage *m_monitor = nullptr;
    std::shared_ptr<prism::RunStore> m_store;
    std::function<std::optional<CompareSummary>()> m_comparison;
    // Renders the charts of a run the monitor is not showing.
    std::unique_ptr<MonitorPage> m_offscreen;
    QComboBox *m_runs = nullptr;
    QLabel *m_summary = nullptr;
    QMenu *m_menu = nullptr;
    ExportMenu *m_exportMenu = nullptr;
};
