#include "trace/traceview.h"

#include "qtconvert.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTabBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

namespace {

const QColor kErrorColor(0xb3, 0x26, 0x1e);

QPlainTextEdit *monoText(const QString &objectName, QWidget *parent)
{
    auto *edit = new QPlainTextEdit(parent);
    edit->setObjectName(objectName);
    edit->setReadOnly(true);
    edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    edit->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    return edit;
}

// A titled box: a bold caption over the widget.
QWidget *titled(const QString &title, QWidget *content, QWidget *parent)
{
    auto *box = new QWidget(parent);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    auto *label = new QLabel(QStringLiteral("<b>%1</b>").arg(title.toHtmlEscaped()), box);
    layout->addWidget(label);
    content->setParent(box);
    layout->addWidget(content, 1);
    return box;
}

// An empty list or a missing value says so instead of showing a blank cell.
QString shownValue(const prism::Value &value)
{
    if (value.isNull())
        return QObject::tr("(nothing)");
    if (value.isList() && value.asList().empty())
        return QObject::tr("(none)");
    return valueToText(value);
}

QString tokensText(const prism::TokenUsage &usage)
{
    if (!usage.promptTokens && !usage.completionTokens)
        return QObject::tr("tokens unknown");
    const long long in = usage.promptTokens.value_or(0);
    const long long out = usage.completionTokens.value_or(0);
    return QObject::tr("%1 tokens (%2 in, %3 out)").arg(in + out).arg(in).arg(out);
}

QString callText(const prism::TracedCall &call)
{
    QStringList parts;
    parts << tokensText(call.usage) << QObject::tr("%1 ms").arg(call.latencyMs, 0, 'f', 0);
    if (call.cacheHit)
        parts << QObject::tr("cache hit (no new call)");
    if (call.jsonFallback)
        parts << QObject::tr("JSONAdapter retry after a parse failure");
    return parts.join(QStringLiteral(" · "));
}

const prism::FieldScore *findScore(const prism::ExampleTrace &trace, const std::string &field)
{
    for (const auto &f : trace.fieldScores)
        if (f.field == field)
            return &f;
    return nullptr;
}

// Parsed outputs against the example's labels, with the metric's verdict per field.
QTableWidget *fieldsTable(const prism::ExampleTrace &trace, const prism::TracedStage &stage, QWidget *parent)
{
    auto *table = new QTableWidget(0, 5, parent);
    table->setObjectName(QStringLiteral("fieldsTable"));
    table->setHorizontalHeaderLabels({QObject::tr("Field"), QObject::tr("Parsed"), QObject::tr("Expected"),
                                      QObject::tr("Score"), QObject::tr("Feedback")});
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->verticalHeader()->hide();
    table->setWordWrap(true);
    table->horizontalHeader()->setStretchLastSection(true);
    const int ch = table->fontMetrics().averageCharWidth();
    table->setColumnWidth(0, ch * 16);
    table->setColumnWidth(1, ch * 14);
    table->setColumnWidth(2, ch * 14);
    table->horizontalHeader()->setSectionResizeMode(3, QHeaderView::ResizeToContents);
    for (const auto &[name, value] : stage.outputs) {
        if (name == "reasoning" && stage.kind == prism::PredictorKind::ChainOfThought)
            continue; // shown in full above
        const int row = table->rowCount();
        table->insertRow(row);
        const prism::Value *expected = trace.labels.find(name);
        const prism::FieldScore *score = findScore(trace, name);
        const QString parsed = shownValue(value);
        const QString want = expected ? shownValue(*expected) : QStringLiteral("—");
        const QStringList cells = {toQ(name), parsed, want,
                                   score ? QString::number(score->score, 'f', 2) : QStringLiteral("—"),
                                   score ? toQ(score->feedback) : QString()};
        for (int c = 0; c < cells.size(); ++c) {
            auto *item = new QTableWidgetItem(cells[c]);
            item->setToolTip(cells[c]);
            if (c == 3 && score && score->score < 1.0)
                item->setForeground(kErrorColor);
            table->setItem(row, c, item);
        }
    }
    table->resizeRowsToContents();
    return table;
}

} // namespace

