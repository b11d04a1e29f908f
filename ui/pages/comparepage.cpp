#include "pages/comparepage.h"

#include "compare/comparisonjob.h"
#include "compare/comparisontablemodel.h"
#include "compare/programsource.h"
#include "compare/runfit.h"
#include "compare/worddiff.h"
#include "qtconvert.h"
#include "trace/reruntrace.h"
#include "trace/tracedialog.h"
#include "widgets/errorbanner.h"
#include "widgets/filedialogs.h"

#include "run/run_controller.h"
#include "run/run_store.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFrame>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

namespace {

const QString kBaseline = QStringLiteral("baseline");
const QString kChooseFile = QStringLiteral("choose-file");
const QString kRunPrefix = QStringLiteral("run:");
const QString kFilePrefix = QStringLiteral("file:");

QString demoHtml(const prism::Demo &demo)
{
    QStringList parts;
    for (const auto &[name, value] : demo.values)
        parts << QStringLiteral("<b>%1</b>: %2").arg(toQ(name).toHtmlEscaped(), toQ(value.toText()).toHtmlEscaped());
    return parts.join(QStringLiteral("<br>"));
}

// A side's demos; those the other side lacks are tinted in the side's colour.
QString demosHtml(const std::vector<prism::Demo> &mine, const std::vector<prism::Demo> &theirs, const QString &tint)
{
    if (mine.empty())
        return QObject::tr("<i>no demos</i>");
    QString html =
        QObject::tr("%1:").arg(countOf(static_cast<long long>(mine.size()), QObject::tr("demo"), QObject::tr("demos")));
    html += QStringLiteral("<ol>");
    for (const auto &d : mine) {
        const bool shared = std::find(theirs.begin(), theirs.end(), d) != theirs.end();
        html += shared ? QStringLiteral("<li>%1</li>").arg(demoHtml(d))
                       : QStringLiteral("<li><span style=\"background:%1\">%2</span></li>").arg(tint, demoHtml(d));
    }
    return html + QStringLiteral("</ol>");
}

QString scoreHtml(const QString &side, const QString &label, const QString &score)
{
    return QStringLiteral("<span style=\"color:#5b6676\">%1 · %2</span><br><span "
                          "style=\"font-size:x-large;font-weight:bold\">%3</span>")
        .arg(side.toHtmlEscaped(), label.toHtmlEscaped(), score.toHtmlEscaped());
}

} // namespace

struct ComparePage::PendingResult {
    std::optional<prism::Result<ComparisonOutcome>> value;
};

ComparePage::ComparePage(StudyDocument *doc, QWidget *parent) : QWidget(parent), m_doc(doc)
{
    setObjectName(QStringLiteral("comparePage"));
    auto *layout = new QVBoxLayout(this);
    m_banner = new ErrorBanner(this);
    layout->addWidget(m_banner);

    layout->addLayout(buildPicker());
    layout->addWidget(buildVerdict());
    layout->addWidget(buildTabs(), 1);

    m_progressTimer = new QTimer(this);
    m_progressTimer->setInterval(100); // the evaluator reports per example; the bar needs 10 updates a second at most
    connect(m_progressTimer, &QTimer::timeout, this, &ComparePage::updateProgress);
    connect(m_compare, &QPushButton::clicked, this, &ComparePage::compareSelected);
    connect(m_cancel, &QPushButton::clicked, this, &ComparePage::cancel);
    connect(m_changedOnly, &QCheckBox::toggled, m_filter, &ChangedRowsFilter::setChangedOnly);
    connect(m_doc, &StudyDocument::documentReset, this, [this] {
        cancel();
        clearResults();
        m_banner->clear();
    });

    refreshRunChoices();
    selectSpec(m_sideA, kBaseline);
    setBusy(false);
    clearResults();
}

