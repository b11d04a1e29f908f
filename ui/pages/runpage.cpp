#include "pages/runpage.h"

#include "engine/enginebridge.h"
#include "qtconvert.h"
#include "studydocument.h"
#include "widgets/errorbanner.h"

#include "optimize/presets.h"
#include "run/run_controller.h"
#include "run/run_store.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <climits>
#include <cmath>

namespace {

struct OptimizerInfo {
    const char *key;
    const char *title;
};

const OptimizerInfo kOptimizers[] = {
    {"miprov2", "MIPROv2 (instructions and demos, Bayesian search)"},
    {"gepa", "GEPA (instructions that learn from failures, by reflection)"},
    {"bootstrap", "BootstrapFewShot (demos from successful traces)"},
    {"labeled", "LabeledFewShot (demos sampled from the rows)"},
    {"random_search", "Random search (the best of many bootstrapped demo sets)"},
};

// DSPy's tip keys (optimize/proposer.*); empty = a random tip per proposal.
const char *const kTips[] = {"creative", "simple", "description", "high_stakes", "persona", "none"};

QString tokensText(long long tokens)
{
    return QLocale().toString(static_cast<qlonglong>(tokens));
}

QString durationText(double seconds)
{
    if (seconds < 1.0)
        return QObject::tr("under a second");
    if (seconds < 90.0)
        return QObject::tr("about %1 s").arg(std::lround(seconds));
    if (seconds < 5400.0)
        return QObject::tr("about %1 min").arg(std::lround(seconds / 60.0));
    return QObject::tr("about %1 h").arg(seconds / 3600.0, 0, 'f', 1);
}

QString percentText(double score)
{
    return QStringLiteral("%1%").arg(score, 0, 'f', 2);
}

QSpinBox *makeSpin(QWidget *parent, const char *name, int min, int max, const QString &tip)
{
    auto *spin = new QSpinBox(parent);
    spin->setObjectName(QLatin1String(name));
    spin->setRange(min, max);
    spin->setToolTip(tip);
    spin->setKeyboardTracking(false); // one edit per value, not per keystroke
    return spin;
}

QCheckBox *makeCheck(QWidget *parent, const QString &text, const char *name, const QString &tip)
{
    auto *check = new QCheckBox(text, parent);
    check->setObjectName(QLatin1String(name));
    check->setToolTip(tip);
    return check;
}

} // namespace

RunPage::RunPage(StudyDocument *doc, EngineBridge *bridge, QWidget *parent)
    : QWidget(parent), m_doc(doc), m_bridge(bridge)
{
    setObjectName(QStringLiteral("runPage"));
    auto prices = prism::PriceTable::loadDefault();
    m_prices = prices ? prices.value() : prism::PriceTable::defaults();

    auto *layout = new QVBoxLayout(this);
    m_banner = new ErrorBanner(this);
    layout->addWidget(m_banner);
    if (!prices)
        m_banner->showMessage(tr("Your price file could not be read; the estimate uses the built-in prices. %1")
                                  .arg(toQ(prices.error().message)));

    auto *columns = new QHBoxLayout;
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(buildOptimizerBox());
    columns->addWidget(scroll, 3);
    auto *right = new QVBoxLayout;
    right->addWidget(buildRunBox());
    right->addWidget(buildEstimateBox());
    right->addStretch(1);
    columns->addLayout(right, 2);
    layout->addLayout(columns, 1);

    // Buttons and the status line.
    auto *actions = new QHBoxLayout;
    m_start = new QPushButton(tr("&Start"), this);
    m_start->setObjectName(QStringLiteral("startButton"));
    m_start->setDefault(true);
    m_cancel = new QPushButton(tr("&Cancel Run"), this);
    m_cancel->setObjectName(QStringLiteral("cancelButton"));
    m_cancel->setToolTip(tr("Stops starting model calls; the run keeps its best program so far and can be resumed"));
    m_resume = new QPushButton(tr("&Resume"), this);
    m_resume->setObjectName(QStringLiteral("resumeButton"));
    actions->addWidget(m_start);
    actions->addWidget(m_cancel);
    actions->addWidget(m_resume);
    m_startHint = new QLabel(this);
    m_startHint->setObjectName(QStringLiteral("startHint"));
    m_startHint->setWordWrap(true);
    m_startHint->setForegroundRole(QPalette::PlaceholderText);
    actions->addWidget(m_startHint, 1);
    layout->addLayout(actions);
    m_status = new QLabel(tr("No run yet."), this);
    m_status->setObjectName(QStringLiteral("runStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setFrameShape(QFrame::StyledPanel);
    m_status->setMargin(fontMetrics().averageCharWidth());
    layout->addWidget(m_status);

    connect(m_start, &QPushButton::clicked, this, [this] { start(); });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        m_bridge->cancel();
        m_cancel->setEnabled(false);
        updateStatus();
    });
    connect(m_resume, &QPushButton::clicked, this, [this] { resume(); });

    connect(m_bridge, &EngineBridge::runStarted, this, [this](const QString &) {
        m_progress.clear();
        m_runStatus.reset();
        m_finishStopReason = prism::StopReason();
        m_spendDollars = 0.0;
        m_spendCalls = 0;
        updateButtons();
        updateStatus();
    });
    connect(m_bridge, &EngineBridge::eventsArrived, this, [this](const std::vector<prism::RunEvent> &batch) {
        m_progress.apply(batch);
        updateStatus();
    });
    connect(m_bridge, &EngineBridge::spendChanged, this, [this](double dollars, qlonglong calls) {
        m_spendDollars = dollars;
        m_spendCalls = calls;
        updateStatus();
    });
    connect(m_bridge, &EngineBridge::runFinished, this,
            [this](const QString &, prism::RunStatus status, const prism::StopReason &stopReason) {
                m_runStatus = status;
                m_finishStopReason = stopReason;
                refreshResumable();
                updateButtons();
                updateStatus();
            });

    connect(m_doc, &StudyDocument::studyChanged, this, &RunPage::syncFromStudy);
    connect(m_doc, &StudyDocument::documentReset, this, [this] {
        rememberCleanRows();
        m_banner->clear();
        refreshResumable();
        syncFromStudy();
    });
    connect(m_doc, &StudyDocument::pathChanged, this, &RunPage::refreshResumable);
    connect(m_doc, &StudyDocument::modifiedChanged, this, [this](bool modified) {
        // A clean document has the rows of its files (opened, saved, or undone back to that).
        if (!modified)
            rememberCleanRows();
        updateButtons();
    });
    auto rowsEdited = [this] {
        updateEstimate();
        updateButtons();
    };
    connect(m_doc, &StudyDocument::dataChanged, this, rowsEdited);
    connect(m_doc, &StudyDocument::rowChanged, this, rowsEdited);
    connect(m_doc, &StudyDocument::rowsInserted, this, rowsEdited);
    connect(m_doc, &StudyDocument::rowsRemoved, this, rowsEdited);

    if (!m_doc->isModified())
        rememberCleanRows();
    refreshResumable();
    syncFromStudy();
}

