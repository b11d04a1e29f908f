#include "pages/metricpage.h"

#include "pages/judgepane.h"

#include "models/rowtablemodel.h"
#include "qtconvert.h"
#include "studydocument.h"
#include "trace/tracedialog.h"
#include "widgets/errorbanner.h"
#include "widgets/jshighlighter.h"

#include "adapter/adapter.h"
#include "eval/evaluator.h"
#include "metric/builtin.h"
#include "modelsetup/lm_setup.h"
#include "run/example_trace.h"
#include "run/study_judge.h"
#include "scripting/jsmetric.h"

#include <QButtonGroup>
#include <QComboBox>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QResizeEvent>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTextBlock>
#include <QTextDocument>
#include <QThread>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <optional>

// The work of one "Test on selected rows": a copy of the study and the rows,
// run on a background thread; the page reads the outcome when the thread ends.
struct MetricTestJob {
    prism::Study study;
    std::vector<prism::Example> examples;
    std::vector<int> rows; // 0-based row numbers in the split, parallel to examples
    Split split = Split::Train;

    std::optional<prism::Error> setupError; // nothing ran: the metric or the models could not start
    prism::EvalReport report;
    std::vector<std::optional<prism::ExampleTrace>> traces;  // parallel to examples; empty = not run
    std::map<std::string, prism::LedgerTotals> ledgerByRole; // the calls the test made (cache hits included)
    double seconds = 0.0;

    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::optional<prism::CallServices> services; // set once the models exist, to abort calls in flight

    void cancel()
    {
        stop = true;
        std::lock_guard lock(mutex);
        if (services)
            services->requestCancel();
    }

    void run()
    {
        const auto start = std::chrono::steady_clock::now();
        runInner();
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }

private:
    void runInner()
    {
        // The metric before any call: a script that does not load costs no LM call.
        auto adapter = prism::makeAdapter(study.eval.adapter);
        auto models = prism::setupModels(study, {}, prism::LmSetupOptions{});
        if (!models) {
            setupError = models.error();
            return;
        }
        auto metric = prism::makeStudyMetric(study.metric, study.program, prism::studyJudge(study, *models));
        if (!metric) {
            setupError = metric.error();
            return;
        }
        {
            std::lock_guard lock(mutex);
            services = models->services;
            if (stop)
                services->requestCancel();
        }
        auto reachable = prism::checkConnection(models->taskConfig, models->services.cancel.get());
        if (!reachable) {
            setupError = reachable.error();
            return;
        }
        prism::CallOptions call;
        call.temperature = models->taskConfig.temperature;
        call.maxTokens = models->taskConfig.maxTokens;
        call.role = "evaluation";
        traceRows(*models->task, *adapter, *metric.value(), call);
        if (models->services.ledger)
            ledgerByRole = models->services.ledger->totalsByRole();
    }

    // Every row through traceExample (the evaluator's own path, recorded), so
    // each result row can open what the model was sent and said.
    void traceRows(prism::Lm &lm, const prism::Adapter &adapter, const prism::Metric &metric,
                   const prism::CallOptions &call)
    {
        const std::size_t n = examples.size();
        traces.assign(n, std::nullopt);
        const int threads = std::clamp(study.eval.threads, 1, std::max(1, static_cast<int>(n)));
        prism::parallelFor(nullptr, n, threads, [&](std::size_t i) {
            if (stop)
                return;
            traces[i] = prism::traceExample(study.program, examples[i], i, lm, adapter, metric, call, &study.metric);
        });
        report.total = n;
        for (const auto &t : traces) {
            if (!t) {
                report.stoppedEarly = true;
                report.stopReason = "cancelled";
                continue;
            }
            report.usage.add(t->result.prediction.usage);
            report.results.push_back(t->result);
        }
    }
};

namespace {

// The built-ins of the builder, engine name -> what the user reads.
struct BuiltinInfo {
    const char *name;
    const char *title;
    const char *help;
};
const BuiltinInfo kBuiltins[] = {
    {"exact", "exact match", "1 when the prediction equals the label (text trimmed, lists compared as sets)"},
    {"normalized_exact", "normalized exact",
     "exact match after lower-casing and removing punctuation, articles and extra spaces"},
    {"f1", "token F1", "overlap of the words of prediction and label (SQuAD F1)"},
    {"jaccard", "set Jaccard", "for lists: |both| / |either|; two empty lists score 1"},
    {"numeric", "numeric",
     "1 when the numbers differ by at most the tolerance (a text answer counts by its last number)"},
    {"contains", "contains", "1 when the label's words appear in the prediction (normalized, whole words)"},
    {"regex", "regex", "1 when the pattern is found in the prediction (ECMAScript syntax; anchor with ^ and $)"},
};

std::string defaultMetricFor(const prism::Type &type)
{
    if (type.kind() == prism::TypeKind::List)
        return "jaccard";
    if (type.isNumeric())
        return "numeric";
    return "exact";
}

QString predictionText(const prism::Prediction &prediction, const std::vector<prism::Field> &outputs)
{
    QStringList parts;
    for (const auto &f : outputs) {
        const prism::Value *v = prediction.values.find(f.name);
        if (v)
            parts << QStringLiteral("%1: %2").arg(
                toQ(f.name), v->isList() && v->asList().empty() ? QStringLiteral("(none)") : valueToText(*v));
    }
    return parts.join(QStringLiteral("  ·  "));
}

// The 1-based line of "metric.js line 7: ..." messages.
int lineOf(const QString &message)
{
    static const QRegularExpression re(QStringLiteral("metric\\.js line (\\d+):"));
    const auto match = re.match(message);
    return match.hasMatch() ? match.captured(1).toInt() : 0;
}

constexpr qint64 typingPauseMs = 1500;

// A result cell's own colour (an error's red), put back when the results are current again.
constexpr int kOwnColorRole = Qt::UserRole + 1;

// QPlainTextEdit with a line-number gutter, two-space indentation and
// auto-indent on Enter. No Q_OBJECT: lambdas do the wiring.
class ScriptEditor final : public QPlainTextEdit {
public:
    explicit ScriptEditor(QWidget *parent) : QPlainTextEdit(parent), m_gutter(new Gutter(this))
    {
        connect(this, &QPlainTextEdit::blockCountChanged, this, [this] { updateMargins(); });
        connect(this, &QPlainTextEdit::updateRequest, this, [this](const QRect &rect, int dy) {
            if (dy)
                m_gutter->scroll(0, dy);
            else
                m_gutter->update(0, rect.y(), m_gutter->width(), rect.height());
        });
        updateMargins();
    }

