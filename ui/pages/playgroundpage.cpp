#include "pages/playgroundpage.h"

#include "compare/programsource.h"
#include "engine/jobmodels.h"
#include "qtconvert.h"
#include "trace/traceview.h"
#include "widgets/errorbanner.h"

#include "adapter/adapter.h"
#include "metric/metric.h"
#include "run/example_trace.h"
#include "run/run_store.h"
#include "run/study_judge.h"
#include "scripting/jsmetric.h"

#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <tuple>

namespace {

const QString kStudyProgram = QStringLiteral("study");
const QString kNone = QStringLiteral("none");
const QString kRunPrefix = QStringLiteral("run:");

// Without expected values there is nothing to score against: the trace says
// so instead of showing a score the metric made up from missing labels.
class UnscoredMetric final : public prism::Metric {
public:
    prism::Result<prism::MetricResult> score(const prism::Example &, const prism::Prediction &) const override
    {
        return prism::Error::make(prism::ErrorKind::Data,
                                  "not scored: no expected values were given (type them to score the answer)");
    }
    std::string describe() const override { return "unscored"; }
};

QString editorText(const QWidget *editor)
{
    if (const auto *text = qobject_cast<const QPlainTextEdit *>(editor))
        return text->toPlainText();
    if (const auto *combo = qobject_cast<const QComboBox *>(editor))
        return combo->currentText();
    if (const auto *line = qobject_cast<const QLineEdit *>(editor))
        return line->text();
    return {};
}

void setEditorText(QWidget *editor, const QString &value)
{
    if (auto *text = qobject_cast<QPlainTextEdit *>(editor))
        text->setPlainText(value);
    else if (auto *combo = qobject_cast<QComboBox *>(editor))
        combo->setCurrentIndex(std::max(0, combo->findText(value)));
    else if (auto *line = qobject_cast<QLineEdit *>(editor))
        line->setText(value);
}

// An enum or bool is picked from its values ("" = not given); a string gets
// a few lines; a number or a list one line.
QWidget *makeEditor(const prism::Field &field, bool optional, QWidget *parent)
{
    const prism::TypeKind kind = field.type.kind();
    if (kind == prism::TypeKind::Enum || kind == prism::TypeKind::Bool) {
        auto *combo = new QComboBox(parent);
        if (optional)
            combo->addItem(QString());
        if (kind == prism::TypeKind::Bool)
            combo->addItems({QStringLiteral("true"), QStringLiteral("false")});
        for (const std::string &v : field.type.enumValues())
            combo->addItem(toQ(v));
        return combo;
    }
    if (kind == prism::TypeKind::String) {
        auto *text = new QPlainTextEdit(parent);
        text->setTabChangesFocus(true);
        text->setFixedHeight(text->fontMetrics().height() * 3 + 12);
        return text;
    }
    auto *line = new QLineEdit(parent);
    if (kind == prism::TypeKind::List)
        line->setPlaceholderText(QObject::tr("comma-separated"));
    return line;
}

} // namespace

// One Run: the programs, the input, and what came back. Lives on the worker
// thread while it runs; cancel() may be called from the UI thread.
struct PlaygroundJob {
    prism::Study study;
    prism::Example example;
    std::vector<prism::Program> programs;
    bool scored = false;
    std::vector<prism::Result<prism::ExampleTrace>> traces;
    SpendByRole spent;

    JobModels models;

    void cancel() { models.cancel(); }

    void run()
    {
        auto fail = [this](const prism::Error &error) {
            traces.assign(programs.size(), prism::Result<prism::ExampleTrace>(error));
        };
        std::unique_ptr<prism::Metric> unscored;
        const auto adapter = prism::makeAdapter(study.eval.adapter);
        auto opened = models.open(study);
        if (!opened)
            return fail(opened.error());
        const prism::ModelSet &set = *opened.value();
        auto metric = prism::makeStudyMetric(study.metric, study.program, prism::studyJudge(study, set));
        if (!metric)
            return fail(metric.error());
        if (!scored)
            unscored = std::make_unique<UnscoredMetric>();
        prism::CallOptions call;
        call.temperature = set.taskConfig.temperature;
        call.maxTokens = set.taskConfig.maxTokens;
        call.role = "playground";
        for (const prism::Program &program : programs) {
            if (models.cancelled()) {
                traces.emplace_back(prism::Error::make(prism::ErrorKind::Cancelled, "cancelled before it ran"));
                continue;
            }
            const prism::Metric &m = unscored ? *unscored : *metric.value();
            traces.emplace_back(prism::traceExample(program, example, 0, *set.task, *adapter, m, call,
                                                    scored ? &study.metric : nullptr));
        }
        spent = spendFromLedger(models.ledgerByRole());
    }
};

