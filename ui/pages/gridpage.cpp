#include "pages/gridpage.h"

#include "compare/comparisonjob.h"
#include "compare/programsource.h"
#include "compare/runfit.h"
#include "engine/jobmodels.h"
#include "qtconvert.h"
#include "trace/reruntrace.h"
#include "trace/tracedialog.h"
#include "widgets/errorbanner.h"

#include "adapter/adapter.h"
#include "core/worker_pool.h"
#include "run/run_store.h"
#include "run/study_judge.h"
#include "scripting/jsmetric.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <utility>

namespace {

const QString kStudyProgram = QStringLiteral("study");
const QString kRunPrefix = QStringLiteral("run:");
const QString kCandidatePrefix = QStringLiteral("candidate:");
constexpr int kFixedColumns = 2; // #, input

QColor scoreColor(const prism::ExampleResult *r)
{
    if (!r || r->error)
        return {0xfd, 0xf1, 0xd8}; // error: amber, never a 0
    if (*r->score >= 1.0)
        return {0xcd, 0xec, 0xd1};
    if (*r->score <= 0.0)
        return {0xf7, 0xd0, 0xcb};
    return {0xfc, 0xec, 0xea};
}

} // namespace

// One evaluation of several programs on one split, on a worker thread.
struct GridJob {
    prism::Study study;
    std::vector<prism::Example> examples;
    std::vector<prism::Program> programs;
    std::vector<QString> labels;   // column titles
    std::vector<QString> tooltips; // the programs' full names
    std::vector<std::shared_ptr<const prism::EvalReport>> reports;
    std::optional<prism::Error> error;
    SpendByRole spent;
    JobModels models;

    void cancel() { models.cancel(); }
    bool cancelled() const { return models.cancelled(); }

    void run()
    {
        const auto adapter = prism::makeAdapter(study.eval.adapter);
        auto opened = models.open(study);
        if (!opened) {
            error = opened.error();
            return;
        }
        const prism::ModelSet &set = *opened.value();
        auto metric = prism::makeStudyMetric(study.metric, study.program, prism::studyJudge(study, set));
        if (!metric) {
            error = metric.error();
            return;
        }
        prism::EvalOptions options;
        options.threads = std::max(1, study.eval.threads);
        options.maxErrors = static_cast<int>(examples.size()) + 1; // every cell gets its verdict
        options.call.temperature = set.taskConfig.temperature;
        options.call.maxTokens = set.taskConfig.maxTokens;
        options.call.role = "evaluation"; // the same calls as Compare: answers are shared through the cache
        options.cancel = models.stopFlag();
        // One pool for every column: connections and script engines are reused.
        prism::WorkerPool pool(options.threads);
        options.pool = &pool;
        const prism::Evaluator evaluator(*set.task, *adapter, *metric.value(), options);
        for (const prism::Program &program : programs) {
            if (cancelled())
                break;
            reports.push_back(std::make_shared<prism::EvalReport>(evaluator.run(program, examples)));
        }
        spent = spendFromLedger(models.ledgerByRole());
    }
};

GridPage::GridPage(StudyDocument *doc, QWidget *parent) : QWidget(parent), m_doc(doc)
{
    setObjectName(QStringLiteral("gridPage"));
    auto *layout = new QVBoxLayout(this);
    m_banner = new ErrorBanner(this);
    layout->addWidget(m_banner);
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->setChildrenCollapsible(false);
    split->addWidget(buildControls());
    m_table = new QTableWidget(0, kFixedColumns, split);
    m_table->setObjectName(QStringLiteral("gridTable"));
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setHorizontalHeaderLabels({tr("#"), tr("Input")});
    m_table->verticalHeader()->hide();
    m_table->setWordWrap(false);
    connect(m_table, &QTableWidget::cellDoubleClicked, this, &GridPage::traceCell);
    split->addWidget(m_table);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 3);
    layout->addWidget(split, 1);
    connect(m_doc, &StudyDocument::documentReset, this, [this] {
        if (m_job)
            m_job->cancel();
        m_table->setRowCount(0);
        m_reports.clear();
        refreshPrograms();
    });
    setBusy(false);
}

GridPage::~GridPage()
{
    if (m_job)
        m_job->cancel();
    if (m_thread)
        m_thread->wait();
}

