#pragma once

#include "run/run_state.h"

#include <QString>
#include <QTimer>
#include <QWidget>

#include <memory>
#include <vector>

namespace prism {
class RunStore;
}

class CandidateTableModel;
class DemoSetTableModel;
class GepaViews;
class HeatmapWidget;
class QComboBox;
class QFrame;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTabWidget;
class QTableView;
class QTableWidget;
class QPushButton;
class QTextBrowser;
class TraceDialog;
class TrialChart;
class TrialTableModel;

// Monitor page: one run, live or reopened from the run store. It knows
// nothing of how events arrive: the caller hands it batches (a live run's
// bridge, or loadRun() replaying the stored log), a RunState folds them, and
// each view refreshes only what the batch changed.
//
// Header: run, phase, progress with ETA, best score, stop reason. Middle: the
// trial chart and the instruction x demo-set heatmap. Tabs: trials (select
// one for its per-example results), candidates, demo sets, ledger (polled
// from the store every second while live), log. A finished run explains its
// stop reason and notes in plain words. A GEPA run shows its candidate tree
// in the heatmap's place and two more tabs, its iterations and its Pareto
// frontier (GepaViews); it has no demo sets.
class MonitorPage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MonitorPage)

public:
    explicit MonitorPage(QWidget *parent = nullptr);
    ~MonitorPage() override;

    // For per-example results, the ledger and loadRun().
    void setStore(std::shared_ptr<prism::RunStore> store);
    // Clears the page and shows runId as a live run (the ledger is polled).
    void beginRun(const QString &runId);
    // Events in seq order, on the UI thread.
    void applyEvents(const std::vector<prism::RunEvent> &batch);
    // The run ended (status finished | cancelled | failed): stops polling,
    // reads the ledger once more, shows the explanation.
    void finishRun(const QString &runId, prism::RunStatus status, const prism::StopReason &stopReason);
    // Shows a past run by replaying its stored events. False (and error says
    // which run and why) when there is no store or the run cannot be read.
    bool loadRun(const QString &runId, QString *error);
    // After loadRun() of a run that goes on elsewhere (a team server's): the
    // page is live again, folding the events that arrive after lastSeq().
    void continueLive();
    std::uint64_t lastSeq() const;

signals:
    // The Cancel button of a live run (connected to EngineBridge::cancel).
    void cancelRequested();
    // "Use as the Run's Program" on a finished run's trial: make that
    // configuration the run's program (pagesregistry.cpp, prism::chooseRunProgram).
    void useProgramRequested(const QString &runId, const std::vector<prism::ConfigChoice> &config);

public:
    const prism::RunState &state() const { return m_state; }
    TrialChart *trialChart() const { return m_chart; }
    HeatmapWidget *heatmap() const { return m_heatmap; }
    QString runId() const { return m_runId; }
    bool isLive() const { return m_live; }

    // The parts tests and Export look at.
    QTabWidget *tabs() const { return m_tabs; }
    QTableView *trialsTable() const { return m_trialsView; }
    // The columns of exampleResultsTable(). The feedback comes before the
    // prediction: it says what was wrong (and quotes the answer) in the width
    // a 1024-pixel window leaves the drill-down.
    enum ExampleColumn { ExampleIndexColumn, ExampleScoreColumn, ExampleFeedbackColumn, ExamplePredictionColumn };
    QTableWidget *exampleResultsTable() const { return m_examples; }
    QLabel *exampleResultsLabel() const { return m_examplesLabel; }
    QTableView *candidatesTable() const { return m_candidatesView; }
    QTableView *demoSetsTable() const { return m_demoSetsView; }
    QTableWidget *demosTable() const { return m_demos; }
    QTableWidget *ledgerTable() const { return m_ledger; }
    QPlainTextEdit *logView() const { return m_log; }
    QFrame *explanationBox() const { return m_explanationBox; }
    QLabel *explanationLabel() const { return m_explanation; }
    QProgressBar *progressBar() const { return m_progress; }
    QPushButton *cancelButton() const { return m_cancel; }
    QLabel *bestLabel() const { return m_best; }
    QLabel *stopLabel() const { return m_stop; }
    QComboBox *predictorCombo() const { return m_predictorCombo; }
    // GEPA's candidate tree, frontier grid and iterations.
    GepaViews *gepaViews() const { return m_gepa; }
    QWidget *heatmapPanel() const { return m_heatPanel; }

    // Shows the per-example results of the trial in this row of the trials table.
    void showTrialResults(int row);
    // Opens the trace of the example in this row of the per-example table:
    // replayed from the run's call journal on a background thread, in a new
    // non-modal window. Null when there is no store or no such row.
    TraceDialog *openExampleTrace(int row);
    QPushButton *traceButton() const { return m_traceButton; }
    QPushButton *useProgramButton() const { return m_useButton; }
    // Asks to make the shown trial's configuration the run's program (the button's click).
    void useShownTrialProgram();
    // Reads the ledger totals from the store now.
    void refreshLedger();

