#pragma once

// The Export actions of the studio's menu: each asks where to save (a save
// dialog), calls one of the exporters and tells the user when it failed.
// What to export comes from callbacks, so the menu follows whatever run,
// study and charts are current when it opens.
#include "compare/comparesummary.h"
#include "core/study.h"

#include <QImage>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

class QAction;
class QMenu;
class QWidget;

namespace prism {
class RunStore;
}

struct ExportSources {
    std::function<std::shared_ptr<prism::RunStore>()> store;   // may return null: run exports are disabled
    std::function<QString()> runId;                            // the current run; "" = none
    std::function<prism::Study()> study;                       // the open study (prompt exports)
    std::function<QList<QPair<QString, QImage>>()> charts;     // (title, image) of the charts on screen; may be unset
    std::function<std::optional<CompareSummary>()> comparison; // the last comparison; may be unset
    std::function<QString()> studyPath;                        // the study's file, where dialogs start; may be unset
};

class ExportMenu final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ExportMenu)

public:
    // Adds the actions to menu (and updates them each time it opens); dialogs
    // and messages are parented to dialogParent. Owned by menu.
    ExportMenu(QMenu *menu, ExportSources sources, QWidget *dialogParent);

    // The save dialog; tests replace it. suggestedPath is in exportFolder()
    // (widgets/filedialogs.h). Returns "" when the user cancelled.
    using SaveFileName =
        std::function<QString(const QString &title, const QString &suggestedPath, const QString &filter)>;
    void setSaveFileName(SaveFileName ask) { m_ask = std::move(ask); }

    QAction *programAction() const { return m_program; }
    QAction *promptMessagesAction() const { return m_messages; }
    QAction *promptTextAction() const { return m_text; }
    QAction *trialsAction() const { return m_trials; }
    QAction *reportAction() const { return m_report; }
    QMenu *chartsMenu() const { return m_charts; }

    // Enables what the current run and charts allow (done when the menu opens).
    void updateActions();

signals:
    // After each export: the file written, or the error the user was shown.
    void exported(bool ok, const QString &pathOrError);

private:
    QString ask(const QString &title, const QString &suggestedName, const QString &filter);
    void report(const prism::Result<void> &result, const QString &path, const QString &what);
    void rebuildChartsMenu();
    // The program whose prompt is exported: the current run's, else the study's.
    prism::Program currentProgram(const prism::Study &study, QString *error);

    ExportSources m_sources;
    QPointer<QWidget> m_parent;
    SaveFileName m_ask;
    QAction *m_program = nullptr;
    QAction *m_messages = nullptr;
    QAction *m_text = nullptr;
    QAction *m_trials = nullptr;
    QAction *m_report = nullptr;
    QMenu *m_charts = nullptr;
};