    int gutterWidth() const
    {
        const int digits = std::max(2, static_cast<int>(std::log10(std::max(1, blockCount()))) + 1);
        return fontMetrics().horizontalAdvance(QLatin1Char('9')) * (digits + 1) + 6;
    }

protected:
    void resizeEvent(QResizeEvent *event) override
    {
        QPlainTextEdit::resizeEvent(event);
        const QRect cr = contentsRect();
        m_gutter->setGeometry(QRect(cr.left(), cr.top(), gutterWidth(), cr.height()));
    }

    void changeEvent(QEvent *event) override
    {
        QPlainTextEdit::changeEvent(event);
        if (event->type() == QEvent::FontChange)
            updateMargins();
    }

    void keyPressEvent(QKeyEvent *event) override
    {
        if (event->key() == Qt::Key_Tab && event->modifiers() == Qt::NoModifier) {
            insertPlainText(QStringLiteral("  "));
            return;
        }
        if ((event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) && event->modifiers() == Qt::NoModifier) {
            const QString line = textCursor().block().text();
            int indent = 0;
            while (indent < line.size()
                   && (line.at(indent) == QLatin1Char(' ') || line.at(indent) == QLatin1Char('\t')))
                ++indent;
            QString text = QStringLiteral("\n") + line.left(indent);
            if (line.trimmed().endsWith(QLatin1Char('{')))
                text += QStringLiteral("  ");
            insertPlainText(text);
            return;
        }
        QPlainTextEdit::keyPressEvent(event);
    }

private:
    class Gutter final : public QWidget {
    public:
        explicit Gutter(ScriptEditor *editor) : QWidget(editor), m_editor(editor) {}
        QSize sizeHint() const override { return {m_editor->gutterWidth(), 0}; }

    protected:
        void paintEvent(QPaintEvent *event) override { m_editor->paintGutter(event->rect()); }

    private:
        ScriptEditor *m_editor;
    };

    void updateMargins() { setViewportMargins(gutterWidth(), 0, 0, 0); }

    void paintGutter(const QRect &rect)
    {
        QPainter painter(m_gutter);
        painter.fillRect(rect, palette().color(QPalette::AlternateBase));
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.setFont(font());
        QTextBlock block = firstVisibleBlock();
        int top = qRound(blockBoundingGeometry(block).translated(contentOffset()).top());
        const int right = m_gutter->width() - 4;
        while (block.isValid() && top <= rect.bottom()) {
            const int height = qRound(blockBoundingRect(block).height());
            if (block.isVisible() && top + height >= rect.top())
                painter.drawText(0, top, right, fontMetrics().height(), Qt::AlignRight,
                                 QString::number(block.blockNumber() + 1));
            top += height;
            block = block.next();
        }
    }

    Gutter *m_gutter;
};

} // namespace

MetricPage::MetricPage(StudyDocument *document, QWidget *parent) : QWidget(parent), m_document(document)
{
    setObjectName(QStringLiteral("metricPage"));
    auto *layout = new QVBoxLayout(this);
    m_banner = new ErrorBanner(this);
    layout->addWidget(m_banner);
    layout->addLayout(buildModeBar());

    m_splitter = new QSplitter(Qt::Vertical, this);
    m_splitter->setObjectName(QStringLiteral("metricSplitter"));
    m_splitter->setChildrenCollapsible(false);
    // Builder and script editor share the upper half.
    m_stack = new QStackedWidget(m_splitter);
    m_stack->addWidget(buildBuilderPane());
    m_stack->addWidget(buildScriptPane());
    m_judgePane = new JudgePane(m_document, m_stack);
    m_stack->addWidget(m_judgePane);
    m_splitter->addWidget(m_stack);
    // Lower half: rows to test on, and what came back.
    m_splitter->addWidget(buildTestPane());
    m_splitter->setStretchFactor(0, 3);
    m_splitter->setStretchFactor(1, 2);
    layout->addWidget(m_splitter, 1);

    m_checkTimer = new QTimer(this);
    m_checkTimer->setSingleShot(true);
    m_checkTimer->setInterval(400);
    connect(m_checkTimer, &QTimer::timeout, this, &MetricPage::startScriptCheck);
    connectSignals();

    m_testStatus->setText(idleHint());
    syncFromStudy();
    selectRows({0, 1, 2, 3, 4});
    updateTestButton();
}

QHBoxLayout *MetricPage::buildModeBar()
{
    auto *top = new QHBoxLayout;
    auto *modeLabel = new QLabel(tr("<b>Metric</b>"), this);
    m_builderButton = new QToolButton(this);
    m_builderButton->setObjectName(QStringLiteral("builderModeButton"));
    m_builderButton->setText(tr("&Builder"));
    m_builderButton->setToolTip(tr("One built-in metric per output field, combined by weights"));
    m_scriptButton = new QToolButton(this);
    m_scriptButton->setObjectName(QStringLiteral("scriptModeButton"));
    m_scriptButton->setText(tr("&Script (JavaScript)"));
    m_scriptButton->setToolTip(tr("Your own function metric(example, pred, trace), run sandboxed"));
    m_judgeButton = new QToolButton(this);
    m_judgeButton->setObjectName(QStringLiteral("judgeModeButton"));
    m_judgeButton->setText(tr("&Judge (LLM)"));
    m_judgeButton->setToolTip(tr("A judge model scores each answer against a rubric, with its reason as feedback"));
    auto *group = new QButtonGroup(this);
    for (QToolButton *b : {m_builderButton, m_scriptButton, m_judgeButton}) {
        b->setCheckable(true);
        b->setToolButtonStyle(Qt::ToolButtonTextOnly);
        group->addButton(b);
    }
    group->setExclusive(true);
    top->addWidget(modeLabel);
    top->addSpacing(fontMetrics().averageCharWidth() * 2);
    top->addWidget(m_builderButton);
    top->addWidget(m_scriptButton);
    top->addWidget(m_judgeButton);
    top->addStretch(1);
    return top;
}