PlaygroundPage::PlaygroundPage(StudyDocument *doc, QWidget *parent) : QWidget(parent), m_doc(doc)
{
    setObjectName(QStringLiteral("playgroundPage"));
    auto *layout = new QVBoxLayout(this);
    m_banner = new ErrorBanner(this);
    layout->addWidget(m_banner);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->setChildrenCollapsible(false);
    auto *top = new QWidget(split);
    auto *topLayout = new QHBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(buildForm(), 3);
    topLayout->addWidget(buildPickers(), 2);
    split->addWidget(top);
    auto *traces = new QSplitter(Qt::Horizontal, split);
    m_traceA = new TraceView(traces);
    m_traceA->setObjectName(QStringLiteral("playgroundTraceA"));
    m_traceA->setMessage(tr("Type an input, then Run: A's trace shows here."));
    m_traceB = new TraceView(traces);
    m_traceB->setObjectName(QStringLiteral("playgroundTraceB"));
    m_traceB->setMessage(tr("Choose a program B to run it beside A."));
    split->addWidget(traces);
    // The traces are what the page is for: they get most of the height.
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 3);
    top->setMaximumHeight(fontMetrics().height() * 16);
    layout->addWidget(split, 1);

    connect(m_doc, &StudyDocument::studyChanged, this, &PlaygroundPage::rebuildFields);
    connect(m_doc, &StudyDocument::documentReset, this, [this] {
        rebuildFields();
        refreshPrograms();
    });
    rebuildFields();
    refreshPrograms();
    setBusy(false);
}

PlaygroundPage::~PlaygroundPage()
{
    if (m_job)
        m_job->cancel();
    if (m_thread)
        m_thread->wait();
}

QWidget *PlaygroundPage::buildForm()
{
    auto *box = new QGroupBox(tr("Input"), this);
    auto *layout = new QVBoxLayout(box);
    auto *fill = new QHBoxLayout;
    m_fillSplit = new QComboBox(box);
    m_fillSplit->setObjectName(QStringLiteral("playgroundFillSplit"));
    for (Split s : allSplits)
        m_fillSplit->addItem(splitTitle(s), static_cast<int>(s));
    m_fillRow = new QSpinBox(box);
    m_fillRow->setObjectName(QStringLiteral("playgroundFillRow"));
    m_fillRow->setMinimum(1);
    auto *fillButton = new QPushButton(tr("&Fill from Row"), box);
    fillButton->setToolTip(tr("Copy a dataset row's input and expected values into the form"));
    connect(fillButton, &QPushButton::clicked, this,
            [this] { fillFromRow(static_cast<Split>(m_fillSplit->currentData().toInt()), m_fillRow->value() - 1); });
    fill->addWidget(new QLabel(tr("Row"), box));
    fill->addWidget(m_fillRow);
    fill->addWidget(new QLabel(tr("of"), box));
    fill->addWidget(m_fillSplit);
    fill->addWidget(fillButton);
    fill->addStretch(1);
    layout->addLayout(fill);
    m_inputs = new QFormLayout;
    layout->addLayout(m_inputs);
    auto *expectedTitle = new QLabel(tr("Expected (optional: with them the study's metric scores the answers)"), box);
    expectedTitle->setWordWrap(true);
    expectedTitle->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(expectedTitle);
    m_expected = new QFormLayout;
    layout->addLayout(m_expected);
    layout->addStretch(1);
    return box;
}