private:
    QWidget *buildHeader();
    QWidget *buildTrialsTab();
    QWidget *buildCandidatesTab();
    QWidget *buildDemoSetsTab();
    QWidget *buildLedgerTab();
    void resetViews();
    void updateHeader();
    void updateHeatmap();
    void updatePredictors();
    // Shows GEPA's views for a GEPA run and the heatmap and demo sets for the others.
    void updateOptimizerViews();
    void updateExplanation();
    void appendLog(std::size_t from);
    // A line of the studio's own (a cancel click, a resume) in the log.
    void logNote(const QString &text);
    void showCandidate(int row);
    void showDemoSet(int row);
    void fillLedgerFromState();

    std::shared_ptr<prism::RunStore> m_store;
    prism::RunState m_state;
    QString m_runId;
    std::optional<prism::RunStatus> m_status; // from finishRun / the store; empty = from the events
    std::optional<prism::StopReason> m_stopReason;
    bool m_live = false;
    std::size_t m_bestMinibatchShown = 0;
    QTimer m_ledgerTimer;

    QLabel *m_title = nullptr;
    QLabel *m_phase = nullptr;
    QProgressBar *m_progress = nullptr;
    QPushButton *m_cancel = nullptr; // shown while a live run runs
    QString m_pendingNote;           // "resumed: session N", logged after the replayed lines
    QLabel *m_best = nullptr;
    QLabel *m_stop = nullptr;
    QFrame *m_explanationBox = nullptr;
    QLabel *m_explanation = nullptr;

    TrialChart *m_chart = nullptr;
    HeatmapWidget *m_heatmap = nullptr;
    QComboBox *m_predictorCombo = nullptr;
    QLabel *m_predictorLabel = nullptr;
    QWidget *m_heatPanel = nullptr;
    GepaViews *m_gepa = nullptr;

    QTabWidget *m_tabs = nullptr;
    TrialTableModel *m_trialsModel = nullptr;
    QTableView *m_trialsView = nullptr;
    QLabel *m_examplesLabel = nullptr;
    QTableWidget *m_examples = nullptr;
    QPushButton *m_traceButton = nullptr;
    QPushButton *m_useButton = nullptr;
    int m_shownTrial = -1;
    QString m_shownConfigKey; // the trial whose examples the table shows
    CandidateTableModel *m_candidatesModel = nullptr;
    QTableView *m_candidatesView = nullptr;
    QTextBrowser *m_candidateDetail = nullptr;
    DemoSetTableModel *m_demoSetsModel = nullptr;
    QTableView *m_demoSetsView = nullptr;
    QTableWidget *m_demos = nullptr;
    QLabel *m_ledgerLabel = nullptr;
    QTableWidget *m_ledger = nullptr;
    QPlainTextEdit *m_log = nullptr;
};