QGridLayout *ComparePage::buildPicker()
{
    // What to compare.
    auto *pick = new QGridLayout;
    m_sideA = buildSideCombo(QStringLiteral("compareSideA"));
    m_sideB = buildSideCombo(QStringLiteral("compareSideB"));
    m_split = new QComboBox(this);
    m_split->setObjectName(QStringLiteral("compareSplitCombo"));
    for (Split s : {Split::Test, Split::Val, Split::Train})
        m_split->addItem(splitTitle(s), static_cast<int>(s));
    m_split->setToolTip(
        tr("The examples both programs are evaluated on. The test split is the one no optimizer has seen."));
    auto *labelA = new QLabel(tr("Program &A:"), this);
    labelA->setBuddy(m_sideA);
    auto *labelB = new QLabel(tr("Program &B:"), this);
    labelB->setBuddy(m_sideB);
    auto *splitLabel = new QLabel(tr("&Split:"), this);
    splitLabel->setBuddy(m_split);
    m_compare = new QPushButton(tr("&Compare"), this);
    m_compare->setObjectName(QStringLiteral("compareButton"));
    m_compare->setDefault(true);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("compareCancelButton"));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("compareProgress"));
    m_progress->setTextVisible(true);
    m_progress->setFormat(tr("%v / %m examples"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("compareStatus"));
    m_status->setForegroundRole(QPalette::PlaceholderText);
    pick->addWidget(labelA, 0, 0);
    pick->addWidget(m_sideA, 0, 1);
    pick->addWidget(splitLabel, 0, 2);
    pick->addWidget(m_split, 0, 3);
    pick->addWidget(m_compare, 0, 4);
    pick->addWidget(labelB, 1, 0);
    pick->addWidget(m_sideB, 1, 1);
    pick->addWidget(m_progress, 1, 2, 1, 2);
    pick->addWidget(m_cancel, 1, 4);
    pick->addWidget(m_status, 2, 1, 1, 4);
    pick->setColumnStretch(1, 1);
    return pick;
}

QFrame *ComparePage::buildVerdict()
{
    // The verdict.
    auto *scores = new QFrame(this);
    scores->setObjectName(QStringLiteral("compareScores"));
    scores->setFrameShape(QFrame::StyledPanel);
    auto *scoreLayout = new QGridLayout(scores);
    m_scoreA = new QLabel(scores);
    m_scoreA->setObjectName(QStringLiteral("compareScoreA"));
    m_scoreB = new QLabel(scores);
    m_scoreB->setObjectName(QStringLiteral("compareScoreB"));
    m_difference = new QLabel(scores);
    m_difference->setObjectName(QStringLiteral("compareDifference"));
    m_verdict = new QLabel(scores);
    m_verdict->setObjectName(QStringLiteral("compareVerdict"));
    m_verdict->setWordWrap(true);
    m_flips = new QLabel(scores);
    m_flips->setObjectName(QStringLiteral("compareFlips"));
    m_flips->setWordWrap(true);
    for (QLabel *l : {m_scoreA, m_scoreB, m_difference, m_verdict, m_flips})
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    scoreLayout->addWidget(m_scoreA, 0, 0);
    scoreLayout->addWidget(m_scoreB, 0, 1);
    scoreLayout->addWidget(m_difference, 0, 2);
    scoreLayout->addWidget(m_verdict, 1, 0, 1, 3);
    scoreLayout->addWidget(m_flips, 2, 0, 1, 3);
    scoreLayout->setColumnStretch(0, 1);
    scoreLayout->setColumnStretch(1, 1);
    scoreLayout->setColumnStretch(2, 2);
    return scores;
}

QTabWidget *ComparePage::buildTabs()
{
    auto *tabs = new QTabWidget(this);
    tabs->setObjectName(QStringLiteral("compareTabs"));
    tabs->addTab(buildExamplesTab(tabs), tr("&Examples"));
    m_diff = new QTextBrowser(tabs);
    m_diff->setObjectName(QStringLiteral("comparePromptDiff"));
    m_diff->setOpenLinks(false);
    tabs->addTab(m_diff, tr("&Prompt Diff"));
    return tabs;
}