QWidget *GridPage::buildControls()
{
    auto *panel = new QWidget(this);
    auto *layout = new QVBoxLayout(panel);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(new QLabel(tr("<b>Programs</b> (check the columns)"), panel));
    m_programs = new QListWidget(panel);
    m_programs->setObjectName(QStringLiteral("gridPrograms"));
    m_programs->setToolTip(tr("The study's program, the runs whose program fits the study, and under each run the "
                              "configurations it evaluated on the full split"));
    layout->addWidget(m_programs, 1);
    auto *row = new QHBoxLayout;
    m_split = new QComboBox(panel);
    m_split->setObjectName(QStringLiteral("gridSplit"));
    for (Split s : allSplits)
        m_split->addItem(splitTitle(s), static_cast<int>(s));
    m_split->setCurrentIndex(m_split->findData(static_cast<int>(Split::Test)));
    row->addWidget(new QLabel(tr("Split:"), panel));
    row->addWidget(m_split, 1);
    layout->addLayout(row);
    auto *buttons = new QHBoxLayout;
    m_evaluate = new QPushButton(tr("&Evaluate"), panel);
    m_evaluate->setObjectName(QStringLiteral("gridEvaluate"));
    m_cancel = new QPushButton(tr("Cancel"), panel);
    connect(m_evaluate, &QPushButton::clicked, this, [this] {
        QString error;
        if (!evaluate(&error))
            m_banner->showMessage(error);
    });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (m_job)
            m_job->cancel();
    });
    buttons->addWidget(m_evaluate);
    buttons->addWidget(m_cancel);
    layout->addLayout(buttons);
    auto *filterRow = new QHBoxLayout;
    m_filter = new QComboBox(panel);
    m_filter->setObjectName(QStringLiteral("gridFilter"));
    m_filter->addItem(tr("All rows"), static_cast<int>(Filter::All));
    m_filter->addItem(tr("Failures (a score below 1)"), static_cast<int>(Filter::Failures));
    m_filter->addItem(tr("Differences (the scores differ)"), static_cast<int>(Filter::Differences));
    m_filter->addItem(tr("Errors"), static_cast<int>(Filter::Errors));
    connect(m_filter, &QComboBox::currentIndexChanged, this,
            [this] { setFilter(static_cast<Filter>(m_filter->currentData().toInt())); });
    filterRow->addWidget(new QLabel(tr("Show:"), panel));
    filterRow->addWidget(m_filter, 1);
    layout->addLayout(filterRow);
    m_status = new QLabel(panel);
    m_status->setObjectName(QStringLiteral("gridStatus"));
    m_status->setWordWrap(true);
    m_status->setText(tr("Check programs, pick a split, Evaluate. Double-click a cell for its trace."));
    layout->addWidget(m_status);
    return panel;
}

void GridPage::setStore(std::shared_ptr<prism::RunStore> store)
{
    m_store = std::move(store);
    refreshPrograms();
}

void GridPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (!m_thread)
        refreshPrograms();
}

void GridPage::refreshPrograms()
{
    QStringList checked;
    for (int i = 0; i < m_programs->count(); ++i)
        if (m_programs->item(i)->checkState() == Qt::Checked)
            checked << m_programs->item(i)->data(Qt::UserRole).toString();
    const bool first = m_programs->count() == 0;
    m_programs->clear();
    m_candidates.clear();
    auto add = [this, &checked](const QString &text, const QString &spec, bool checkByDefault,
                                const QString &columnTitle) {
        auto *item = new QListWidgetItem(text, m_programs);
        item->setData(Qt::UserRole, spec);
        item->setData(Qt::UserRole + 1, columnTitle);
        item->setToolTip(text);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(checked.contains(spec) || checkByDefault ? Qt::Checked : Qt::Unchecked);
    };
    add(tr("The study's program"), kStudyProgram, first, tr("Baseline"));
    if (!m_store)
        return;
    auto runs = m_store->listRuns();
    if (!runs)
        return;
    // A run that fits and is newer than any seen before comes up checked:
    // the run just made is the one the user wants beside the baseline.
    bool newest = true;
    for (const prism::RunRecord &r : runs.value()) {
        const QString id = toQ(r.id);
        if (!r.hasArtifact || !m_runFits.fit(*m_store, id, m_doc->study().program).fits)
            continue;
        const bool isNew = std::exchange(newest, false) && id != m_newestRunSeen;
        if (isNew)
            m_newestRunSeen = id;
        add(tr("Run %1 (its program)").arg(id), kRunPrefix + id, isNew, tr("Run %1").arg(id));
        for (const RunCandidate &c : m_runFits.candidates(*m_store, id)) {
            // Column title: "trial 6" (the label starts with the run id).
            add(QStringLiteral("    ") + c.label, kCandidatePrefix + QString::number(m_candidates.size()), false,
                c.label.section(QStringLiteral(" · "), 0, 0).section(QLatin1Char(' '), 1));
            m_candidates.push_back(c);
        }
    }
}

