#pragma once

#include "lm/prices.h"
#include "optimize/plan.h"
#include "run/run_controller.h"
#include "run/run_state.h"

#include <QString>
#include <QWidget>

#include <array>
#include <functional>
#include <optional>

class EngineBridge;
class ErrorBanner;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QPushButton;
class QSpinBox;
class StudyDocument;

// Run page: the optimizer and every knob of it (study().optimizer, edited
// through StudyDocument::setStudy so each change is one undo step), the auto
// presets with what they set, a pre-run estimate of calls, tokens, dollars and
// time (the engine's plan, optimize/plan.h, as `prism optimize --dry-run` prints it), budgets, threads and seed, and
// Start / Cancel / Resume through the EngineBridge. A compact status line follows the run's events. Start returns at
// once; the run goes on on the engine's thread.
class RunPage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunPage)

public:
    RunPage(StudyDocument *doc, EngineBridge *bridge, QWidget *parent = nullptr);
    ~RunPage() override;

    QComboBox *optimizerCombo() const { return m_optimizer; }
    QComboBox *autoCombo() const { return m_auto; }
    QLabel *presetLabel() const { return m_presetInfo; }
    QSpinBox *numCandidatesSpin() const { return m_numCandidates; }
    QSpinBox *numTrialsSpin() const { return m_numTrials; }
    QSpinBox *maxBootstrappedDemosSpin() const { return m_maxBootstrapped; }
    QSpinBox *maxLabeledDemosSpin() const { return m_maxLabeled; }
    QSpinBox *maxRoundsSpin() const { return m_maxRounds; }
    QCheckBox *metricThresholdCheck() const { return m_thresholdOn; }
    QDoubleSpinBox *metricThresholdSpin() const { return m_threshold; }
    QCheckBox *minibatchCheck() const { return m_minibatch; }
    QSpinBox *minibatchSizeSpin() const { return m_minibatchSize; }
    QSpinBox *minibatchFullEvalStepsSpin() const { return m_fullEvalSteps; }
    QDoubleSpinBox *initTemperatureSpin() const { return m_initTemperature; }
    QSpinBox *viewDataBatchSizeSpin() const { return m_viewDataBatch; }
    QCheckBox *programAwareCheck() const { return m_programAware; }
    QCheckBox *dataAwareCheck() const { return m_dataAware; }
    QCheckBox *tipAwareCheck() const { return m_tipAware; }
    QCheckBox *fewshotAwareCheck() const { return m_fewshotAware; }
    QComboBox *tipCombo() const { return m_tip; }
    QSpinBox *gepaMetricCallsSpin() const { return m_gepaMetricCalls; }
    QComboBox *gepaSelectionCombo() const { return m_gepaSelection; }
    QComboBox *gepaComponentsCombo() const { return m_gepaComponents; }
    QCheckBox *gepaMergeCheck() const { return m_gepaMerge; }
    QSpinBox *gepaReflectionCapSpin() const { return m_gepaReflectionCap; }
    QSpinBox *searchCandidatesSpin() const { return m_searchCandidates; }
    QCheckBox *stopAtScoreCheck() const { return m_stopAtScoreOn; }
    QDoubleSpinBox *stopAtScoreSpin() const { return m_stopAtScore; }
    QSpinBox *seedSpin() const { return m_seed; }
    QSpinBox *threadsSpin() const { return m_threads; }
    QSpinBox *maxCallsSpin() const { return m_maxCalls; }
    QDoubleSpinBox *maxDollarsSpin() const { return m_maxDollars; }
    QLabel *estimateTaskLabel() const { return m_estimateTask; }
    QLabel *estimateProposerLabel() const { return m_estimateProposer; }
    QLabel *estimateCostLabel() const { return m_estimateCost; }
    QLabel *estimateTimeLabel() const { return m_estimateTime; }
    QLabel *estimateJudgeLabel() const { return m_estimateJudge; } // shown for a judge metric only
    QLabel *startHintLabel() const { return m_startHint; }
    QLabel *statusLabel() const { return m_status; }
    QPushButton *startButton() const { return m_start; }
    QPushButton *cancelButton() const { return m_cancel; }
    QPushButton *resumeButton() const { return m_resume; }

    // The current estimate; nullptr while the knobs cannot run (see estimateError()).
    const prism::OptimizePlan *plan() const { return m_plan ? &*m_plan : nullptr; }
    QString estimateError() const { return m_estimateError; }
    // Why Start is refused right now; empty when a run can start.
    QString startBlocker() const;
    // The newest run of this study in the store, when it can be resumed.
    QString resumableRunId() const { return m_resumableRunId; }
    const prism::RunState &progress() const { return m_progress; }
    // What Start passes to the engine besides the study: path, threads, budget.
    prism::RunSettings runSettings() const;

    // Start and Resume as the buttons do; errors also go to the page's banner.
    bool start(QString *error = nullptr);
    bool resume(QString *error = nullptr);

signals:
    // After Start or Resume succeeded (the main window shows the Monitor).
    void runStartedByUser(const QString &runId);