RunPage::~RunPage() = default;

QWidget *RunPage::buildOptimizerBox()
{
    auto *box = new QGroupBox(tr("Optimizer"));
    box->setObjectName(QStringLiteral("optimizerBox"));
    m_form = new QFormLayout(box);
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

    addSearchRows(box);
    addDemoRows(box);
    addMinibatchRows(box);
    addProposerRows(box);
    addGepaRows(box);
    addRandomSearchRows(box);
    m_seed = makeSpin(box, "seedSpin", 0, INT_MAX, tr("seed: every random draw of the run; 0 is a seed too"));
    m_form->addRow(tr("Seed"), m_seed);

    connectSearchEdits();
    connectProposerEdits();
    connectGepaEdits();
    connectRandomSearchEdits();
    return box;
}

void RunPage::addRandomSearchRows(QGroupBox *box)
{
    m_searchCandidates =
        makeSpin(box, "searchCandidatesSpin", 0, 1000,
                 tr("num_candidates (DSPy's num_candidate_programs): bootstraps on shuffled rows, each of 1 to "
                    "Bootstrapped demos traces, tried after the zero-shot, labeled and unshuffled candidates"));
    m_form->addRow(tr("Shuffled candidates"), m_searchCandidates);
    m_stopAtScoreRow = new QWidget(box);
    auto *layout = new QHBoxLayout(m_stopAtScoreRow);
    layout->setContentsMargins(0, 0, 0, 0);
    m_stopAtScoreOn = makeCheck(m_stopAtScoreRow, tr("at"), "stopAtScoreCheck",
                                tr("stop_at_score: stop at the first candidate scoring at least this on the "
                                   "validation set; off = score every candidate"));
    m_stopAtScore = new QDoubleSpinBox(m_stopAtScoreRow);
    m_stopAtScore->setObjectName(QStringLiteral("stopAtScoreSpin"));
    m_stopAtScore->setRange(0.0, 100.0);
    m_stopAtScore->setDecimals(2);
    m_stopAtScore->setSuffix(QStringLiteral(" %"));
    m_stopAtScore->setKeyboardTracking(false);
    m_stopAtScore->setValue(100.0); // what turning it on starts from
    layout->addWidget(m_stopAtScoreOn);
    layout->addWidget(m_stopAtScore, 1);
    m_form->addRow(tr("Stop early"), m_stopAtScoreRow);
}

void RunPage::connectRandomSearchEdits()
{
    connect(m_searchCandidates, &QSpinBox::valueChanged, this, [this](int v) {
        commit([&](prism::OptimizerConfig &c) { c.numCandidates = v; }, tr("Change Shuffled Candidates"),
               QStringLiteral("searchCandidates"));
    });
    connect(m_stopAtScoreOn, &QCheckBox::toggled, this, [this](bool on) {
        const double value = m_stopAtScore->value();
        commit([&](prism::OptimizerConfig &c) { c.stopAtScore = on ? std::optional<double>(value) : std::nullopt; },
               on ? tr("Stop Early") : tr("Score Every Candidate"));
    });
    connect(m_stopAtScore, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        if (m_stopAtScoreOn->isChecked())
            commit([&](prism::OptimizerConfig &c) { c.stopAtScore = v; }, tr("Change Stop Score"),
                   QStringLiteral("stopAtScore"));
    });
}

void RunPage::addGepaRows(QGroupBox *box)
{
    m_gepaMetricCalls = makeSpin(box, "gepaMetricCallsSpin", 0, 100000000,
                                 tr("max_metric_calls: the budget in program runs on one example each (minibatches "
                                    "and validation rows); a repeated run costs nothing"));
    m_gepaMetricCalls->setSpecialValueText(tr("not set"));
    m_form->addRow(tr("Metric calls"), m_gepaMetricCalls);
    m_gepaMinibatch = makeSpin(box, "gepaMinibatchSpin", 1, 1000,
                               tr("reflection_minibatch_size: training rows each reflection reads"));
    m_form->addRow(tr("Rows per reflection"), m_gepaMinibatch);
    m_gepaSelection = new QComboBox(box);
    m_gepaSelection->setObjectName(QStringLiteral("gepaSelectionCombo"));
    m_gepaSelection->addItem(tr("Pareto frontier (candidates that lead on some row)"), QStringLiteral("pareto"));
    m_gepaSelection->addItem(tr("current best"), QStringLiteral("current_best"));
    m_gepaSelection->setToolTip(tr("candidate_selection_strategy: which candidate the next reflection improves"));
    m_form->addRow(tr("Parent"), m_gepaSelection);
    m_gepaComponents = new QComboBox(box);
    m_gepaComponents->setObjectName(QStringLiteral("gepaComponentsCombo"));
    m_gepaComponents->addItem(tr("one predictor at a time"), QStringLiteral("round_robin"));
    m_gepaComponents->addItem(tr("every predictor at once"), QStringLiteral("all"));
    m_gepaComponents->setToolTip(tr("component_selector: which predictors a reflection rewrites"));
    m_form->addRow(tr("Reflect on"), m_gepaComponents);

    m_gepaMergeRow = new QWidget(box);
    auto *merge = new QHBoxLayout(m_gepaMergeRow);
    merge->setContentsMargins(0, 0, 0, 0);
    m_gepaMerge = makeCheck(m_gepaMergeRow, tr("merge, at most"), "gepaMergeCheck",
                            tr("use_merge: combine two candidates that improved different predictors"));
    m_gepaMaxMerges = makeSpin(m_gepaMergeRow, "gepaMaxMergesSpin", 0, 1000, tr("max_merge_invocations"));
    merge->addWidget(m_gepaMerge);
    merge->addWidget(m_gepaMaxMerges, 1);
    m_form->addRow(tr("Merge"), m_gepaMergeRow);
    m_gepaSkipPerfect = makeCheck(box, tr("skip minibatches the parent already gets right"), "gepaSkipPerfectCheck",
                                  tr("skip_perfect_score: no reflection call when there is nothing to learn"));
    m_form->addRow(QString(), m_gepaSkipPerfect);
    m_gepaReflectionCap =
        makeSpin(box, "gepaReflectionCapSpin", 0, 1000000,
                 tr("max_reflection_calls: stop after this many reflection calls (DSPy has no such cap)"));
    m_gepaReflectionCap->setSpecialValueText(tr("no cap"));
    m_form->addRow(tr("Reflection calls"), m_gepaReflectionCap);
}