bool GridPage::evaluate(QString *error)
{
    auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    if (m_thread)
        return fail(tr("An evaluation is under way."));
    auto job = std::make_shared<GridJob>();
    job->study = m_doc->study();
    job->examples = m_doc->examples(static_cast<Split>(m_split->currentData().toInt()));
    if (job->examples.empty())
        return fail(tr("The %1 split has no rows.").arg(m_split->currentText()));
    for (int i = 0; i < m_programs->count(); ++i) {
        const QListWidgetItem *item = m_programs->item(i);
        if (item->checkState() != Qt::Checked)
            continue;
        const QString spec = item->data(Qt::UserRole).toString();
        prism::Result<prism::Program> program = job->study.program;
        if (spec.startsWith(kRunPrefix))
            program = loadRunProgram(*m_store, spec.mid(kRunPrefix.size()), job->study.program);
        else if (spec.startsWith(kCandidatePrefix))
            program = candidateProgram(*m_store, m_candidates.at(spec.mid(kCandidatePrefix.size()).toULongLong()));
        if (!program)
            return fail(tr("%1: %2").arg(item->text().trimmed(), toQ(program.error().message)));
        job->programs.push_back(std::move(program.value()));
        job->labels.push_back(item->data(Qt::UserRole + 1).toString());
        job->tooltips.push_back(item->text().trimmed());
    }
    if (job->programs.empty())
        return fail(tr("Check at least one program."));
    m_job = job;
    m_thread = QThread::create([job] { job->run(); });
    connect(m_thread, &QThread::finished, this, [this, job] { finish(job); });
    connect(m_thread, &QThread::finished, m_thread, &QObject::deleteLater);
    m_thread->start();
    m_status->setText(
        tr("Evaluating %1 program(s) on %2 examples…").arg(job->programs.size()).arg(job->examples.size()));
    m_banner->clear();
    setBusy(true);
    return true;
}

void GridPage::finish(const std::shared_ptr<GridJob> &job)
{
    m_thread = nullptr;
    if (m_job == job)
        m_job.reset();
    setBusy(false);
    emit spent(job->spent);
    if (job->error || job->cancelled() || job->reports.size() != job->programs.size()) {
        const QString why = job->error ? toQ(job->error->message) : tr("cancelled before every program ran");
        m_status->setText(tr("Nothing to show: %1.").arg(why));
        emit evaluationFinished(false);
        return;
    }
    fillTable(*job);
    m_status->setText(tr("%1 programs × %2 examples. Double-click a cell for its trace.")
                          .arg(job->programs.size())
                          .arg(job->examples.size()));
    emit evaluationFinished(true);
}