private:
    QWidget *buildOptimizerBox();
    // The optimizer form's parts, top to bottom, and the edits they commit.
    void addSearchRows(QGroupBox *box);
    void addDemoRows(QGroupBox *box);
    void addMinibatchRows(QGroupBox *box);
    void addProposerRows(QGroupBox *box);
    void addGepaRows(QGroupBox *box);
    void addRandomSearchRows(QGroupBox *box);
    void connectRandomSearchEdits();
    void connectGepaEdits();
    void syncGepa(const prism::OptimizerConfig &c);
    void connectSearchEdits();
    void connectProposerEdits();
    QWidget *buildRunBox();
    QWidget *buildEstimateBox();
    void syncFromStudy();
    void updateApplicable();
    void updateEstimate();
    void showJudgeEstimate(bool shown);
    void updateButtons();
    void updateStatus();
    void refreshResumable();
    void rememberCleanRows();
    bool rowsUnsaved() const;
    void commit(const std::function<void(prism::OptimizerConfig &)> &edit, const QString &undoText,
                const QString &mergeKey = {});
    void onAutoChosen(int index);

    StudyDocument *m_doc;
    EngineBridge *m_bridge;
    bool m_syncing = false;
    prism::PriceTable m_prices;

    ErrorBanner *m_banner = nullptr;
    QFormLayout *m_form = nullptr;
    QComboBox *m_optimizer = nullptr;
    QComboBox *m_auto = nullptr;
    QLabel *m_presetInfo = nullptr;
    QSpinBox *m_numCandidates = nullptr;
    QSpinBox *m_numTrials = nullptr;
    QSpinBox *m_maxBootstrapped = nullptr;
    QSpinBox *m_maxLabeled = nullptr;
    QSpinBox *m_maxRounds = nullptr;
    QCheckBox *m_thresholdOn = nullptr;
    QDoubleSpinBox *m_threshold = nullptr;
    QWidget *m_thresholdRow = nullptr;
    QCheckBox *m_minibatch = nullptr;
    QSpinBox *m_minibatchSize = nullptr;
    QSpinBox *m_fullEvalSteps = nullptr;
    QDoubleSpinBox *m_initTemperature = nullptr;
    QSpinBox *m_viewDataBatch = nullptr;
    QWidget *m_proposerRow = nullptr;
    QCheckBox *m_programAware = nullptr;
    QCheckBox *m_dataAware = nullptr;
    QCheckBox *m_tipAware = nullptr;
    QCheckBox *m_fewshotAware = nullptr;
    QComboBox *m_tip = nullptr;
    // GEPA's knobs (docs/GEPA.md).
    QSpinBox *m_gepaMetricCalls = nullptr;
    QSpinBox *m_gepaMinibatch = nullptr;
    QComboBox *m_gepaSelection = nullptr;
    QComboBox *m_gepaComponents = nullptr;
    QWidget *m_gepaMergeRow = nullptr;
    QCheckBox *m_gepaMerge = nullptr;
    QSpinBox *m_gepaMaxMerges = nullptr;
    QCheckBox *m_gepaSkipPerfect = nullptr;
    QSpinBox *m_gepaReflectionCap = nullptr;
    // Random search's knobs: num_candidates (0 is valid: the three fixed candidates) and stop_at_score.
    QSpinBox *m_searchCandidates = nullptr;
    QWidget *m_stopAtScoreRow = nullptr;
    QCheckBox *m_stopAtScoreOn = nullptr;
    QDoubleSpinBox *m_stopAtScore = nullptr;
    QSpinBox *m_seed = nullptr;

    QSpinBox *m_threads = nullptr;
    QSpinBox *m_maxCalls = nullptr;
    QDoubleSpinBox *m_maxDollars = nullptr;

    QLabel *m_estimateTask = nullptr;
    QLabel *m_estimateProposer = nullptr;
    QLabel *m_estimateProposerTitle = nullptr; // "Proposer model", or "Reflection model" for GEPA
    QLabel *m_estimateJudge = nullptr;
    QLabel *m_estimateJudgeTitle = nullptr;
    QLabel *m_estimateCost = nullptr;
    QLabel *m_estimateTime = nullptr;
    QLabel *m_estimateNote = nullptr;
    std::optional<prism::OptimizePlan> m_plan;
    QString m_estimateError;

    QPushButton *m_start = nullptr;
    QPushButton *m_cancel = nullptr;
    QPushButton *m_resume = nullptr;
    QLabel *m_startHint = nullptr;
    QLabel *m_status = nullptr;
    QString m_resumableRunId;

    prism::RunState m_progress;                  // the run's events, folded
    std::optional<prism::RunStatus> m_runStatus; // once the bridge says the run ended
    prism::StopReason m_finishStopReason;        // the bridge's, for a run whose events did not say
    double m_spendDollars = 0.0;
    long long m_spendCalls = 0;

    // Row hashes of the last clean state (the rows on disk), to tell row
    // edits that a run would not see from edits of the study alone.
    std::optional<std::array<std::string, 3>> m_cleanRowHashes;
};