QWidget *MetricPage::buildBuilderPane()
{
    auto *builderPane = new QWidget(m_stack);
    auto *builderLayout = new QVBoxLayout(builderPane);
    builderLayout->setContentsMargins(0, 0, 0, 0);
    m_builder = new QTableWidget(0, BuilderColumnCount, builderPane);
    m_builder->setObjectName(QStringLiteral("builderTable"));
    m_builder->setHorizontalHeaderLabels(
        {tr("Output field"), tr("Type"), tr("Metric"), tr("Weight"), tr("Tolerance / pattern")});
    m_builder->setSelectionMode(QAbstractItemView::NoSelection);
    m_builder->setFocusPolicy(Qt::NoFocus);
    m_builder->verticalHeader()->hide();
    m_builder->horizontalHeader()->setStretchLastSection(true);
    m_builder->setEditTriggers(QAbstractItemView::NoEditTriggers);
    // As tall as its rows; the summary and the help follow right below.
    m_builder->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
    m_builder->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Maximum);
    builderLayout->addWidget(m_builder);
    m_builderSummary = new QLabel(builderPane);
    m_builderSummary->setObjectName(QStringLiteral("builderSummary"));
    m_builderSummary->setWordWrap(true);
    m_builderSummary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    builderLayout->addWidget(m_builderSummary);
    QStringList help;
    for (const auto &b : kBuiltins)
        help << QStringLiteral("<b>%1</b>: %2").arg(tr(b.title), tr(b.help));
    auto *builderHelp = new QLabel(help.join(QStringLiteral(" · ")), builderPane);
    builderHelp->setWordWrap(true);
    builderHelp->setForegroundRole(QPalette::PlaceholderText);
    builderLayout->addWidget(builderHelp);
    builderLayout->addStretch(1);
    return builderPane;
}

QWidget *MetricPage::buildScriptPane()
{
    auto *scriptPane = new QWidget(m_stack);
    auto *scriptLayout = new QVBoxLayout(scriptPane);
    scriptLayout->setContentsMargins(0, 0, 0, 0);
    auto *scriptBar = new QHBoxLayout;
    auto *scriptHelp =
        new QLabel(tr("<code>function metric(example, pred, trace)</code> returns a number in [0, 1], "
                      "a boolean, or <code>{score, feedback}</code>. Standard JavaScript only: no files, "
                      "network or console; %1 ms per call.")
                       .arg(prism::kDefaultMetricTimeoutMs),
                   scriptPane);
    scriptHelp->setWordWrap(true);
    auto *templateButton = new QPushButton(tr("Reset to Te&mplate"), scriptPane);
    templateButton->setObjectName(QStringLiteral("templateButton"));
    templateButton->setToolTip(tr("Replace the script with a starting point for the current output fields"));
    connect(templateButton, &QPushButton::clicked, this, &MetricPage::resetScriptToTemplate);
    scriptBar->addWidget(scriptHelp, 1);
    scriptBar->addWidget(templateButton, 0, Qt::AlignTop);
    scriptLayout->addLayout(scriptBar);
    auto *editor = new ScriptEditor(scriptPane);
    m_editor = editor;
    m_editor->setObjectName(QStringLiteral("scriptEditor"));
    m_editor->setAccessibleName(tr("Metric script"));
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_editor->setFont(mono);
    m_editor->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_editor->setTabStopDistance(QFontMetricsF(mono).horizontalAdvance(QLatin1Char(' ')) * 2);
    // Edits go to the document's undo stack, not the editor's own.
    m_editor->setUndoRedoEnabled(false);
    new JsHighlighter(m_editor->document());
    scriptLayout->addWidget(m_editor, 1);
    m_scriptStatus = new QLabel(scriptPane);
    m_scriptStatus->setObjectName(QStringLiteral("scriptStatus"));
    m_scriptStatus->setWordWrap(true);
    m_scriptStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    scriptLayout->addWidget(m_scriptStatus);
    return scriptPane;
}

QWidget *MetricPage::buildTestPane()
{
    auto *testPane = new QWidget(m_splitter);
    auto *testLayout = new QVBoxLayout(testPane);
    testLayout->setContentsMargins(0, 0, 0, 0);
    testLayout->addLayout(buildTestBar(testPane));
    m_staleLabel = new QLabel(testPane);
    m_staleLabel->setObjectName(QStringLiteral("testResultsStale"));
    m_staleLabel->setWordWrap(true);
    m_staleLabel->setStyleSheet(QStringLiteral("color: #8a5a00;"));
    m_staleLabel->hide();
    testLayout->addWidget(m_staleLabel);
    testLayout->addWidget(buildTestTables(testPane), 1);
    return testPane;
}

QHBoxLayout *MetricPage::buildTestBar(QWidget *testPane)
{
    auto *testBar = new QHBoxLayout;
    auto *testTitle = new QLabel(tr("<b>Try it</b>"), testPane);
    auto *splitLabel = new QLabel(tr("Rows &from:"), testPane);
    m_splitCombo = new QComboBox(testPane);
    m_splitCombo->setObjectName(QStringLiteral("testSplitCombo"));
    for (Split s : allSplits)
        m_splitCombo->addItem(splitTitle(s), static_cast<int>(s));
    splitLabel->setBuddy(m_splitCombo);
    m_testButton = new QPushButton(tr("&Test on Selected Rows"), testPane);
    m_testButton->setObjectName(QStringLiteral("testRowsButton"));
    m_testButton->setToolTip(tr("Run the program with the task model on the selected rows and score them"));
    m_cancelButton = new QPushButton(tr("Cancel"), testPane);
    m_cancelButton->setObjectName(QStringLiteral("cancelTestButton"));
    m_cancelButton->setEnabled(false);
    m_testStatus = new QLabel(testPane);
    m_testStatus->setObjectName(QStringLiteral("testStatus"));
    m_testStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_testStatus->setWordWrap(true); // a long status wraps instead of widening the page past 1024 pixels
    testBar->addWidget(testTitle);
    testBar->addSpacing(fontMetrics().averageCharWidth() * 2);
    testBar->addWidget(splitLabel);
    testBar->addWidget(m_splitCombo);
    testBar->addWidget(m_testButton);
    testBar->addWidget(m_cancelButton);
    testBar->addWidget(m_testStatus, 1);
    return testBar;
}