void RunPage::connectGepaEdits()
{
    connect(m_gepaMetricCalls, &QSpinBox::valueChanged, this, [this](int v) {
        commit(
            [&](prism::OptimizerConfig &c) {
                c.gepa.maxMetricCalls = v > 0 ? std::optional<int>(v) : std::nullopt;
                c.gepa.maxFullEvals.reset();
            },
            tr("Change Metric Calls"), QStringLiteral("gepaMetricCalls"));
    });
    connect(m_gepaMinibatch, &QSpinBox::valueChanged, this, [this](int v) {
        commit([&](prism::OptimizerConfig &c) { c.gepa.reflectionMinibatchSize = v; }, tr("Change Rows per Reflection"),
               QStringLiteral("gepaMinibatch"));
    });
    connect(m_gepaSelection, &QComboBox::currentIndexChanged, this, [this](int index) {
        const auto selection = prism::gepaSelectionFromName(toStd(m_gepaSelection->itemData(index).toString()));
        commit([&](prism::OptimizerConfig &c) { c.gepa.candidateSelection = selection.value(); },
               tr("Change Parent Selection"));
    });
    connect(m_gepaComponents, &QComboBox::currentIndexChanged, this, [this](int index) {
        const auto components = prism::gepaComponentsFromName(toStd(m_gepaComponents->itemData(index).toString()));
        commit([&](prism::OptimizerConfig &c) { c.gepa.componentSelector = components.value(); },
               tr("Change Predictors per Reflection"));
    });
    connect(m_gepaMerge, &QCheckBox::toggled, this, [this](bool on) {
        commit([&](prism::OptimizerConfig &c) { c.gepa.useMerge = on; }, on ? tr("Merge") : tr("Do Not Merge"));
    });
    connect(m_gepaMaxMerges, &QSpinBox::valueChanged, this, [this](int v) {
        commit([&](prism::OptimizerConfig &c) { c.gepa.maxMergeInvocations = v; }, tr("Change Merges"),
               QStringLiteral("gepaMaxMerges"));
    });
    connect(m_gepaSkipPerfect, &QCheckBox::toggled, this, [this](bool on) {
        commit([&](prism::OptimizerConfig &c) { c.gepa.skipPerfectScore = on; },
               on ? tr("Skip Perfect Minibatches") : tr("Reflect on Perfect Minibatches"));
    });
    connect(m_gepaReflectionCap, &QSpinBox::valueChanged, this, [this](int v) {
        commit(
            [&](prism::OptimizerConfig &c) {
                c.gepa.maxReflectionCalls = v > 0 ? std::optional<int>(v) : std::nullopt;
            },
            tr("Change Reflection Calls"), QStringLiteral("gepaReflectionCap"));
    });
}

// With a preset, the metric-call budget shows what the preset gives and
// cannot be edited (DSPy takes exactly one budget).
void RunPage::syncGepa(const prism::OptimizerConfig &c)
{
    const prism::GepaConfig &g = c.gepa;
    const bool preset = !c.autoMode.empty() && prism::gepaAutoCandidates(c.autoMode) > 0;
    if (preset) {
        const std::size_t train = static_cast<std::size_t>(m_doc->rowCount(Split::Train));
        std::size_t val = static_cast<std::size_t>(m_doc->rowCount(Split::Val));
        if (val == 0)
            val = train / 2;
        const auto budget =
            prism::gepaBudget(c, static_cast<int>(m_doc->study().program.tunableCount()), train - val, val);
        m_gepaMetricCalls->setValue(static_cast<int>(std::min<long long>(budget.maxMetricCalls, INT_MAX)));
        m_gepaMetricCalls->setToolTip(
            tr("Set by the %1 preset (%2); choose \"none\" to change it").arg(toQ(c.autoMode), toQ(budget.basis)));
    } else {
        m_gepaMetricCalls->setValue(g.maxMetricCalls.value_or(0));
        m_gepaMetricCalls->setToolTip(tr("max_metric_calls: the budget in program runs on one example each"));
    }
    m_gepaMetricCalls->setEnabled(!preset);
    m_gepaMinibatch->setValue(g.reflectionMinibatchSize);
    m_gepaSelection->setCurrentIndex(
        std::max(0, m_gepaSelection->findData(QString::fromLatin1(prism::gepaSelectionName(g.candidateSelection)))));
    m_gepaComponents->setCurrentIndex(
        std::max(0, m_gepaComponents->findData(QString::fromLatin1(prism::gepaComponentsName(g.componentSelector)))));
    m_gepaMerge->setChecked(g.useMerge);
    m_gepaMaxMerges->setValue(g.maxMergeInvocations);
    m_gepaMaxMerges->setEnabled(g.useMerge);
    m_gepaSkipPerfect->setChecked(g.skipPerfectScore);
    m_gepaReflectionCap->setValue(g.maxReflectionCalls.value_or(0));
}

void RunPage::addSearchRows(QGroupBox *box)
{
    m_optimizer = new QComboBox(box);
    m_optimizer->setObjectName(QStringLiteral("optimizerCombo"));
    for (const auto &o : kOptimizers)
        m_optimizer->addItem(tr(o.title), QString::fromLatin1(o.key));
    m_form->addRow(tr("Optimizer"), m_optimizer);

    m_auto = new QComboBox(box);
    m_auto->setObjectName(QStringLiteral("autoCombo"));
    m_auto->addItem(tr("none (choose candidates and trials)"), QString());
    for (const char *name : {"light", "medium", "heavy"})
        m_auto->addItem(QString::fromLatin1(name), QString::fromLatin1(name));
    m_auto->setToolTip(tr("auto: DSPy's presets; they set the number of candidates and trials"));
    m_form->addRow(tr("Preset"), m_auto);
    m_presetInfo = new QLabel(box);
    m_presetInfo->setObjectName(QStringLiteral("presetInfo"));
    m_presetInfo->setWordWrap(true);
    m_presetInfo->setForegroundRole(QPalette::PlaceholderText);
    m_form->addRow(QString(), m_presetInfo);

    m_numCandidates = makeSpin(box, "numCandidatesSpin", 0, 1000,
                               tr("num_candidates: demo sets and instruction candidates per predictor"));
    m_numCandidates->setSpecialValueText(tr("not set"));
    m_form->addRow(tr("Candidates"), m_numCandidates);
    m_numTrials = makeSpin(box, "numTrialsSpin", -1, 100000, tr("num_trials: search trials after the baseline"));
    m_numTrials->setSpecialValueText(tr("not set"));
    m_form->addRow(tr("Trials"), m_numTrials);
}