void GridPage::fillTable(const GridJob &job)
{
    m_shownPrograms = job.programs;
    m_shownExamples = job.examples;
    m_reports = job.reports;
    const std::vector<std::string> inputs = job.study.program.externalInputs();
    const std::vector<std::string> shown = comparisonFields(job.study);
    m_table->clear();
    m_table->setRowCount(static_cast<int>(job.examples.size()));
    m_table->setColumnCount(kFixedColumns + static_cast<int>(job.programs.size()));
    QStringList headers{tr("#"), tr("Input")};
    for (std::size_t c = 0; c < job.programs.size(); ++c)
        headers << QStringLiteral("%1\n%2%").arg(job.labels[c]).arg(job.reports[c]->scorePercent, 0, 'f', 1);
    m_table->setHorizontalHeaderLabels(headers);
    for (std::size_t c = 0; c < job.tooltips.size(); ++c)
        m_table->horizontalHeaderItem(kFixedColumns + static_cast<int>(c))->setToolTip(job.tooltips[c]);
    for (std::size_t r = 0; r < job.examples.size(); ++r) {
        const int row = static_cast<int>(r);
        m_table->setItem(row, 0, new QTableWidgetItem(QString::number(r + 1)));
        const prism::Value *input = inputs.empty() ? nullptr : job.examples[r].values.find(inputs.front());
        auto *inputItem = new QTableWidgetItem(input ? valueToText(*input).simplified() : QString());
        inputItem->setToolTip(fieldsText(job.examples[r].values));
        m_table->setItem(row, 1, inputItem);
    }
    for (std::size_t c = 0; c < job.reports.size(); ++c) {
        std::vector<const prism::ExampleResult *> byIndex(job.examples.size(), nullptr);
        for (const prism::ExampleResult &res : job.reports[c]->results)
            if (res.index < byIndex.size())
                byIndex[res.index] = &res;
        for (std::size_t r = 0; r < job.examples.size(); ++r) {
            const prism::ExampleResult *res = byIndex[r];
            const QString text = !res ? tr("not run") : res->error ? tr("error") : QString::number(*res->score, 'f', 2);
            auto *cell = new QTableWidgetItem(text);
            cell->setBackground(scoreColor(res));
            cell->setTextAlignment(Qt::AlignCenter);
            // The prediction, then what the metric said was wrong with it.
            QString tip = predictionText(res, shown);
            if (res && !res->error && !res->feedback.empty())
                tip += QLatin1Char('\n') + QString::fromStdString(res->feedback);
            cell->setToolTip(tip);
            m_table->setItem(static_cast<int>(r), kFixedColumns + static_cast<int>(c), cell);
        }
    }
    // What each row's filter needs, from the reports (never read back from the cells).
    m_rowFlags.assign(job.examples.size(), RowFlags{});
    for (std::size_t r = 0; r < job.examples.size(); ++r) {
        std::optional<std::optional<double>> first; // the first column's score (empty = error)
        for (const auto &report : job.reports) {
            const prism::ExampleResult *res = nullptr;
            for (const prism::ExampleResult &x : report->results)
                if (x.index == r)
                    res = &x;
            const std::optional<double> score = res && !res->error ? res->score : std::nullopt;
            RowFlags &flags = m_rowFlags[r];
            flags.error = flags.error || !score;
            flags.failure = flags.failure || !score || *score < 1.0;
            if (!first)
                first = score;
            else
                flags.differs = flags.differs || *first != score;
        }
    }
    m_table->resizeColumnToContents(0);
    m_table->setColumnWidth(1, fontMetrics().averageCharWidth() * 36);
    setFilter(static_cast<Filter>(m_filter->currentData().toInt()));
}

void GridPage::setFilter(Filter filter)
{
    if (m_filter->currentData().toInt() != static_cast<int>(filter))
        m_filter->setCurrentIndex(m_filter->findData(static_cast<int>(filter)));
    for (int row = 0; row < m_table->rowCount(); ++row) {
        const RowFlags flags = row < static_cast<int>(m_rowFlags.size()) ? m_rowFlags[row] : RowFlags{};
        const bool show = filter == Filter::All || (filter == Filter::Failures && flags.failure)
                          || (filter == Filter::Differences && flags.differs)
                          || (filter == Filter::Errors && flags.error);
        m_table->setRowHidden(row, !show);
    }
}

int GridPage::visibleRows() const
{
    int n = 0;
    for (int row = 0; row < m_table->rowCount(); ++row)
        n += m_table->isRowHidden(row) ? 0 : 1;
    return n;
}

void GridPage::traceCell(int row, int column)
{
    const int program = column - kFixedColumns;
    if (program < 0 || program >= static_cast<int>(m_shownPrograms.size()) || row < 0
        || row >= static_cast<int>(m_shownExamples.size()))
        return;
    auto *dialog = TraceDialog::open(
        this, tr("Trace: example %1, %2")
                  .arg(row + 1)
                  .arg(m_table->horizontalHeaderItem(column)->text().section(QLatin1Char('\n'), 0, 0)));
    dialog->setNote(tr("Run again on the study's models; answers the grid already got come from the response cache."));
    startRerunTrace(dialog, m_doc->study(), m_shownPrograms[static_cast<std::size_t>(program)],
                    m_shownExamples[static_cast<std::size_t>(row)], static_cast<std::size_t>(row),
                    [this](const SpendByRole &calls) { emit spent(calls); });
}

void GridPage::setBusy(bool busy)
{
    m_evaluate->setEnabled(!busy);
    m_cancel->setVisible(busy);
    m_programs->setEnabled(!busy);
    m_split->setEnabled(!busy);
}