QSplitter *MetricPage::buildTestTables(QWidget *testPane)
{
    auto *testSplitter = new QSplitter(Qt::Horizontal, testPane);
    testSplitter->setChildrenCollapsible(false);
    m_rowsModel = new RowTableModel(m_document, this);
    m_rowsView = new QTableView(testSplitter);
    m_rowsView->setObjectName(QStringLiteral("testRowsView"));
    m_rowsView->setModel(m_rowsModel);
    m_rowsView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_rowsView->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_rowsView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_rowsView->setWordWrap(false);
    m_rowsView->horizontalHeader()->setStretchLastSection(true);
    m_rowsView->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    m_rowsView->setAccessibleName(tr("Rows to test on"));
    m_rowsView->setToolTip(tr("Select rows (Ctrl or Shift for several) and press Test on Selected Rows"));

    m_results = new QTableWidget(0, ResultColumnCount, testSplitter);
    m_results->setObjectName(QStringLiteral("testResultsTable"));
    m_results->setHorizontalHeaderLabels({tr("Row"), tr("Prediction"), tr("Score"), tr("Feedback / error")});
    m_results->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_results->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_results->verticalHeader()->hide();
    m_results->horizontalHeader()->setStretchLastSection(true);
    // Feedback is the point of the table: wrap it rather than cut it.
    m_results->setWordWrap(true);
    m_results->setTextElideMode(Qt::ElideNone);
    m_results->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    const int ch = fontMetrics().averageCharWidth();
    m_results->setColumnWidth(RowColumn, ch * 6);
    m_results->setColumnWidth(PredictionColumn, ch * 34);
    m_results->setColumnWidth(ScoreColumn, ch * 8);
    m_results->setAccessibleName(tr("Test results"));
    // A wrapped feedback needs more lines when its column narrows (the window
    // or the splitter moved): eventFilter fits the rows again. The header's
    // sectionResized does not come for the stretched last column.
    m_results->viewport()->installEventFilter(this);
    testSplitter->addWidget(m_rowsView);
    testSplitter->addWidget(m_results);
    testSplitter->setStretchFactor(0, 2);
    testSplitter->setStretchFactor(1, 3);
    testSplitter->setSizes({2, 3});
    // Connected before connectSignals() adds updateTestButton to the same reset.
    connect(m_rowsModel, &QAbstractItemModel::modelReset, this, &MetricPage::sizeRowColumns);
    sizeRowColumns();
    return testSplitter;
}

void MetricPage::connectSignals()
{
    connect(m_builderButton, &QToolButton::clicked, this, [this] { setMode(Mode::Builder); });
    connect(m_scriptButton, &QToolButton::clicked, this, [this] { setMode(Mode::Script); });
    connect(m_judgeButton, &QToolButton::clicked, this, [this] { setMode(Mode::Judge); });
    connect(m_editor->document(), &QTextDocument::contentsChange, this, [this](int position, int removed, int added) {
        m_lastChangeSize = std::max(removed, added);
        // Enter with auto-indent adds a newline and spaces: still typing.
        const QString text = m_editor->document()->toPlainText().mid(position, added);
        m_lastChangeIsIndent = removed == 0 && text.trimmed().isEmpty();
    });
    connect(m_editor, &QPlainTextEdit::textChanged, this, &MetricPage::onScriptEdited);
    connect(m_splitCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
        m_rowsModel->setSplit(static_cast<Split>(m_splitCombo->itemData(index).toInt()));
        selectRows({});
        updateTestButton();
    });
    connect(m_rowsView->selectionModel(), &QItemSelectionModel::selectionChanged, this, &MetricPage::updateTestButton);
    connect(m_rowsModel, &QAbstractItemModel::modelReset, this, &MetricPage::updateTestButton);
    connect(m_testButton, &QPushButton::clicked, this, &MetricPage::testSelectedRows);
    connect(m_cancelButton, &QPushButton::clicked, this, &MetricPage::cancelTest);
    connect(m_results, &QTableWidget::cellDoubleClicked, this, [this](int row, int) { openTrace(row); });

    connect(m_document, &StudyDocument::studyChanged, this, &MetricPage::syncFromStudy);
    connect(m_document, &StudyDocument::documentReset, this, [this] {
        m_banner->clear();
        clearResults();
        m_testStatus->setStyleSheet(QString());
        m_testStatus->setText(idleHint());
        syncFromStudy();
        selectRows({0, 1, 2, 3, 4});
    });
}

QString MetricPage::idleHint() const
{
    return tr("Select rows and press Test to see each prediction, its score and the feedback.");
}

MetricPage::~MetricPage()
{
    // The worker holds its own copy of everything; stop it and let it finish
    // before the page (its signal's receiver) goes away.
    if (m_job)
        m_job->cancel();
    if (m_testThread)
        m_testThread->wait();
    for (const QPointer<QThread> &check : std::as_const(m_checkThreads))
        if (check)
            check->wait();
}

MetricPage::Mode MetricPage::mode() const
{
    const std::string &kind = m_document->study().metric.kind;
    return kind == "script" ? Mode::Script : kind == "judge" ? Mode::Judge : Mode::Builder;
}

std::vector<prism::Field> MetricPage::scoredOutputs() const
{
    return m_document->study().program.allOutputs();
}