QWidget *PlaygroundPage::buildPickers()
{
    auto *box = new QGroupBox(tr("Programs"), this);
    auto *layout = new QVBoxLayout(box);
    auto *form = new QFormLayout;
    m_programA = new QComboBox(box);
    m_programA->setObjectName(QStringLiteral("playgroundProgramA"));
    m_programB = new QComboBox(box);
    m_programB->setObjectName(QStringLiteral("playgroundProgramB"));
    for (QComboBox *c : {m_programA, m_programB}) {
        c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        c->setMinimumContentsLength(20);
    }
    form->addRow(tr("A:"), m_programA);
    form->addRow(tr("B:"), m_programB);
    layout->addLayout(form);
    auto *buttons = new QHBoxLayout;
    m_run = new QPushButton(tr("&Run"), box);
    m_run->setObjectName(QStringLiteral("playgroundRun"));
    m_run->setToolTip(tr("Run A (and B) on the input with the study's task model; answers come from the response "
                         "cache when the same prompt was sent before"));
    m_cancel = new QPushButton(tr("Cancel"), box);
    connect(m_run, &QPushButton::clicked, this, [this] {
        QString error;
        if (!runPrograms(&error))
            m_banner->showMessage(error);
    });
    connect(m_cancel, &QPushButton::clicked, this, [this] {
        if (m_job)
            m_job->cancel();
    });
    buttons->addWidget(m_run);
    buttons->addWidget(m_cancel);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    m_status = new QLabel(box);
    m_status->setObjectName(QStringLiteral("playgroundStatus"));
    m_status->setWordWrap(true);
    layout->addWidget(m_status);
    auto *add = new QHBoxLayout;
    m_add = new QPushButton(tr("&Add as Example to"), box);
    m_add->setObjectName(QStringLiteral("playgroundAdd"));
    m_add->setToolTip(tr("Append the input with its expected values to a split (undoable)"));
    m_addSplit = new QComboBox(box);
    m_addSplit->setObjectName(QStringLiteral("playgroundAddSplit"));
    for (Split s : allSplits)
        m_addSplit->addItem(splitTitle(s), static_cast<int>(s));
    connect(m_add, &QPushButton::clicked, this, [this] {
        QString message;
        const bool added = addAsExample(static_cast<Split>(m_addSplit->currentData().toInt()), &message);
        m_banner->showMessage(message, added ? ErrorBanner::Kind::Info : ErrorBanner::Kind::Error);
    });
    add->addWidget(m_add);
    add->addWidget(m_addSplit);
    add->addStretch(1);
    layout->addLayout(add);
    layout->addStretch(1);
    return box;
}

void PlaygroundPage::setStore(std::shared_ptr<prism::RunStore> store)
{
    m_store = std::move(store);
    refreshPrograms();
}

void PlaygroundPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refreshPrograms();
}

void PlaygroundPage::rebuildFields()
{
    const prism::Study &study = m_doc->study();
    std::vector<prism::Field> inputs;
    std::vector<prism::Field> labels;
    const std::vector<std::string> external = study.program.externalInputs();
    for (const prism::Field &f : m_doc->dataFields())
        (std::find(external.begin(), external.end(), f.name) != external.end() ? inputs : labels).push_back(f);
    if (inputs == m_inputFields && labels == m_labelFields)
        return;
    // Keep what was typed for the fields that remain.
    std::map<QString, QString> typed;
    for (const auto &[name, editor] : m_editors)
        typed[name] = editorText(editor);
    for (QFormLayout *form : {m_inputs, m_expected})
        while (form->rowCount() > 0)
            form->removeRow(0);
    m_editors.clear();
    m_inputFields = std::move(inputs);
    m_labelFields = std::move(labels);
    for (const auto &[fields, form, optional] :
         {std::tuple{&m_inputFields, m_inputs, false}, std::tuple{&m_labelFields, m_expected, true}}) {
        for (const prism::Field &f : *fields) {
            QWidget *editor = makeEditor(f, optional, this);
            editor->setObjectName(QStringLiteral("playgroundField_") + toQ(f.name));
            editor->setToolTip(toQ(f.type.shortName()));
            form->addRow(toQ(f.name) + QLatin1Char(':'), editor);
            m_editors[toQ(f.name)] = editor;
            if (auto kept = typed.find(toQ(f.name)); kept != typed.end())
                setEditorText(editor, kept->second);
        }
    }
}