QWidget *ComparePage::buildExamplesTab(QTabWidget *tabs)
{
    auto *examples = new QWidget(tabs);
    auto *examplesLayout = new QVBoxLayout(examples);
    auto *filterRow = new QHBoxLayout;
    m_changedOnly = new QCheckBox(tr("C&hanged only"), examples);
    m_changedOnly->setObjectName(QStringLiteral("compareChangedOnly"));
    m_changedOnly->setToolTip(tr("Hide the examples that scored the same with both programs"));
    auto *legend = new QLabel(tr("<span style=\"background:#cdecd1\">&nbsp;improved: A wrong, B correct&nbsp;</span> "
                                 "<span style=\"background:#f7d0cb\">&nbsp;regressed: A correct, B wrong&nbsp;</span> "
                                 "<span style=\"background:#e9f6ea\">&nbsp;partial score up&nbsp;</span> "
                                 "<span style=\"background:#fcecea\">&nbsp;partial score down&nbsp;</span> "
                                 "<span style=\"background:#fdf1d8\">&nbsp;error (not scored)&nbsp;</span>"),
                              examples);
    filterRow->addWidget(m_changedOnly);
    filterRow->addSpacing(fontMetrics().averageCharWidth() * 3);
    legend->setWordWrap(true); // five colour keys: wrapped, so the page fits a 1024-pixel window
    filterRow->addWidget(legend, 1);
    filterRow->addStretch(1);
    examplesLayout->addLayout(filterRow);
    m_model = new ComparisonTableModel(this);
    m_filter = new ChangedRowsFilter(this);
    m_filter->setSourceModel(m_model);
    m_table = new QTableView(examples);
    m_table->setObjectName(QStringLiteral("compareTable"));
    m_table->setModel(m_filter);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    const int ch = fontMetrics().averageCharWidth();
    // Inputs, expected, both predictions and both feedbacks share the width
    // (elided; the tooltip has the whole text); the rest is fixed.
    for (int c : {ComparisonTableModel::InputsColumn, ComparisonTableModel::ExpectedColumn,
                  ComparisonTableModel::PredictionAColumn, ComparisonTableModel::PredictionBColumn,
                  ComparisonTableModel::FeedbackAColumn, ComparisonTableModel::FeedbackBColumn})
        m_table->horizontalHeader()->setSectionResizeMode(c, QHeaderView::Stretch);
    m_table->setColumnWidth(ComparisonTableModel::IndexColumn, ch * 6);
    m_table->setColumnWidth(ComparisonTableModel::ScoreAColumn, ch * 10);
    m_table->setColumnWidth(ComparisonTableModel::ScoreBColumn, ch * 10);
    m_table->setToolTip(tr("Double-click a row for its trace: A's, or B's in B's columns."));
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        const int c = index.column();
        const bool sideB = c == ComparisonTableModel::PredictionBColumn || c == ComparisonTableModel::ScoreBColumn
                           || c == ComparisonTableModel::FeedbackBColumn;
        openTrace(index.row(), sideB ? 1 : 0);
    });
    examplesLayout->addWidget(m_table, 1);
    return examples;
}

ComparePage::~ComparePage()
{
    if (m_job)
        m_job->cancel();
    if (m_thread.joinable())
        m_thread.join();
}

QComboBox *ComparePage::buildSideCombo(const QString &objectName)
{
    auto *combo = new QComboBox(this);
    combo->setObjectName(objectName);
    combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    combo->setMinimumContentsLength(24); // the full label is in the tooltip; 40 made the page wider than 1024
    connect(combo, &QComboBox::activated, this, [this, combo](int index) { onSideActivated(combo, index); });
    return combo;
}

void ComparePage::setStore(std::shared_ptr<prism::RunStore> store)
{
    m_store = std::move(store);
    refreshRunChoices();
}

void ComparePage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refreshRunChoices();
}

QString ComparePage::sideLabel(const QString &spec) const
{
    if (spec == kBaseline)
        return tr("Baseline (the study's program)");
    if (spec.startsWith(kRunPrefix))
        return tr("Run %1").arg(spec.mid(kRunPrefix.size()));
    if (spec.startsWith(kFilePrefix))
        return QFileInfo(spec.mid(kFilePrefix.size())).fileName();
    return spec;
}