void MetricPage::setMode(Mode mode)
{
    if (mode == this->mode()) {
        syncFromStudy(); // puts the buttons back
        return;
    }
    prism::Study study = m_document->study();
    if (mode == Mode::Judge) {
        study.metric.kind = "judge";
        study.metric.fields.clear(); // the judge decides every answer until told otherwise
        if (QString::fromStdString(study.metric.judge.rubric).trimmed().isEmpty())
            study.metric.judge.rubric = tr("The response answers what was asked, correctly and completely, and "
                                           "says nothing the inputs do not support.")
                                            .toStdString();
        if (study.metric.judge.referenceField.empty() && !study.program.predictors.empty()
            && !study.program.predictors.back().signature.outputs.empty())
            study.metric.judge.referenceField = study.program.predictors.back().signature.outputs.front().name;
        m_document->setStudy(study, tr("Use a Judge Metric"));
    } else if (mode == Mode::Script) {
        study.metric.kind = "script";
        if (QString::fromStdString(study.metric.script).trimmed().isEmpty())
            study.metric.script = prism::jsMetricTemplate(study.program);
        m_document->setStudy(study, tr("Use a Script Metric"));
    } else {
        study.metric.kind = "composite";
        if (study.metric.fields.empty()) {
            for (const auto &f : study.program.predictors.empty() ? std::vector<prism::Field>{}
                                                                  : study.program.predictors.back().signature.outputs) {
                prism::FieldMetric fm;
                fm.field = f.name;
                fm.metric = defaultMetricFor(f.type);
                study.metric.fields.push_back(fm);
            }
        }
        m_document->setStudy(study, tr("Use the Metric Builder"));
    }
}

void MetricPage::resetScriptToTemplate()
{
    prism::Study study = m_document->study();
    study.metric.kind = "script";
    study.metric.script = prism::jsMetricTemplate(study.program);
    ++m_typingSession;
    m_document->setStudy(study, tr("Reset Metric Script"));
}

void MetricPage::syncFromStudy()
{
    const prism::Study &study = m_document->study();
    const bool script = study.metric.kind == "script";
    const Mode shown = mode();
    m_syncing = true;
    m_builderButton->setChecked(shown == Mode::Builder);
    m_scriptButton->setChecked(shown == Mode::Script);
    m_judgeButton->setChecked(shown == Mode::Judge);
    m_stack->setCurrentIndex(static_cast<int>(shown));
    if (m_shownMode != static_cast<int>(shown)) {
        m_shownMode = static_cast<int>(shown);
        fitSplitter();
    }
    m_judgePane->syncFromStudy();

    const QString source = toQ(study.metric.script);
    if (m_editor->toPlainText() != source) {
        // An undo, a redo, a reset or a new study: not the user's typing.
        ++m_typingSession;
        const int position = m_editor->textCursor().position();
        m_editor->setPlainText(source);
        QTextCursor cursor = m_editor->textCursor();
        cursor.setPosition(std::min(position, static_cast<int>(source.size())));
        m_editor->setTextCursor(cursor);
        m_checkTimer->start();
    }
    m_syncing = false;

    const auto outputs = scoredOutputs();
    if (outputs != m_builderFields)
        rebuildBuilder();
    else
        refreshBuilderValues();
    updateBuilderSummary();
    if (script && m_scriptProblem.isEmpty() && m_scriptStatus->text().isEmpty())
        m_checkTimer->start();
    updateStaleness();
}

void MetricPage::clearResults()
{
    m_results->setRowCount(0);
    m_traces.clear();
    m_resultsStudy.reset();
    updateStaleness();
}

QString MetricPage::staleReason() const
{
    if (!m_resultsStudy || m_results->rowCount() == 0)
        return {};
    const prism::Study &now = m_document->study();
    QStringList changed;
    if (!(now.metric == m_resultsStudy->metric))
        changed << tr("the metric");
    if (!(now.program == m_resultsStudy->program) || now.eval.adapter != m_resultsStudy->eval.adapter)
        changed << tr("the program");
    if (!(now.taskModel == m_resultsStudy->taskModel))
        changed << tr("the task model");
    if (changed.isEmpty())
        return {};
    return tr("Out of date: %1 changed since this test. Test again to see results for the current study.")
        .arg(changed.join(tr(" and ")));
}

void MetricPage::updateStaleness()
{
    const QString reason = staleReason();
    const bool stale = !reason.isEmpty();
    m_staleLabel->setText(reason);
    m_staleLabel->setVisible(stale);
    // Greyed, not removed: the old answers stay readable (and traceable) until the next test.
    const QColor grey = m_results->palette().color(QPalette::Disabled, QPalette::Text);
    for (int row = 0; row < m_results->rowCount(); ++row)
        for (int c = 0; c < m_results->columnCount(); ++c)
            if (auto *item = m_results->item(row, c))
                item->setData(Qt::ForegroundRole, stale ? QVariant(grey) : item->data(kOwnColorRole));
}

bool MetricPage::resultsStale() const
{
    return !staleReason().isEmpty();
}

TraceDialog *MetricPage::lastTraceDialog() const
{
    return qobject_cast<TraceDialog *>(m_lastTrace.data());
}

void MetricPage::openTrace(int row)
{
    if (row < 0 || row >= static_cast<int>(m_traces.size()) || !m_traces[static_cast<std::size_t>(row)])
        return;
    const prism::ExampleTrace &trace = *m_traces[static_cast<std::size_t>(row)];
    const QString rowText = m_results->item(row, RowColumn) ? m_results->item(row, RowColumn)->text() : QString();
    auto *dialog = TraceDialog::open(this, tr("Trace of row %1").arg(rowText));
    dialog->showTrace(trace);
    if (resultsStale())
        dialog->setNote(staleReason());
    m_lastTrace = dialog;
}