void PlaygroundPage::refreshPrograms()
{
    const prism::Program &studyProgram = m_doc->study().program;
    std::vector<std::pair<QString, QString>> runs; // label, spec
    if (m_store)
        if (auto listed = m_store->listRuns())
            for (const prism::RunRecord &r : listed.value())
                if (r.hasArtifact && m_runFits.fit(*m_store, toQ(r.id), studyProgram).fits)
                    runs.emplace_back(tr("Run %1 · %2").arg(toQ(r.id), toQ(r.optimizer)), kRunPrefix + toQ(r.id));
    for (QComboBox *combo : {m_programA, m_programB}) {
        const QString current = combo->currentData().toString();
        combo->clear();
        if (combo == m_programB)
            combo->addItem(tr("(none)"), kNone);
        combo->addItem(tr("The study's program"), kStudyProgram);
        for (const auto &[label, spec] : runs)
            combo->addItem(label, spec);
        const int keep = combo->findData(current);
        combo->setCurrentIndex(keep >= 0 ? keep : 0);
    }
}

std::optional<prism::Program> PlaygroundPage::programOf(QComboBox *combo, QString *error) const
{
    const QString spec = combo->currentData().toString();
    if (spec == kNone)
        return std::nullopt;
    if (spec == kStudyProgram || !m_store)
        return m_doc->study().program;
    auto program = loadRunProgram(*m_store, spec.mid(kRunPrefix.size()), m_doc->study().program);
    if (!program) {
        *error = toQ(program.error().message);
        return std::nullopt;
    }
    return program.value();
}

prism::Result<prism::Example> PlaygroundPage::typedExample() const
{
    prism::Example example;
    for (const prism::Field &f : m_inputFields)
        example.inputKeys.push_back(f.name);
    // Once any expected value is given, an empty list means "none" (a row
    // with no policy violations), not "not given".
    bool anyExpected = false;
    for (const prism::Field &f : m_labelFields)
        anyExpected = anyExpected || !editorText(m_editors.at(toQ(f.name))).trimmed().isEmpty();
    for (const auto &[fields, required] : {std::pair{&m_inputFields, true}, std::pair{&m_labelFields, false}}) {
        for (const prism::Field &f : *fields) {
            const QString text = editorText(m_editors.at(toQ(f.name)));
            if (text.trimmed().isEmpty()) {
                if (required)
                    return prism::Error::make(prism::ErrorKind::Data, "the input '" + f.name + "' is empty");
                if (anyExpected && f.type.kind() == prism::TypeKind::List)
                    example.values.set(f.name, prism::Value(prism::Value::List{}));
                continue;
            }
            auto value = valueFromText(text, f);
            if (!value)
                return prism::Error::make(value.error().kind, f.name + ": " + value.error().message);
            if (!value->isNull())
                example.values.set(f.name, value.value());
        }
    }
    return example;
}

void PlaygroundPage::setFieldText(const QString &field, const QString &text)
{
    if (auto it = m_editors.find(field); it != m_editors.end())
        setEditorText(it->second, text);
}

QString PlaygroundPage::fieldText(const QString &field) const
{
    auto it = m_editors.find(field);
    return it == m_editors.end() ? QString() : editorText(it->second);
}

void PlaygroundPage::fillFromRow(Split split, int row)
{
    const auto &rows = m_doc->examples(split);
    if (row < 0 || row >= static_cast<int>(rows.size())) {
        m_banner->showMessage(tr("The %1 split has no row %2.").arg(splitTitle(split)).arg(row + 1));
        return;
    }
    // The row chooser shows where the values came from.
    m_fillSplit->setCurrentIndex(m_fillSplit->findData(static_cast<int>(split)));
    m_fillRow->setMaximum(static_cast<int>(rows.size()));
    m_fillRow->setValue(row + 1);
    for (const auto &[name, editor] : m_editors) {
        const prism::Value *value = rows[static_cast<std::size_t>(row)].values.find(toStd(name));
        setEditorText(editor, value ? valueToText(*value) : QString());
    }
    m_banner->clear();
}