void ComparePage::refreshRunChoices()
{
    std::vector<prism::RunRecord> runs;
    if (m_store)
        if (auto listed = m_store->listRuns())
            runs = std::move(listed.value());
    // Runs whose program fits the open study first, newest first; then the
    // others, listed but disabled with the reason (a run of another study
    // was offered, even preselected, and then failed).
    struct Choice {
        QString text;
        QString spec;
        QString reason;
    };
    std::vector<Choice> fitting;
    std::vector<Choice> others;
    for (const auto &run : runs) {
        if (!run.hasArtifact)
            continue;
        const QString id = toQ(run.id);
        const RunFitCache::Fit fit = m_runFits.fit(*m_store, id, m_doc->study().program);
        const QString text = tr("Run %1 · %2 · %3").arg(id, toQ(run.optimizer), toQ(run.studyName));
        if (fit.fits)
            fitting.push_back({text + fit.scoreText, kRunPrefix + id, QString()});
        else
            others.push_back({text + tr(" (does not fit this study)"), kRunPrefix + id, fit.reason});
    }
    for (QComboBox *combo : {m_sideA, m_sideB}) {
        const QString current = combo->currentData().toString();
        QStringList files;
        for (int i = 0; i < combo->count(); ++i)
            if (combo->itemData(i).toString().startsWith(kFilePrefix))
                files << combo->itemData(i).toString();
        combo->clear();
        combo->addItem(sideLabel(kBaseline), kBaseline);
        for (const Choice &c : fitting)
            combo->addItem(c.text, c.spec);
        for (const Choice &c : others) {
            combo->addItem(c.text, c.spec);
            const int row = combo->count() - 1;
            combo->setItemData(row, tr("This run's program does not fit the open study: %1").arg(c.reason),
                               Qt::ToolTipRole);
            if (auto *model = qobject_cast<QStandardItemModel *>(combo->model()))
                model->item(row)->setEnabled(false);
        }
        for (const QString &f : files)
            combo->addItem(QDir::toNativeSeparators(f.mid(kFilePrefix.size())), f);
        combo->addItem(tr("Program file…"), kChooseFile);
        const int keep = combo->findData(current);
        const bool keepFits = keep >= 0 && (combo->itemData(keep, Qt::ToolTipRole).isNull());
        selectSpec(combo, keepFits ? current : QString());
    }
    // B defaults to the newest run that fits: what a user comparing usually wants.
    if (m_sideB->currentData().toString() == kBaseline && !fitting.empty())
        m_sideB->setCurrentIndex(1);
    // The placeholders name what the pickers now show (B read "Baseline" while it was a run).
    if (!m_summary && !m_job)
        clearResults();
}

void ComparePage::selectSpec(QComboBox *combo, const QString &spec)
{
    if (spec.isEmpty() || spec == kChooseFile) {
        combo->setCurrentIndex(0);
        return;
    }
    int index = combo->findData(spec);
    if (index < 0) {
        const QString text =
            spec.startsWith(kFilePrefix) ? QDir::toNativeSeparators(spec.mid(kFilePrefix.size())) : sideLabel(spec);
        index = combo->count() - 1; // before "Program file…"
        combo->insertItem(index, text, spec);
    }
    combo->setCurrentIndex(index);
}

void ComparePage::onSideActivated(QComboBox *combo, int index)
{
    if (combo->itemData(index).toString() != kChooseFile)
        return;
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a Program"), exportFolder(m_doc->path()),
                                                      tr("Program JSON (*.json);;All files (*)"));
    selectSpec(combo, path.isEmpty() ? QString() : kFilePrefix + path);
}

void ComparePage::setSplit(Split split)
{
    m_split->setCurrentIndex(std::max(0, m_split->findData(static_cast<int>(split))));
}

Split ComparePage::split() const
{
    return static_cast<Split>(m_split->currentData().toInt());
}

bool ComparePage::loadSide(const Side &side, prism::Program *program, QString *error) const
{
    const prism::Program &studyProgram = m_doc->study().program;
    if (side.spec == kBaseline) {
        *program = studyProgram;
        return true;
    }
    prism::Result<prism::Program> loaded = prism::Error::make(prism::ErrorKind::Internal, "unknown program source");
    if (side.spec.startsWith(kRunPrefix)) {
        if (!m_store) {
            *error = tr("No run store is open, so run %1 cannot be read.").arg(side.spec.mid(kRunPrefix.size()));
            return false;
        }
        loaded = loadRunProgram(*m_store, side.spec.mid(kRunPrefix.size()), studyProgram);
    } else if (side.spec.startsWith(kFilePrefix)) {
        loaded = loadProgramFromFile(side.spec.mid(kFilePrefix.size()), studyProgram);
    }
    if (!loaded) {
        *error = toQ(loaded.error().message);
        return false;
    }
    *program = std::move(loaded.value());
    return true;
}