void MetricPage::rebuildBuilder()
{
    m_builderFields = scoredOutputs();
    const QSignalBlocker blocker(m_builder);
    m_builder->setRowCount(0);
    m_builder->setRowCount(static_cast<int>(m_builderFields.size()));
    for (int r = 0; r < static_cast<int>(m_builderFields.size()); ++r) {
        const prism::Field &field = m_builderFields[static_cast<std::size_t>(r)];
        const QString name = toQ(field.name);
        auto *nameItem = new QTableWidgetItem(name);
        nameItem->setToolTip(toQ(field.description));
        m_builder->setItem(r, FieldColumn, nameItem);
        auto *typeItem = new QTableWidgetItem(typeText(field.type));
        typeItem->setToolTip(typeItem->text());
        m_builder->setItem(r, TypeColumn, typeItem);

        auto *metric = new QComboBox(m_builder);
        metric->setObjectName(QStringLiteral("metricCombo_%1").arg(name));
        metric->setAccessibleName(tr("Metric for %1").arg(name));
        metric->addItem(tr("(not scored)"), QString());
        for (const auto &b : kBuiltins) {
            metric->addItem(tr(b.title), QString::fromLatin1(b.name));
            metric->setItemData(metric->count() - 1, tr(b.help), Qt::ToolTipRole);
        }
        m_builder->setCellWidget(r, MetricColumn, metric);

        auto *weight = new QDoubleSpinBox(m_builder);
        weight->setObjectName(QStringLiteral("weightSpin_%1").arg(name));
        weight->setAccessibleName(tr("Weight of %1").arg(name));
        weight->setRange(0.0, 100.0);
        weight->setDecimals(2);
        weight->setSingleStep(0.5);
        weight->setToolTip(tr("Weights are normalized: 1 and 1 is the same as 0.5 and 0.5"));
        m_builder->setCellWidget(r, WeightColumn, weight);

        auto *option = new QWidget(m_builder);
        auto *optionLayout = new QHBoxLayout(option);
        optionLayout->setContentsMargins(0, 0, 0, 0);
        auto *tolerance = new QDoubleSpinBox(option);
        tolerance->setObjectName(QStringLiteral("toleranceSpin"));
        tolerance->setAccessibleName(tr("Tolerance of %1").arg(name));
        tolerance->setRange(0.0, 1e9);
        tolerance->setDecimals(4);
        tolerance->setPrefix(tr("± "));
        auto *pattern = new QLineEdit(option);
        pattern->setObjectName(QStringLiteral("patternEdit"));
        pattern->setAccessibleName(tr("Pattern for %1").arg(name));
        pattern->setPlaceholderText(tr("regular expression, e.g. ^(yes|no)$"));
        pattern->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        optionLayout->addWidget(tolerance);
        optionLayout->addWidget(pattern);
        m_builder->setCellWidget(r, OptionColumn, option);

        const QString key = QStringLiteral("metric.builder.%1").arg(name);
        connect(metric, &QComboBox::currentIndexChanged, this, [this, name, metric] {
            if (!m_syncing)
                commitBuilder(tr("Score %1 by %2").arg(name, metric->currentText()));
        });
        connect(weight, &QDoubleSpinBox::valueChanged, this, [this, name, key] {
            if (!m_syncing)
                commitBuilder(tr("Change Weight of %1").arg(name), key + QStringLiteral(".weight"));
        });
        connect(tolerance, &QDoubleSpinBox::valueChanged, this, [this, name, key] {
            if (!m_syncing)
                commitBuilder(tr("Change Tolerance of %1").arg(name), key + QStringLiteral(".tolerance"));
        });
        connect(pattern, &QLineEdit::textEdited, this, [this, name, key] {
            if (!m_syncing)
                commitBuilder(tr("Change Pattern of %1").arg(name), key + QStringLiteral(".pattern"));
        });
    }
    const int ch = fontMetrics().averageCharWidth();
    m_builder->setColumnWidth(FieldColumn, ch * 22);
    m_builder->setColumnWidth(TypeColumn, ch * 30);
    m_builder->setColumnWidth(MetricColumn, ch * 22);
    m_builder->setColumnWidth(WeightColumn, ch * 12);
    m_builder->verticalHeader()->setDefaultSectionSize(fontMetrics().height() * 2 + 4);
    refreshBuilderValues();
}

void MetricPage::refreshBuilderValues()
{
    const prism::MetricSpec &spec = m_document->study().metric;
    const bool previous = m_syncing;
    m_syncing = true;
    for (int r = 0; r < m_builder->rowCount(); ++r) {
        const std::string &name = m_builderFields[static_cast<std::size_t>(r)].name;
        const auto it = std::find_if(spec.fields.begin(), spec.fields.end(),
                                     [&](const prism::FieldMetric &f) { return f.field == name; });
        auto *metric = qobject_cast<QComboBox *>(m_builder->cellWidget(r, MetricColumn));
        auto *weight = qobject_cast<QDoubleSpinBox *>(m_builder->cellWidget(r, WeightColumn));
        QWidget *option = m_builder->cellWidget(r, OptionColumn);
        auto *tolerance = option->findChild<QDoubleSpinBox *>(QStringLiteral("toleranceSpin"));
        auto *pattern = option->findChild<QLineEdit *>(QStringLiteral("patternEdit"));
        const QString metricName = it == spec.fields.end() ? QString() : toQ(it->metric);
        int index = metric->findData(metricName);
        metric->setCurrentIndex(index < 0 ? 0 : index);
        weight->setValue(it == spec.fields.end() ? 1.0 : it->weight);
        weight->setEnabled(it != spec.fields.end());
        tolerance->setValue(it == spec.fields.end() ? 0.0 : it->tolerance);
        if (pattern->text() != (it == spec.fields.end() ? QString() : toQ(it->pattern)))
            pattern->setText(it == spec.fields.end() ? QString() : toQ(it->pattern));
        tolerance->setVisible(metricName == QLatin1String("numeric"));
        pattern->setVisible(metricName == QLatin1String("regex"));
    }
    m_syncing = previous;
}