void RunPage::addDemoRows(QGroupBox *box)
{
    m_maxBootstrapped =
        makeSpin(box, "maxBootstrappedSpin", 0, 100,
                 tr("max_bootstrapped_demos: demos taken from successful traces (0 with 0 labeled = zero-shot)"));
    m_form->addRow(tr("Bootstrapped demos"), m_maxBootstrapped);
    m_maxLabeled =
        makeSpin(box, "maxLabeledSpin", 0, 100, tr("max_labeled_demos: demos taken from the rows as they are"));
    m_form->addRow(tr("Labeled demos"), m_maxLabeled);
    m_maxRounds =
        makeSpin(box, "maxRoundsSpin", 1, 20, tr("max_rounds: tries per training row, later ones at temperature 1.0"));
    m_form->addRow(tr("Bootstrap rounds"), m_maxRounds);

    m_thresholdRow = new QWidget(box);
    auto *thresholdLayout = new QHBoxLayout(m_thresholdRow);
    thresholdLayout->setContentsMargins(0, 0, 0, 0);
    m_thresholdOn =
        makeCheck(m_thresholdRow, tr("at least"), "metricThresholdCheck",
                  tr("metric_threshold: the score a trace needs to become a demo; off = a fully correct trace"));
    m_threshold = new QDoubleSpinBox(m_thresholdRow);
    m_threshold->setObjectName(QStringLiteral("metricThresholdSpin"));
    m_threshold->setRange(0.0, 1.0);
    m_threshold->setDecimals(2);
    m_threshold->setSingleStep(0.05);
    m_threshold->setKeyboardTracking(false);
    m_threshold->setValue(1.0); // what "off" means, so turning it on starts from there
    thresholdLayout->addWidget(m_thresholdOn);
    thresholdLayout->addWidget(m_threshold, 1);
    m_form->addRow(tr("Demo score threshold"), m_thresholdRow);
}

void RunPage::addMinibatchRows(QGroupBox *box)
{
    m_minibatch = makeCheck(box, tr("score trials on minibatches"), "minibatchCheck",
                            tr("minibatch: trials score a sample of the validation set; the best are fully evaluated"));
    m_form->addRow(tr("Minibatch"), m_minibatch);
    m_minibatchSize = makeSpin(box, "minibatchSizeSpin", 1, 10000, tr("minibatch_size: validation rows per trial"));
    m_form->addRow(tr("Minibatch size"), m_minibatchSize);
    m_fullEvalSteps = makeSpin(box, "fullEvalStepsSpin", 1, 1000,
                               tr("minibatch_full_eval_steps: a full evaluation after this many minibatch trials"));
    m_form->addRow(tr("Full evaluation every"), m_fullEvalSteps);
}

void RunPage::addProposerRows(QGroupBox *box)
{
    m_initTemperature = new QDoubleSpinBox(box);
    m_initTemperature->setObjectName(QStringLiteral("initTemperatureSpin"));
    m_initTemperature->setRange(0.0, 2.0);
    m_initTemperature->setDecimals(2);
    m_initTemperature->setSingleStep(0.1);
    m_initTemperature->setKeyboardTracking(false);
    m_initTemperature->setToolTip(tr("init_temperature: temperature of the proposer's descriptions and instructions"));
    m_form->addRow(tr("Proposer temperature"), m_initTemperature);
    m_viewDataBatch =
        makeSpin(box, "viewDataBatchSpin", 1, 1000, tr("view_data_batch_size: training rows per dataset-summary call"));
    m_form->addRow(tr("Rows per summary call"), m_viewDataBatch);

    m_proposerRow = new QWidget(box);
    auto *grounding = new QGridLayout(m_proposerRow);
    grounding->setContentsMargins(0, 0, 0, 0);
    m_programAware = makeCheck(m_proposerRow, tr("program"), "programAwareCheck",
                               tr("program_aware_proposer: show the program code and its descriptions"));
    m_dataAware = makeCheck(m_proposerRow, tr("dataset summary"), "dataAwareCheck",
                            tr("data_aware_proposer: summarize the training rows for the proposer"));
    m_tipAware = makeCheck(m_proposerRow, tr("random tip"), "tipAwareCheck",
                           tr("tip_aware_proposer: add a random style tip to each proposal"));
    m_fewshotAware = makeCheck(m_proposerRow, tr("task demos"), "fewshotAwareCheck",
                               tr("fewshot_aware_proposer: show demos of the task"));
    grounding->addWidget(m_programAware, 0, 0);
    grounding->addWidget(m_dataAware, 0, 1);
    grounding->addWidget(m_tipAware, 1, 0);
    grounding->addWidget(m_fewshotAware, 1, 1);
    m_form->addRow(tr("Proposer sees"), m_proposerRow);

    m_tip = new QComboBox(box);
    m_tip->setObjectName(QStringLiteral("tipCombo"));
    m_tip->addItem(tr("a random tip per proposal"), QString());
    for (const char *tip : kTips)
        m_tip->addItem(QString::fromLatin1(tip), QString::fromLatin1(tip));
    m_tip->setToolTip(tr("tip: one tip for every proposal, even with the random tip off"));
    m_form->addRow(tr("Tip"), m_tip);
}

void RunPage::connectSearchEdits()
{
    connect(m_optimizer, &QComboBox::currentIndexChanged, this, [this](int index) {
        const std::string key = toStd(m_optimizer->itemData(index).toString());
        commit([&](prism::OptimizerConfig &c) { c.name = key; },
               tr("Use %1").arg(m_optimizer->itemText(index).section(QLatin1Char(' '), 0, 0)));
    });
    connect(m_auto, &QComboBox::currentIndexChanged, this, &RunPage::onAutoChosen);
    connect(m_numCandidates, &QSpinBox::valueChanged, this, [this](int v) {
        commit([&](prism::OptimizerConfig &c) { c.numCandidates = v > 0 ? std::optional<int>(v) : std::nullopt; },
               tr("Change Candidates"), QStringLiteral("numCandidates"));
    });
    connect(m_numTrials, &QSpinBox::valueChanged, this, [this](int v) {
        commit([&](prism::OptimizerConfig &c) { c.numTrials = v >= 0 ? std::optional<int>(v) : std::nullopt; },
               tr("Change Trials"), QStringLiteral("numTrials"));
    });
    connect(m_maxBootstrapped, &QSpinBox::valueChanged, this, [this](int v) {
        commit([&](prism::OptimizerConfig &c) { c.maxBootstrappedDemos = v; }, tr("Change Bootstrapped Demos"),
               QStringLiteral("maxBootstrapped"));
    });
    connect(m_maxLabeled, &QSpinBox::valueChanged, this, [this](int v) {
        commit([&](prism::OptimizerConfig &c) { c.maxLabeledDemos = v; }, tr("Change Labeled Demos"),
               QStringLiteral("maxLabeled"));
    });
    connect(m_maxRounds, &QSpinBox::valueChanged, this, [this](int v) {
        commit([&](prism::OptimizerConfig &c) { c.maxRounds = v; }, tr("Change Bootstrap Rounds"),
               QStringLiteral("maxRounds"));
    });
    connect(m_thresholdOn, &QCheckBox::toggled, this, [this](bool on) {
        const double value = m_threshold->value();
        commit([&](prism::OptimizerConfig &c) { c.metricThreshold = on ? std::optional<double>(value) : std::nullopt; },
               on ? tr("Set Demo Score Threshold") : tr("Remove Demo Score Threshold"));
    });
    connect(m_threshold, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        if (m_thresholdOn->isChecked())
            commit([&](prism::OptimizerConfig &c) { c.metricThreshold = v; }, tr("Change Demo Score Threshold"),
                   QStringLiteral("threshold"));
    });
    connect(m_minibatch, &QCheckBox::toggled, this, [this](bool on) {
        commit([&](prism::OptimizerConfig &c) { c.minibatch = on; },
               on ? tr("Use Minibatches") : tr("Score Full Validation Set"));
    });
    connect(m_minibatchSize, &QSpinBox::valueChanged, this, [this](int v) {
        commit([&](prism::OptimizerConfig &c) { c.minibatchSize = v; }, tr("Change Minibatch Size"),
               QStringLiteral("minibatchSize"));
    });
    connect(m_fullEvalSteps, &QSpinBox::valueChanged, this, [this](int v) {
        commit([&](prism::OptimizerConfig &c) { c.minibatchFullEvalSteps = v; }, tr("Change Full Evaluation Interval"),
               QStringLiteral("fullEvalSteps"));
    });
    connect(m_seed, &QSpinBox::valueChanged, this, [this](int v) {
        commit([&](prism::OptimizerConfig &c) { c.seed = static_cast<std::uint64_t>(v); }, tr("Change Seed"),
               QStringLiteral("seed"));
    });
}