void ComparePage::compareSelected()
{
    const Side a{m_sideA->currentData().toString(), sideLabel(m_sideA->currentData().toString())};
    const Side b{m_sideB->currentData().toString(), sideLabel(m_sideB->currentData().toString())};
    QString error;
    start(a, b, &error);
}

void ComparePage::compareRunWithBaseline(const QString &runId)
{
    QString error;
    start(Side{kBaseline, sideLabel(kBaseline)}, Side{kRunPrefix + runId, sideLabel(kRunPrefix + runId)}, &error);
}

void ComparePage::compareRuns(const QString &runA, const QString &runB)
{
    QString error;
    start(Side{kRunPrefix + runA, sideLabel(kRunPrefix + runA)}, Side{kRunPrefix + runB, sideLabel(kRunPrefix + runB)},
          &error);
}

bool ComparePage::compareFiles(const QString &programA, const QString &programB, QString *error)
{
    auto side = [this](const QString &path) {
        const QString spec = path.isEmpty() ? kBaseline : kFilePrefix + QFileInfo(path).absoluteFilePath();
        return Side{spec, sideLabel(spec)};
    };
    QString message;
    const bool started = start(side(programA), side(programB), &message);
    if (!started && error)
        *error = message;
    return started;
}

bool ComparePage::start(const Side &a, const Side &b, QString *error)
{
    if (isBusy()) {
        *error = tr("A comparison is already running; cancel it first.");
        m_banner->showMessage(*error, ErrorBanner::Kind::Info);
        return false;
    }
    selectSpec(m_sideA, a.spec);
    selectSpec(m_sideB, b.spec);
    clearResults();
    m_banner->clear();
    prism::Program programA;
    prism::Program programB;
    QString why;
    if (!loadSide(a, &programA, &why)) {
        *error = tr("Program A (%1) cannot be compared: %2").arg(a.label, why);
        fail(*error);
        return false;
    }
    if (!loadSide(b, &programB, &why)) {
        *error = tr("Program B (%1) cannot be compared: %2").arg(b.label, why);
        fail(*error);
        return false;
    }
    const Split s = split();
    const std::vector<prism::Example> &examples = m_doc->examples(s);
    if (examples.empty()) {
        *error = tr("The study's %1 split has no examples: add rows on the Dataset page or pick another split.")
                     .arg(splitKey(s));
        fail(*error);
        return false;
    }
    m_runningA = a;
    m_runningB = b;
    m_runningSplit = s;
    showPromptDiff(programA, programB);
    m_traced = Traced{m_doc->study(), examples, programA, programB, a.label, b.label};
    m_job = std::make_shared<ComparisonJob>(m_doc->study(), examples, programA, programB);
    m_result = std::make_shared<PendingResult>();
    const quint64 generation = ++m_generation;
    auto job = m_job;
    auto result = m_result;
    m_status->setText(
        tr("Evaluating %1 and %2 on %3 %4 examples…").arg(a.label, b.label).arg(examples.size()).arg(splitKey(s)));
    setBusy(true);
    m_thread = std::thread([this, job, result, generation] {
        result->value = job->run();
        SpendByRole calls = spendFromLedger(job->ledgerByRole());
        QMetaObject::invokeMethod(
            this,
            [this, generation, calls] {
                emit spent(calls); // a cancelled or superseded comparison paid for its calls too
                onFinished(generation);
            },
            Qt::QueuedConnection);
    });
    return true;
}

void ComparePage::cancel()
{
    if (!m_job)
        return;
    m_job->cancel();
    m_status->setText(tr("Cancelling: calls in flight finish first…"));
    m_cancel->setEnabled(false);
}