void MetricPage::commitBuilder(const QString &undoText, const QString &mergeKey)
{
    prism::Study study = m_document->study();
    study.metric.kind = "composite";
    std::vector<prism::FieldMetric> fields;
    for (int r = 0; r < m_builder->rowCount(); ++r) {
        auto *metric = qobject_cast<QComboBox *>(m_builder->cellWidget(r, MetricColumn));
        const QString name = metric->currentData().toString();
        if (name.isEmpty())
            continue;
        QWidget *option = m_builder->cellWidget(r, OptionColumn);
        prism::FieldMetric fm;
        fm.field = m_builderFields[static_cast<std::size_t>(r)].name;
        fm.metric = toStd(name);
        fm.weight = qobject_cast<QDoubleSpinBox *>(m_builder->cellWidget(r, WeightColumn))->value();
        if (name == QLatin1String("numeric"))
            fm.tolerance = option->findChild<QDoubleSpinBox *>(QStringLiteral("toleranceSpin"))->value();
        if (name == QLatin1String("regex"))
            fm.pattern = toStd(option->findChild<QLineEdit *>(QStringLiteral("patternEdit"))->text());
        fields.push_back(fm);
    }
    if (fields == study.metric.fields)
        return;
    study.metric.fields = std::move(fields);
    m_document->setStudy(study, undoText, mergeKey);
}

void MetricPage::updateBuilderSummary()
{
    const prism::Study &study = m_document->study();
    prism::MetricSpec spec = study.metric;
    spec.kind = "composite";
    auto metric = prism::makeMetric(spec, study.program);
    if (metric) {
        m_builderSummary->setText(tr("Score = weighted mean: %1").arg(toQ(metric.value()->describe()).toHtmlEscaped()));
        m_builderSummary->setStyleSheet(QString());
    } else {
        m_builderSummary->setText(toQ(metric.error().message));
        m_builderSummary->setStyleSheet(QStringLiteral("color: #b3261e;"));
    }
}

void MetricPage::onScriptEdited()
{
    if (m_syncing)
        return;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    // A paste or a replaced selection is an undo step of its own; typing
    // merges until a pause.
    const bool paste = m_lastChangeSize > 1 && !m_lastChangeIsIndent;
    if (paste || now - m_lastTypingMs > typingPauseMs)
        ++m_typingSession;
    m_lastTypingMs = paste ? 0 : now;
    prism::Study study = m_document->study();
    study.metric.kind = "script";
    study.metric.script = toStd(m_editor->toPlainText());
    m_document->setStudy(study, tr("Edit Metric Script"), QStringLiteral("metric.script.%1").arg(m_typingSession));
    m_checkTimer->start();
}

void MetricPage::checkScriptNow()
{
    m_checkTimer->stop();
    startScriptCheck();
}

void MetricPage::startScriptCheck()
{
    const int generation = ++m_checkGeneration;
    // Loading runs the script's top-level code, which may loop until the time
    // limit: never on the UI thread.
    auto source = std::make_shared<std::string>(m_document->study().metric.script);
    auto problem = std::make_shared<QString>();
    QThread *thread = QThread::create([source, problem] {
        auto metric = prism::makeJsMetric(*source);
        if (!metric)
            *problem = toQ(metric.error().message);
    });
    m_checkThreads.removeAll(nullptr);
    m_checkThreads << thread;
    connect(thread, &QThread::finished, this, [this, generation, problem] {
        if (generation == m_checkGeneration) {
            showScriptProblem(*problem);
            emit scriptChecked();
        }
    });
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->start();
}

void MetricPage::showScriptProblem(const QString &problem)
{
    m_scriptProblem = problem;
    QList<QTextEdit::ExtraSelection> marks;
    if (problem.isEmpty()) {
        m_scriptStatus->setText(tr("✓ The script loads and defines metric()."));
        m_scriptStatus->setStyleSheet(QStringLiteral("color: #2e7d32;"));
    } else {
        m_scriptStatus->setText(problem);
        m_scriptStatus->setStyleSheet(QStringLiteral("color: #b3261e;"));
        const int line = lineOf(problem);
        const QTextBlock block = m_editor->document()->findBlockByNumber(line - 1);
        if (line > 0 && block.isValid()) {
            QTextEdit::ExtraSelection mark;
            mark.format.setBackground(QColor(0xfd, 0xe2, 0xdf));
            mark.format.setProperty(QTextFormat::FullWidthSelection, true);
            mark.cursor = QTextCursor(block);
            marks << mark;
        }
    }
    m_editor->setExtraSelections(marks);
}

void MetricPage::selectRows(const std::vector<int> &rows)
{
    QItemSelection selection;
    const int count = m_rowsModel->rowCount();
    const int columns = std::max(1, m_rowsModel->columnCount());
    for (int r : rows)
        if (r >= 0 && r < count)
            selection.select(m_rowsModel->index(r, 0), m_rowsModel->index(r, columns - 1));
    m_rowsView->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

std::vector<int> MetricPage::selectedRows() const
{
    std::vector<int> rows;
    for (const QModelIndex &index : m_rowsView->selectionModel()->selectedRows())
        rows.push_back(index.row());
    std::sort(rows.begin(), rows.end());
    return rows;
}

bool MetricPage::isTesting() const
{
    return m_testThread != nullptr;
}

QString MetricPage::testStatus() const
{
    return m_testStatus->text();
}

void MetricPage::fitSplitter()
{
    // The builder needs only its rows, the editor a lot: the rest goes to the results.
    const int total = m_splitter->height();
    if (m_shownMode == 1 || total <= 0) {
        m_splitter->setSizes(m_shownMode == 1 ? QList<int>{60, 40} : QList<int>{35, 65});
        return;
    }
    const int top = std::min(m_stack->widget(0)->sizeHint().height() + fontMetrics().height(), total / 2);
    m_splitter->setSizes({top, total - top});
}

void MetricPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (!m_fittedOnShow) {
        m_fittedOnShow = true;
        fitSplitter();
    }
}

void MetricPage::sizeRowColumns()
{
    // Fixed widths: measuring contents would read every row of a large split.
    const int ch = fontMetrics().averageCharWidth();
    for (int c = 0; c < m_rowsModel->columnCount(); ++c)
        m_rowsView->setColumnWidth(c, c == 0 ? ch * 40 : ch * 16);
}