void RunPage::connectProposerEdits()
{
    connect(m_initTemperature, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        commit([&](prism::OptimizerConfig &c) { c.initTemperature = v; }, tr("Change Proposer Temperature"),
               QStringLiteral("initTemperature"));
    });
    connect(m_viewDataBatch, &QSpinBox::valueChanged, this, [this](int v) {
        commit([&](prism::OptimizerConfig &c) { c.viewDataBatchSize = v; }, tr("Change Rows per Summary Call"),
               QStringLiteral("viewDataBatch"));
    });
    const std::pair<QCheckBox *, bool prism::OptimizerConfig::*> grounds[] = {
        {m_programAware, &prism::OptimizerConfig::programAwareProposer},
        {m_dataAware, &prism::OptimizerConfig::dataAwareProposer},
        {m_tipAware, &prism::OptimizerConfig::tipAwareProposer},
        {m_fewshotAware, &prism::OptimizerConfig::fewshotAwareProposer},
    };
    for (const auto &[check, member] : grounds) {
        connect(check, &QCheckBox::toggled, this, [this, check = check, member = member](bool on) {
            commit([&](prism::OptimizerConfig &c) { c.*member = on; },
                   on ? tr("Show the Proposer the %1").arg(check->text())
                      : tr("Hide the %1 from the Proposer").arg(check->text()));
        });
    }
    connect(m_tip, &QComboBox::currentIndexChanged, this, [this](int index) {
        const std::string tip = toStd(m_tip->itemData(index).toString());
        commit([&](prism::OptimizerConfig &c) { c.tip = tip; }, tr("Change Tip"));
    });
}

QWidget *RunPage::buildRunBox()
{
    auto *box = new QGroupBox(tr("Run"), this);
    box->setObjectName(QStringLiteral("runBox"));
    auto *form = new QFormLayout(box);
    m_threads =
        makeSpin(box, "threadsSpin", 1, 256,
                 tr("Trials and rows scored in parallel (the study's eval threads); results do not depend on it"));
    form->addRow(tr("Threads"), m_threads);
    m_maxCalls = makeSpin(box, "maxCallsSpin", 0, 100000000, tr("No new model call starts once this many were made"));
    m_maxCalls->setSpecialValueText(tr("no limit"));
    m_maxCalls->setSingleStep(100);
    form->addRow(tr("Max calls"), m_maxCalls);
    m_maxDollars = new QDoubleSpinBox(box);
    m_maxDollars->setObjectName(QStringLiteral("maxDollarsSpin"));
    m_maxDollars->setRange(0.0, 100000.0);
    m_maxDollars->setDecimals(2);
    m_maxDollars->setPrefix(QStringLiteral("$"));
    m_maxDollars->setSpecialValueText(tr("no limit"));
    m_maxDollars->setToolTip(tr("No new model call starts once the ledger reaches this spend"));
    form->addRow(tr("Max spend"), m_maxDollars);
    auto *note = new QLabel(tr("A run that reaches a limit ends cleanly with its best program so far."), box);
    note->setWordWrap(true);
    note->setForegroundRole(QPalette::PlaceholderText);
    form->addRow(note);

    connect(m_threads, &QSpinBox::valueChanged, this, [this](int v) {
        if (m_syncing)
            return;
        prism::Study study = m_doc->study();
        study.eval.threads = v;
        m_doc->setStudy(study, tr("Change Threads"), QStringLiteral("run.threads"));
    });
    return box;
}

QWidget *RunPage::buildEstimateBox()
{
    auto *box = new QGroupBox(tr("Estimate before the run"), this);
    box->setObjectName(QStringLiteral("estimateBox"));
    auto *form = new QFormLayout(box);
    auto label = [box](const char *name) {
        auto *l = new QLabel(box);
        l->setObjectName(QLatin1String(name));
        l->setWordWrap(true);
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
        return l;
    };
    m_estimateTask = label("estimateTask");
    m_estimateProposer = label("estimateProposer");
    m_estimateCost = label("estimateCost");
    m_estimateTime = label("estimateTime");
    form->addRow(tr("Task model"), m_estimateTask);
    m_estimateProposerTitle = new QLabel(tr("Proposer model"));
    // Room for the longer title GEPA gives it, so the switch does not clip.
    m_estimateProposerTitle->setMinimumWidth(
        std::max(m_estimateProposerTitle->fontMetrics().horizontalAdvance(tr("Reflection model")),
                 m_estimateProposerTitle->fontMetrics().horizontalAdvance(tr("Proposer model"))));
    form->addRow(m_estimateProposerTitle, m_estimateProposer);
    m_estimateJudge = label("estimateJudge");
    m_estimateJudgeTitle = new QLabel(tr("Judge model"));
    form->addRow(m_estimateJudgeTitle, m_estimateJudge);
    showJudgeEstimate(false);
    form->addRow(tr("Cost"), m_estimateCost);
    form->addRow(tr("Time"), m_estimateTime);
    m_estimateNote = label("estimateNote");
    m_estimateNote->setForegroundRole(QPalette::PlaceholderText);
    m_estimateNote->setText(tr("An estimate: counts are what the optimizer may ask for at most; repeated scores, "
                               "bootstrapping that fills its sets early and cached answers make the run cheaper. "
                               "Tokens are guessed from text length."));
    form->addRow(m_estimateNote);
    return box;
}