void ComparePage::onFinished(quint64 generation)
{
    if (generation != m_generation || !m_result)
        return;
    if (m_thread.joinable())
        m_thread.join();
    auto result = std::move(m_result);
    m_job.reset();
    setBusy(false);
    if (!result->value || !result->value->ok()) {
        const prism::Error error =
            result->value ? result->value->error()
                          : prism::Error::make(prism::ErrorKind::Internal, "the comparison returned nothing");
        if (error.kind == prism::ErrorKind::Cancelled) {
            m_status->setText(tr("Cancelled: nothing was compared."));
            emit comparisonFinished(false, tr("Cancelled"));
            return;
        }
        fail(tr("The comparison failed: %1").arg(toQ(error.message)));
        return;
    }
    const ComparisonOutcome &outcome = result->value->value();
    const prism::Comparison &c = outcome.comparison;
    m_summary = summarizeComparison(outcome, m_runningA.label, m_runningB.label, splitKey(m_runningSplit));
    const CompareSummary &s = *m_summary;

    m_scoreA->setText(scoreHtml(tr("A"), s.labelA, QStringLiteral("%1%").arg(s.scoreA, 0, 'f', 2)));
    m_scoreB->setText(scoreHtml(tr("B"), s.labelB, QStringLiteral("%1%").arg(s.scoreB, 0, 'f', 2)));
    const QString color = c.ciLow > 0.0    ? QStringLiteral("#2e7d32")
                          : c.ciHigh < 0.0 ? QStringLiteral("#b3261e")
                                           : QStringLiteral("#1f2d44");
    m_difference->setText(QStringLiteral("<span style=\"color:#5b6676\">%1</span><br><span "
                                         "style=\"font-size:x-large;font-weight:bold;color:%2\">%3</span> "
                                         "<span>%4</span>")
                              .arg(tr("Difference B − A"), color, tr("%1 points").arg(signedPoints(s.difference)),
                                   tr("%1% paired bootstrap interval [%2, %3]")
                                       .arg(s.confidence * 100.0, 0, 'f', 0)
                                       .arg(signedPoints(s.ciLow), signedPoints(s.ciHigh))));
    m_verdict->setText(QStringLiteral("<b style=\"color:%1\">%2</b>").arg(color, s.verdict.toHtmlEscaped()));
    QString flips =
        tr("%1 scored by both on the %2 split. %3 improved (A wrong, B correct), %4 regressed (A correct, B wrong)")
            .arg(countOf(s.paired, tr("example"), tr("examples")), s.split)
            .arg(s.improved)
            .arg(s.regressed);
    if (s.partialChanges > 0)
        flips += tr(", %1 with a partial score change").arg(s.partialChanges);
    flips += QLatin1Char('.');
    if (s.errorsA > 0 || s.errorsB > 0)
        flips += tr(" Errors: %1 with A, %2 with B (not scored, never counted as 0).").arg(s.errorsA).arg(s.errorsB);
    flips += tr(" %1 resamples of the examples, seeded: the interval is the same on every machine.")
                 .arg(QLocale(QLocale::English).toString(s.resamples));
    m_flips->setText(flips.toHtmlEscaped());
    m_model->setOutcome(outcome);
    m_status->setText(tr("Compared %1 with %2.").arg(s.labelA, s.labelB));
    emit comparisonFinished(true, s.verdict);
}

void ComparePage::fail(const QString &message)
{
    m_banner->showMessage(message);
    m_status->setText(tr("Nothing was compared."));
    emit comparisonFinished(false, message);
}

TraceDialog *ComparePage::openTrace(int row, int side)
{
    if (!m_traced || row < 0 || row >= m_filter->rowCount())
        return nullptr;
    const int sourceRow = m_filter->mapToSource(m_filter->index(row, 0)).row();
    const int index = m_model->exampleIndex(sourceRow);
    if (index < 0 || index >= static_cast<int>(m_traced->examples.size()))
        return nullptr;
    const QString label = side == 0 ? m_traced->labelA : m_traced->labelB;
    auto *dialog = TraceDialog::open(this, tr("Trace of example %1 · %2").arg(index).arg(label));
    dialog->setNote(tr("Run again on the study's task model; answers already in the response cache cost nothing "
                       "and show as cache hits."));
    startRerunTrace(dialog, m_traced->study, side == 0 ? m_traced->a : m_traced->b,
                    m_traced->examples[static_cast<std::size_t>(index)], static_cast<std::size_t>(index),
                    [this](const SpendByRole &calls) { emit spent(calls); }, side == 0 ? m_traced->b : m_traced->a);
    return dialog;
}