void MetricPage::updateTestButton()
{
    const auto rows = selectedRows();
    m_testButton->setEnabled(!isTesting() && !rows.empty());
    m_cancelButton->setEnabled(isTesting());
    if (!isTesting())
        m_testButton->setText(rows.size() > 1 ? tr("&Test on %1 Selected Rows").arg(rows.size())
                                              : tr("&Test on Selected Row"));
}

void MetricPage::testSelectedRows()
{
    if (isTesting())
        return;
    const auto rows = selectedRows();
    if (rows.empty()) {
        m_testStatus->setText(tr("Select one or more rows first."));
        return;
    }
    auto job = std::make_shared<MetricTestJob>();
    job->study = m_document->study();
    job->split = m_rowsModel->split();
    job->rows = rows;
    const auto &examples = m_document->examples(job->split);
    for (int r : rows)
        job->examples.push_back(examples[static_cast<std::size_t>(r)]);

    clearResults();
    m_testStatus->setStyleSheet(QString());
    m_testStatus->setText(
        (rows.size() == 1 ? tr("Running 1 row with %1…") : tr("Running %2 rows with %1…").arg(rows.size()))
            .arg(toQ(job->study.taskModel.model)));
    m_job = job;
    m_testThread = QThread::create([job] { job->run(); });
    connect(m_testThread, &QThread::finished, this, [this, job] { finishTest(job); });
    connect(m_testThread, &QThread::finished, m_testThread, &QObject::deleteLater);
    m_testThread->start();
    updateTestButton();
}

void MetricPage::cancelTest()
{
    if (!m_job || !isTesting())
        return;
    m_job->cancel();
    m_testStatus->setText(tr("Cancelling…"));
}

bool MetricPage::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_results->viewport() && event->type() == QEvent::Resize) {
        const auto *resize = static_cast<QResizeEvent *>(event);
        // Queued: the header stretches the last column after this event.
        if (resize->size().width() != resize->oldSize().width())
            QMetaObject::invokeMethod(m_results, &QTableWidget::resizeRowsToContents, Qt::QueuedConnection);
    }
    return QWidget::eventFilter(watched, event);
}

void MetricPage::finishTest(const std::shared_ptr<MetricTestJob> &job)
{
    if (job != m_job)
        return;
    m_testThread = nullptr;
    m_job.reset();
    const auto outputs = job->study.program.allOutputs();
    const QColor errorColor(0xb3, 0x26, 0x1e);

    std::vector<const prism::ExampleResult *> byIndex(job->examples.size(), nullptr);
    for (const auto &r : job->report.results)
        if (r.index < byIndex.size())
            byIndex[r.index] = &r;

    m_results->setRowCount(static_cast<int>(job->examples.size()));
    int scored = 0;
    int errors = 0;
    double sum = 0.0;
    for (std::size_t i = 0; i < job->examples.size(); ++i) {
        const int row = static_cast<int>(i);
        const prism::ExampleResult *r = byIndex[i];
        auto *number = new QTableWidgetItem(QString::number(job->rows[i] + 1));
        number->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_results->setItem(row, RowColumn, number);
        QString prediction;
        QString score = QStringLiteral("—");
        QString feedback;
        bool isError = false;
        if (job->setupError) {
            feedback = tr("not run");
        } else if (!r) {
            feedback = tr("not run (cancelled)");
        } else {
            prediction = r->prediction.error ? tr("(no prediction)") : predictionText(r->prediction, outputs);
            if (r->error) {
                isError = true;
                ++errors;
                feedback = toQ(r->error->message);
            } else if (r->score) {
                ++scored;
                sum += *r->score;
                score = QString::number(*r->score, 'f', 2);
                feedback = toQ(r->feedback);
            }
        }
        auto *predictionItem = new QTableWidgetItem(prediction);
        predictionItem->setToolTip(r ? tr("%1\n\nDouble-click for the trace: the messages sent, the raw "
                                          "completion, the reasoning and each field's score.")
                                           .arg(prediction)
                                     : prediction);
        m_results->setItem(row, PredictionColumn, predictionItem);
        auto *scoreItem = new QTableWidgetItem(score);
        scoreItem->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_results->setItem(row, ScoreColumn, scoreItem);
        auto *feedbackItem = new QTableWidgetItem(feedback);
        feedbackItem->setToolTip(feedback);
        if (isError) {
            feedbackItem->setForeground(errorColor);
            feedbackItem->setData(kOwnColorRole, QBrush(errorColor));
        }
        m_results->setItem(row, FeedbackColumn, feedbackItem);
    }

    m_results->resizeRowsToContents();
    m_traces = job->traces;
    m_resultsStudy = job->study;
    updateStaleness();
    if (!job->ledgerByRole.empty())
        emit spent(spendFromLedger(job->ledgerByRole));

    if (job->setupError) {
        const QString message = toQ(job->setupError->message);
        m_testStatus->setText(tr("Nothing ran: %1").arg(message));
        m_testStatus->setStyleSheet(QStringLiteral("color: #b3261e;"));
        if (job->setupError->kind == prism::ErrorKind::Script && job->study.metric == m_document->study().metric)
            showScriptProblem(message);
    } else {
        QStringList parts;
        parts << (scored == 1 ? tr("1 row scored") : tr("%1 rows scored").arg(scored));
        if (scored > 0)
            parts << tr("mean %1").arg(sum / scored, 0, 'f', 2);
        if (errors > 0)
            parts << (errors == 1 ? tr("1 error") : tr("%1 errors").arg(errors));
        if (job->report.stoppedEarly)
            parts << tr("stopped: %1").arg(toQ(job->report.stopReason));
        parts << tr("%1 s").arg(job->seconds, 0, 'f', 1);
        m_testStatus->setText(parts.join(QStringLiteral(" · ")));
        m_testStatus->setStyleSheet(errors > 0 ? QStringLiteral("color: #b3261e;") : QString());
    }
    updateTestButton();
    emit testFinished();
}