TraceView::TraceView(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("traceSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("traceError"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(QStringLiteral("color: #b3261e;"));
    m_error->hide();
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("traceStages"));
    m_tabs->setDocumentMode(true);
    layout->addWidget(m_summary);
    layout->addWidget(m_error);
    layout->addWidget(m_tabs, 1);
}

QString TraceView::messagesText(const prism::TracedCall &call)
{
    QString text;
    for (const auto &m : call.messages) {
        if (!text.isEmpty())
            text += QStringLiteral("\n\n");
        text += QStringLiteral("── %1 ──\n").arg(toQ(m.role)) + toQ(m.content);
    }
    return text;
}

void TraceView::setMessage(const QString &text, bool isError)
{
    m_trace.reset();
    while (m_tabs->count() > 0) {
        QWidget *w = m_tabs->widget(0);
        m_tabs->removeTab(0);
        w->deleteLater();
    }
    m_summary->setText(isError ? QString() : text);
    m_error->setText(isError ? text : QString());
    m_error->setVisible(isError);
}

void TraceView::setTrace(const prism::ExampleTrace &trace)
{
    setMessage(QString());
    m_trace = trace;
    m_summary->setText(summaryText());
    if (trace.result.error) {
        m_error->setText(tr("Error: %1").arg(toQ(trace.result.error->message)));
        m_error->show();
    }
    for (const auto &stage : trace.stages) {
        QString label = toQ(stage.predictor);
        if (stage.kind == prism::PredictorKind::ChainOfThought)
            label += tr(" (ChainOfThought)");
        const bool wrong = trace.stages.size() > 1 && stage.predictor == trace.firstWrongStage;
        if (wrong)
            label = tr("✗ %1").arg(label);
        const int tab = m_tabs->addTab(buildStageTab(stage), label);
        if (wrong) {
            m_tabs->tabBar()->setTabTextColor(tab, kErrorColor);
            m_tabs->setTabToolTip(tab, tr("The first stage that went wrong"));
            // The stage to look at first.
            m_tabs->setCurrentIndex(tab);
        }
    }
    if (trace.stages.empty())
        m_tabs->addTab(new QLabel(tr("No stage ran: the program stopped before its first call."), m_tabs),
                       tr("No stages"));
}

QString TraceView::summaryText() const
{
    const prism::ExampleTrace &t = *m_trace;
    QStringList parts;
    parts << (t.result.score ? tr("<b>Score %1</b>").arg(*t.result.score, 0, 'f', 2)
                             : tr("<b style='color:#b3261e'>Not scored</b>"));
    parts << (t.calls() == 1 ? tr("1 call") : tr("%1 calls").arg(t.calls()));
    const int hits = t.cacheHits();
    if (t.calls() > 0)
        parts << (hits == t.calls() ? tr("all from cache")
                  : hits == 0       ? tr("no cache hit")
                                    : tr("%1 from cache").arg(hits));
    parts << tokensText(t.usage()) << tr("%1 ms").arg(t.latencyMs(), 0, 'f', 0);
    QString html = parts.join(QStringLiteral(" · "));
    QStringList inputs;
    for (const auto &[name, value] : t.inputs)
        inputs << QStringLiteral("<b>%1</b>: %2").arg(toQ(name).toHtmlEscaped(), valueToText(value).toHtmlEscaped());
    if (!inputs.isEmpty())
        html += QStringLiteral("<br>") + inputs.join(QStringLiteral(" · "));
    if (!t.result.feedback.empty())
        html += QStringLiteral("<br>") + tr("Feedback: %1").arg(toQ(t.result.feedback).toHtmlEscaped());
    if (t.stages.size() > 1 && !t.firstWrongStage.empty())
        html += QStringLiteral("<br>")
                + (t.judgedAgainstPassing
                       ? tr("First stage that went wrong: <b>%1</b> (its output differs from the label or from a "
                            "passing run of this example)")
                       : tr("First stage that went wrong: <b>%1</b> (its output differs from the label, or it "
                            "failed)"))
                      .arg(toQ(t.firstWrongStage).toHtmlEscaped());
    return html;
}