void RunPage::commit(const std::function<void(prism::OptimizerConfig &)> &edit, const QString &undoText,
                     const QString &mergeKey)
{
    if (m_syncing)
        return;
    prism::Study study = m_doc->study();
    edit(study.optimizer);
    if (study == m_doc->study())
        return;
    m_doc->setStudy(study, undoText, mergeKey.isEmpty() ? QString() : QStringLiteral("run.") + mergeKey);
}

void RunPage::onAutoChosen(int index)
{
    if (m_syncing)
        return;
    const std::string preset = toStd(m_auto->itemData(index).toString());
    const prism::OptimizerConfig before = m_doc->study().optimizer;
    const int predictors = static_cast<int>(m_doc->study().program.tunableCount());
    if (before.name == "gepa") {
        commit(
            [&](prism::OptimizerConfig &c) {
                c.autoMode = preset;
                if (!preset.empty()) {
                    c.gepa.maxMetricCalls.reset();
                    c.gepa.maxFullEvals.reset();
                } else if (!c.gepa.maxMetricCalls && !c.gepa.maxFullEvals) {
                    // A budget of its own starts from what the preset gave.
                    c.gepa.maxMetricCalls = m_gepaMetricCalls->value() > 0 ? m_gepaMetricCalls->value() : 200;
                }
            },
            preset.empty() ? tr("Choose the Metric Calls") : tr("Use the %1 Preset").arg(toQ(preset)));
        return;
    }
    commit(
        [&](prism::OptimizerConfig &c) {
            c.autoMode = preset;
            if (!preset.empty()) {
                // A preset sets both itself; DSPy refuses them alongside auto.
                c.numCandidates.reset();
                c.numTrials.reset();
            } else if (auto s = prism::resolveMiproSettings(before, predictors); s && s->autoMode) {
                // Manual mode starts from what the preset used.
                c.numCandidates = s->numFewshotCandidates > 0 ? s->numFewshotCandidates : s->numInstructCandidates;
                c.numTrials = s->numTrials;
            }
        },
        preset.empty() ? tr("Choose Candidates and Trials") : tr("Use the %1 Preset").arg(toQ(preset)));
}

void RunPage::syncFromStudy()
{
    const prism::OptimizerConfig &c = m_doc->study().optimizer;
    m_syncing = true;
    m_optimizer->setCurrentIndex(std::max(0, m_optimizer->findData(toQ(c.name))));
    m_auto->setCurrentIndex(std::max(0, m_auto->findData(toQ(c.autoMode))));
    const bool preset = !c.autoMode.empty() && prism::autoPreset(c.autoMode);
    std::optional<prism::MiproSettings> resolved;
    if (preset) {
        prism::OptimizerConfig presetConfig = c;
        presetConfig.numCandidates.reset();
        presetConfig.numTrials.reset();
        if (auto s = prism::resolveMiproSettings(presetConfig, static_cast<int>(m_doc->study().program.tunableCount())))
            resolved = s.value();
    }
    // With a preset the two knobs show what it sets and cannot be edited.
    if (resolved) {
        m_numCandidates->setValue(resolved->numFewshotCandidates > 0 ? resolved->numFewshotCandidates
                                                                     : resolved->numInstructCandidates);
        m_numTrials->setValue(resolved->numTrials);
        const QString by = tr("Set by the %1 preset; choose \"none\" to change it").arg(toQ(c.autoMode));
        m_numCandidates->setToolTip(by);
        m_numTrials->setToolTip(by);
    } else {
        m_numCandidates->setValue(c.numCandidates.value_or(0));
        m_numTrials->setValue(c.numTrials.value_or(-1));
        m_numCandidates->setToolTip(tr("num_candidates: demo sets and instruction candidates per predictor"));
        m_numTrials->setToolTip(tr("num_trials: search trials after the baseline"));
    }
    m_maxBootstrapped->setValue(c.maxBootstrappedDemos);
    m_maxLabeled->setValue(c.maxLabeledDemos);
    m_maxRounds->setValue(c.maxRounds);
    m_thresholdOn->setChecked(c.metricThreshold.has_value());
    if (c.metricThreshold)
        m_threshold->setValue(*c.metricThreshold);
    m_minibatch->setChecked(c.minibatch);
    m_minibatchSize->setValue(c.minibatchSize);
    m_fullEvalSteps->setValue(c.minibatchFullEvalSteps);
    m_initTemperature->setValue(c.initTemperature);
    m_viewDataBatch->setValue(c.viewDataBatchSize);
    m_programAware->setChecked(c.programAwareProposer);
    m_dataAware->setChecked(c.dataAwareProposer);
    m_tipAware->setChecked(c.tipAwareProposer);
    m_fewshotAware->setChecked(c.fewshotAwareProposer);
    int tipIndex = m_tip->findData(toQ(c.tip));
    if (tipIndex < 0) {
        // A literal tip text from the study file.
        m_tip->addItem(toQ(c.tip), toQ(c.tip));
        tipIndex = m_tip->count() - 1;
    }
    m_tip->setCurrentIndex(tipIndex);
    syncGepa(c);
    m_searchCandidates->setValue(c.numCandidates.value_or(prism::kRandomSearchCandidates));
    m_stopAtScoreOn->setChecked(c.stopAtScore.has_value());
    if (c.stopAtScore)
        m_stopAtScore->setValue(*c.stopAtScore);
    m_seed->setValue(static_cast<int>(std::min<std::uint64_t>(c.seed, INT_MAX)));
    m_threads->setValue(m_doc->study().eval.threads);
    m_syncing = false;
    updateApplicable();
    updateEstimate();
    updateButtons();
}