bool PlaygroundPage::runPrograms(QString *error)
{
    if (m_thread)
        return false;
    auto example = typedExample();
    if (!example) {
        if (error)
            *error = toQ(example.error().message);
        return false;
    }
    auto job = std::make_shared<PlaygroundJob>();
    job->study = m_doc->study();
    job->example = example.value();
    bool anyLabel = false;
    for (const prism::Field &f : m_labelFields)
        anyLabel = anyLabel || example->values.contains(f.name);
    job->scored = anyLabel;
    for (QComboBox *combo : {m_programA, m_programB}) {
        QString problem;
        auto program = programOf(combo, &problem);
        if (!problem.isEmpty()) {
            if (error)
                *error = problem;
            return false;
        }
        if (program)
            job->programs.push_back(std::move(*program));
    }
    m_job = job;
    m_traceA->setMessage(tr("Running A…"));
    m_traceB->setMessage(job->programs.size() > 1 ? tr("Waiting for A…") : tr("No program B chosen."));
    m_thread = QThread::create([job] { job->run(); });
    connect(m_thread, &QThread::finished, this, [this, job] { finishRun(job); });
    connect(m_thread, &QThread::finished, m_thread, &QObject::deleteLater);
    m_thread->start();
    setBusy(true);
    m_banner->clear();
    return true;
}

void PlaygroundPage::finishRun(const std::shared_ptr<PlaygroundJob> &job)
{
    m_thread = nullptr;
    if (m_job == job)
        m_job.reset();
    setBusy(false);
    emit spent(job->spent);
    bool ok = !job->traces.empty();
    for (std::size_t i = 0; i < job->traces.size() && i < 2; ++i) {
        TraceView *view = i == 0 ? m_traceA : m_traceB;
        if (job->traces[i])
            view->setTrace(job->traces[i].value());
        else
            view->setMessage(toQ(job->traces[i].error().message), true);
        ok = ok && job->traces[i].ok();
    }
    m_status->setText(job->scored ? tr("Scored against the expected values with the study's metric.")
                                  : tr("Not scored: type expected values to score the answers."));
    emit runFinished(ok);
}

bool PlaygroundPage::addAsExample(Split split, QString *message)
{
    // Expected values left empty come from A's answer, for the user to check.
    QStringList filled;
    const auto &traceA = m_traceA->trace();
    for (const prism::Field &f : m_labelFields) {
        const QString name = toQ(f.name);
        if (!fieldText(name).trimmed().isEmpty() || !traceA)
            continue;
        const prism::Value *answer = traceA->result.prediction.values.find(f.name);
        if (answer && answer->isList() && answer->asList().empty())
            continue; // an empty list reads as "none" already
        if (answer) {
            setFieldText(name, valueToText(*answer));
            filled << name;
        }
    }
    if (!filled.isEmpty()) {
        if (message)
            *message =
                tr("Filled %1 from A's answer: check them, then Add again.").arg(filled.join(QStringLiteral(", ")));
        return false;
    }
    auto example = typedExample();
    if (!example) {
        if (message)
            *message = toQ(example.error().message);
        return false;
    }
    for (const prism::Field &f : m_labelFields)
        if (!example->values.contains(f.name)) {
            if (message)
                *message =
                    tr("Give an expected value for %1 first (run A to have its answer filled in).").arg(toQ(f.name));
            return false;
        }
    const int row = m_doc->rowCount(split);
    m_doc->insertRows(split, row, {example.value()}, tr("Add Example from Playground"));
    if (message)
        *message = tr("Added as row %1 of the %2 split.").arg(row + 1).arg(splitTitle(split));
    return true;
}

void PlaygroundPage::setBusy(bool busy)
{
    m_run->setEnabled(!busy);
    m_cancel->setVisible(busy);
    m_programA->setEnabled(!busy);
    m_programB->setEnabled(!busy);
    if (busy)
        m_status->setText(tr("Running on the task model…"));
}