QWidget *TraceView::buildStageTab(const prism::TracedStage &stage)
{
    auto *tab = new QWidget(m_tabs);
    auto *layout = new QVBoxLayout(tab);
    layout->setContentsMargins(4, 4, 4, 4);

    auto *callBar = new QHBoxLayout;
    auto *callPicker = new QComboBox(tab);
    callPicker->setObjectName(QStringLiteral("callPicker"));
    for (std::size_t i = 0; i < stage.calls.size(); ++i)
        callPicker->addItem(tr("Call %1 of %2").arg(i + 1).arg(stage.calls.size()));
    callPicker->setVisible(stage.calls.size() > 1);
    auto *callInfo = new QLabel(tab);
    callInfo->setObjectName(QStringLiteral("callInfo"));
    callInfo->setWordWrap(true);
    callBar->addWidget(callPicker);
    callBar->addWidget(callInfo, 1);
    layout->addLayout(callBar);

    auto *split = new QSplitter(Qt::Horizontal, tab);
    split->setChildrenCollapsible(false);
    auto *messages = monoText(QStringLiteral("messagesView"), split);
    split->addWidget(titled(tr("Messages sent"), messages, split));
    auto *right = new QSplitter(Qt::Vertical, split);
    right->setChildrenCollapsible(false);
    auto *completion = monoText(QStringLiteral("completionView"), right);
    right->addWidget(titled(tr("Raw completion"), completion, right));
    if (stage.kind == prism::PredictorKind::ChainOfThought) {
        auto *reasoning = new QPlainTextEdit(toQ(stage.reasoning), right);
        reasoning->setObjectName(QStringLiteral("reasoningView"));
        reasoning->setReadOnly(true);
        right->addWidget(titled(tr("Reasoning"), reasoning, right));
    }
    right->addWidget(titled(tr("Parsed fields"), fieldsTable(*m_trace, stage, right), right));
    split->addWidget(right);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    // The completion and the scored fields matter most; the reasoning is often one paragraph.
    right->setSizes(stage.kind == prism::PredictorKind::ChainOfThought ? QList<int>{3, 2, 3} : QList<int>{1, 1});
    layout->addWidget(split, 1);

    if (stage.error) {
        auto *error = new QLabel(tr("Error: %1").arg(toQ(stage.error->message)), tab);
        error->setObjectName(QStringLiteral("stageError"));
        error->setWordWrap(true);
        error->setTextInteractionFlags(Qt::TextSelectableByMouse);
        error->setStyleSheet(QStringLiteral("color: #b3261e;"));
        layout->addWidget(error);
    }

    const std::vector<prism::TracedCall> calls = stage.calls;
    auto showCall = [calls, messages, completion, callInfo](int i) {
        if (i < 0 || i >= static_cast<int>(calls.size())) {
            callInfo->setText(tr("No call was made for this stage."));
            return;
        }
        const prism::TracedCall &call = calls[static_cast<std::size_t>(i)];
        messages->setPlainText(messagesText(call));
        completion->setPlainText(call.error ? tr("(no completion: %1)").arg(toQ(call.error->message))
                                            : toQ(call.completion));
        callInfo->setText(callText(call));
    };
    connect(callPicker, &QComboBox::currentIndexChanged, tab, showCall);
    // The last call is the one whose answer the stage kept.
    callPicker->setCurrentIndex(static_cast<int>(calls.size()) - 1);
    showCall(static_cast<int>(calls.size()) - 1);
    return tab;
}

QString TraceView::json() const
{
    return m_trace ? toQ(prism::traceToJsonText(*m_trace)) : QString();
}