void RunPage::updateApplicable()
{
    const prism::OptimizerConfig &c = m_doc->study().optimizer;
    const bool mipro = c.name == "miprov2";
    const bool gepa = c.name == "gepa";
    const bool search = c.name == "random_search";
    const bool bootstrap = c.name == "bootstrap" || search;
    const bool preset = (mipro || gepa) && !c.autoMode.empty();
    m_form->setRowVisible(m_searchCandidates, search);
    m_form->setRowVisible(m_stopAtScoreRow, search);
    m_stopAtScore->setEnabled(m_stopAtScoreOn->isChecked());
    m_form->setRowVisible(m_auto, mipro || gepa);
    m_form->setRowVisible(m_presetInfo, preset);
    for (QWidget *w :
         std::initializer_list<QWidget *>{m_gepaMetricCalls, m_gepaMinibatch, m_gepaSelection, m_gepaComponents,
                                          m_gepaMergeRow, m_gepaSkipPerfect, m_gepaReflectionCap})
        m_form->setRowVisible(w, gepa);
    m_form->setRowVisible(m_numCandidates, mipro);
    m_form->setRowVisible(m_numTrials, mipro);
    m_form->setRowVisible(m_maxLabeled, !gepa); // GEPA changes instructions only
    m_form->setRowVisible(m_maxBootstrapped, mipro || bootstrap);
    m_form->setRowVisible(m_maxRounds, mipro || bootstrap);
    m_form->setRowVisible(m_thresholdRow, mipro || bootstrap);
    for (QWidget *w : std::initializer_list<QWidget *>{m_minibatch, m_minibatchSize, m_fullEvalSteps, m_initTemperature,
                                                       m_viewDataBatch, m_proposerRow, m_tip})
        m_form->setRowVisible(w, mipro);
    m_numCandidates->setEnabled(!preset);
    m_numTrials->setEnabled(!preset);
    // An auto preset decides minibatching by the validation set's size.
    m_minibatch->setEnabled(!preset);
    m_threshold->setEnabled(m_thresholdOn->isChecked());
    if (preset && gepa) {
        m_presetInfo->setText(tr("%1: the metric calls DSPy's GEPA budgets for this program and validation set; "
                                 "every iteration reflects on %2 training rows")
                                  .arg(toQ(c.autoMode))
                                  .arg(c.gepa.reflectionMinibatchSize));
    } else if (preset) {
        const std::size_t train = static_cast<std::size_t>(m_doc->rowCount(Split::Train));
        const std::size_t val = static_cast<std::size_t>(m_doc->rowCount(Split::Val));
        m_presetInfo->setText(toQ(prism::describeAutoPreset(c.autoMode, m_doc->study(), train, val)));
    }
}

// The judge row only when the study's metric calls a judge model.
void RunPage::showJudgeEstimate(bool shown)
{
    m_estimateJudgeTitle->setVisible(shown);
    m_estimateJudge->setVisible(shown);
    if (!shown)
        m_estimateJudge->clear();
}

void RunPage::updateEstimate()
{
    const prism::Study &study = m_doc->study();
    // What Start would run: the same threads and test comparison as runSettings().
    const prism::RunSettings settings = runSettings();
    prism::PlanInputs inputs;
    inputs.valRows = static_cast<std::size_t>(m_doc->rowCount(Split::Val));
    inputs.testRows = static_cast<std::size_t>(m_doc->rowCount(Split::Test));
    inputs.compareOnTest = settings.compareOnTest;
    inputs.threads = settings.threads.value_or(study.eval.threads);
    auto planned = prism::planOptimization(study, m_doc->examples(Split::Train), inputs, m_prices);
    if (!planned) {
        m_plan.reset();
        m_estimateError = toQ(planned.error().message);
        m_estimateTask->setText(tr("No estimate: %1").arg(m_estimateError));
        m_estimateProposer->clear();
        showJudgeEstimate(false);
        m_estimateCost->clear();
        m_estimateTime->clear();
        return;
    }
    m_plan = std::move(planned.value());
    m_estimateError.clear();
    const prism::OptimizePlan &p = *m_plan;
    QStringList parts;
    if (p.bootstrapRuns > 0)
        parts << tr("up to %1 to bootstrap demos").arg(countOf(p.bootstrapRuns, tr("row"), tr("rows")));
    if (p.evaluationRuns > 0 && p.optimizer != "gepa")
        parts << tr("%1 scored").arg(countOf(p.evaluationRuns, tr("validation row"), tr("validation rows")));
    if (p.optimizer == "miprov2")
        parts << (p.minibatch ? tr("minibatches of %1, %2")
                                    .arg(study.optimizer.minibatchSize)
                                    .arg(countOf(p.fullEvals, tr("full evaluation"), tr("full evaluations")))
                              : tr("%1 validation rows per trial").arg(p.valRows));
    if (p.optimizer == "random_search")
        parts << tr("%1 on %2 each")
                     .arg(countOf(p.candidates, tr("candidate"), tr("candidates")),
                          countOf(static_cast<long long>(p.valRows), tr("row"), tr("rows")));
    if (p.optimizer == "gepa")
        parts << tr("a budget of %1").arg(countOf(p.maxMetricCalls, tr("metric call"), tr("metric calls")));
    m_estimateTask->setText(
        tr("%1 · %2 tokens (%3)")
            .arg(countOf(p.task.calls, tr("call"), tr("calls")),
                 tokensText(p.task.promptTokens + p.task.completionTokens),
                 parts.isEmpty() ? tr("no validation set: nothing to score") : parts.join(QStringLiteral(", "))));
    m_estimateProposerTitle->setText(p.optimizer == "gepa" ? tr("Reflection model") : tr("Proposer model"));
    m_estimateProposer->setText(
        p.optimizer == "gepa" ? tr("up to %1 · %2 tokens")
                                    .arg(countOf(p.reflection.calls, tr("call"), tr("calls")),
                                         tokensText(p.reflection.promptTokens + p.reflection.completionTokens))
        : p.proposer.calls == 0 ? tr("no calls")
                                : tr("%1 · %2 tokens")
                                      .arg(countOf(p.proposer.calls, tr("call"), tr("calls")),
                                           tokensText(p.proposer.promptTokens + p.proposer.completionTokens)));
    showJudgeEstimate(p.judgeCalls > 0);
    if (p.judgeCalls > 0)
        m_estimateJudge->setText(tr("up to %1 on %2, one per scored row · %3 tokens")
                                     .arg(countOf(p.judge.calls, tr("call"), tr("calls")), toQ(study.judgeModel.model),
                                          tokensText(p.judge.promptTokens + p.judge.completionTokens)));
    const prism::CostEstimate total = p.total();
    if (total.dollars) {
        m_estimateCost->setText(*total.dollars == 0.0
                                    ? tr("$0.00 (free models)")
                                    : tr("about $%1").arg(*total.dollars, 0, 'f', *total.dollars < 1.0 ? 4 : 2));
    } else {
        QStringList unpriced;
        if (!p.task.dollars)
            unpriced << toQ(study.taskModel.model);
        auto addUnpriced = [&](const prism::CostEstimate &cost, const prism::ModelConfig &model) {
            if (cost.calls > 0 && !cost.dollars && !unpriced.contains(toQ(model.model)))
                unpriced << toQ(model.model);
        };
        addUnpriced(p.proposer, study.proposerModel);
        addUnpriced(p.reflection, study.reflectionModel);
        addUnpriced(p.judge, study.judgeModel);
        m_estimateCost->setText(
            tr("unknown: no price for %1 (add one on the Models page)").arg(unpriced.join(tr(" and "))));
    }
    // The time counts min(threads, the model's concurrency) calls at once (estimateSeconds):
    // say so when the model allows fewer calls than there are threads.
    QString time =
        tr("%1 with %2").arg(durationText(p.seconds), countOf(study.eval.threads, tr("thread"), tr("threads")));
    if (study.taskModel.maxConcurrency < study.eval.threads)
        time += tr(", at most %1 at a time (the task model's concurrency)")
                    .arg(countOf(study.taskModel.maxConcurrency, tr("call"), tr("calls")));
    m_estimateTime->setText(time);
}