void ComparePage::clearResults()
{
    m_summary.reset();
    m_traced.reset();
    m_model->clear();
    m_scoreA->setText(scoreHtml(tr("A"), sideLabel(m_sideA->currentData().toString()), QStringLiteral("—")));
    m_scoreB->setText(scoreHtml(tr("B"), sideLabel(m_sideB->currentData().toString()), QStringLiteral("—")));
    m_difference->setText(
        QStringLiteral("<span style=\"color:#5b6676\">%1</span><br><span style=\"font-size:x-large\">—</span>")
            .arg(tr("Difference B − A")));
    m_verdict->setText(tr("Pick two programs and a split, then Compare. Both are evaluated with the study's task model "
                          "and metric; the difference comes with a 95% paired bootstrap interval."));
    m_flips->clear();
    m_diff->clear();
}

void ComparePage::setBusy(bool busy)
{
    m_compare->setEnabled(!busy);
    m_cancel->setEnabled(busy);
    m_cancel->setVisible(busy);
    m_progress->setVisible(busy);
    m_sideA->setEnabled(!busy);
    m_sideB->setEnabled(!busy);
    m_split->setEnabled(!busy);
    if (busy) {
        m_progress->setRange(0, std::max(1, m_job->total()));
        m_progress->setValue(0);
        m_progressTimer->start();
    } else {
        m_progressTimer->stop();
    }
}

void ComparePage::updateProgress()
{
    if (m_job)
        m_progress->setValue(std::min(m_job->done(), m_job->total()));
}

void ComparePage::showPromptDiff(const prism::Program &a, const prism::Program &b)
{
    QString html;
    for (std::size_t i = 0; i < a.predictors.size() && i < b.predictors.size(); ++i) {
        const prism::Predictor &pa = a.predictors[i];
        const prism::Predictor &pb = b.predictors[i];
        if (a.predictors.size() > 1)
            html += QStringLiteral("<h3>%1</h3>").arg(tr("Predictor %1").arg(toQ(pa.name)).toHtmlEscaped());
        const QString instructionA = toQ(pa.signature.instruction);
        const QString instructionB = toQ(pb.signature.instruction);
        const QList<DiffSegment> segments = diffWords(instructionA, instructionB);
        const bool same = instructionA == instructionB;
        html += QStringLiteral(
            "<table width=\"100%\" cellspacing=\"0\" cellpadding=\"6\" border=\"1\" style=\"border-color:#d5dbe5\">");
        html += QStringLiteral(
                    "<tr><th width=\"50%\" align=\"left\">A · %1</th><th width=\"50%\" align=\"left\">B · %2</th></tr>")
                    .arg(m_runningA.label.toHtmlEscaped(), m_runningB.label.toHtmlEscaped());
        html += QStringLiteral("<tr><td colspan=\"2\" style=\"color:#5b6676\">%1</td></tr>")
                    .arg(same ? tr("Instruction: the same on both sides")
                              : tr("Instruction: words only A has are struck out in red, words only B has are green"));
        html += QStringLiteral("<tr><td valign=\"top\">%1</td><td valign=\"top\">%2</td></tr>")
                    .arg(diffSideHtml(segments, DiffSegment::Kind::Removed),
                         diffSideHtml(segments, DiffSegment::Kind::Added));
        html += QStringLiteral("<tr><td colspan=\"2\" style=\"color:#5b6676\">%1</td></tr>")
                    .arg(pa.demos == pb.demos ? tr("Demos: the same on both sides")
                                              : tr("Demos: those only one side has are tinted"));
        html += QStringLiteral("<tr><td valign=\"top\">%1</td><td valign=\"top\">%2</td></tr>")
                    .arg(demosHtml(pa.demos, pb.demos, QStringLiteral("#fcecea")),
                         demosHtml(pb.demos, pa.demos, QStringLiteral("#e9f6ea")));
        html += QStringLiteral("</table>");
    }
    m_diff->setHtml(html);
}