void RunPage::rememberCleanRows()
{
    const prism::StudyData &data = m_doc->data();
    m_cleanRowHashes = std::array<std::string, 3>{data.train.hash, data.val.hash, data.test.hash};
}

bool RunPage::rowsUnsaved() const
{
    if (!m_doc->isModified())
        return false;
    if (!m_cleanRowHashes)
        return true; // never seen clean: the rows may differ from the files
    const prism::StudyData &data = m_doc->data();
    return data.train.hash != (*m_cleanRowHashes)[0] || data.val.hash != (*m_cleanRowHashes)[1]
           || data.test.hash != (*m_cleanRowHashes)[2];
}

QString RunPage::startBlocker() const
{
    if (m_bridge->isRunning())
        return tr("Run %1 is under way.").arg(m_bridge->runId());
    if (m_doc->rowCount(Split::Train) == 0)
        return tr("The study has no training rows: import or add some on the Dataset page.");
    if (rowsUnsaved())
        return tr("Save the study first (Ctrl+S): the run reads the saved rows, and rows were changed since.");
    // The engine's one check, as `prism optimize` and RunController::start make it: no run is created.
    if (auto valid = prism::checkRunSettings(m_doc->study(), runSettings()); !valid)
        return tr("The optimizer settings cannot run: %1").arg(toQ(valid.error().message));
    if (!m_plan)
        return tr("The optimizer settings cannot run: %1").arg(m_estimateError);
    return {};
}

void RunPage::updateButtons()
{
    const QString blocker = startBlocker();
    const bool running = m_bridge->isRunning();
    m_start->setEnabled(blocker.isEmpty());
    m_cancel->setEnabled(running);
    m_resume->setEnabled(!running && !m_resumableRunId.isEmpty());
    m_resume->setToolTip(m_resumableRunId.isEmpty()
                             ? tr("No cancelled or interrupted run of this study to resume")
                             : tr("Continue run %1 with the answers it already paid for").arg(m_resumableRunId));
    if (!running && !blocker.isEmpty())
        m_startHint->setText(blocker);
    else if (!running && !m_resumableRunId.isEmpty())
        m_startHint->setText(tr("Run %1 was stopped early; Resume continues it.").arg(m_resumableRunId));
    else
        m_startHint->clear();
}

void RunPage::refreshResumable()
{
    m_resumableRunId.clear();
    auto store = m_bridge->store();
    if (store && !m_bridge->isRunning()) {
        auto runs = store->listRuns();
        if (runs) {
            const std::string path = toStd(m_doc->path());
            const std::string name = m_doc->study().name;
            for (const prism::RunRecord &run : runs.value()) {
                // A team server's runs carry no path of this machine: the study's name says.
                const bool ours = m_bridge->isRemote() ? run.studyName == name
                                  : path.empty()       ? run.studyPath.empty() && run.studyName == name
                                                       : run.studyPath == path;
                if (!ours)
                    continue;
                // Only the newest run of the study: an older one was superseded.
                // A run of another machine in a shared store may still be running there.
                const bool elsewhere =
                    (store->isDatabase() || m_bridge->isRemote()) && prism::runOwnerElsewhere(run.owner);
                if (run.status == prism::RunStatus::Cancelled
                    || (run.status == prism::RunStatus::Running && !prism::runOwnerAlive(run.owner) && !elsewhere))
                    m_resumableRunId = toQ(run.id);
                break;
            }
        }
    }
    updateButtons();
}

prism::RunSettings RunPage::runSettings() const
{
    prism::RunSettings settings;
    settings.studyPath = toStd(m_doc->path());
    settings.threads = m_doc->study().eval.threads;
    if (m_maxCalls->value() > 0)
        settings.lm.budget.maxCalls = m_maxCalls->value();
    if (m_maxDollars->value() > 0.0)
        settings.lm.budget.maxDollars = m_maxDollars->value();
    return settings;
}

bool RunPage::start(QString *error)
{
    auto fail = [&](const QString &message) {
        m_banner->showMessage(message);
        if (error)
            *error = message;
        updateButtons();
        return false;
    };
    if (const QString blocker = startBlocker(); !blocker.isEmpty())
        return fail(tr("The run did not start. %1").arg(blocker));
    QString why;
    if (!m_bridge->start(m_doc->study(), runSettings(), &why))
        return fail(tr("The run did not start: %1").arg(why));
    m_banner->clear();
    emit runStartedByUser(m_bridge->runId());
    return true;
}

bool RunPage::resume(QString *error)
{
    auto fail = [&](const QString &message) {
        m_banner->showMessage(message);
        if (error)
            *error = message;
        updateButtons();
        return false;
    };
    if (m_resumableRunId.isEmpty())
        return fail(tr("There is no cancelled or interrupted run of this study to resume."));
    QString why;
    if (!m_bridge->resume(m_resumableRunId, &why))
        return fail(tr("Run %1 was not resumed: %2").arg(m_resumableRunId, why));
    m_resumableRunId.clear();
    m_banner->clear();
    emit runStartedByUser(m_bridge->runId());
    return true;
}

void RunPage::updateStatus()
{
    const prism::RunState &p = m_progress;
    const QString id = p.runId().empty() ? m_bridge->runId() : toQ(p.runId());
    if (id.isEmpty()) {
        m_status->setText(tr("No run yet."));
        return;
    }
    QStringList parts;
    const bool ended = m_runStatus.has_value();
    if (ended)
        parts << tr("Run %1 %2").arg(id, toQ(prism::runStatusName(*m_runStatus)));
    else if (m_bridge->isRunning() && !m_cancel->isEnabled())
        parts << tr("Run %1 cancelling…").arg(id);
    else
        parts << tr("Run %1 running").arg(id);
    if (!ended && !p.phase().empty())
        parts << tr("phase %1").arg(toQ(p.phase()));
    parts << countOf(static_cast<int>(p.trials().size()), tr("trial done"), tr("trials done"));
    const std::optional<double> best = p.reportedBestScore();
    const std::optional<double> baseline = p.baselineScore();
    if (best)
        parts << (baseline ? tr("best %1 (baseline %2)").arg(percentText(*best), percentText(*baseline))
                           : tr("best %1").arg(percentText(*best)));
    parts << countOf(m_spendCalls, tr("model call"), tr("model calls")); // cache hits are not calls
    if (m_spendDollars > 0.0)
        parts << QStringLiteral("$%1").arg(m_spendDollars, 0, 'f', 4);
    if (ended)
        parts << tr("stop reason: %1")
                     .arg(toQ(p.stopReason().is(prism::StopReason::Kind::None) ? m_finishStopReason.text()
                                                                               : p.stopReason().text()));
    m_status->setText(parts.join(QStringLiteral(" · ")));
}
