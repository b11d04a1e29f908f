#pragma once

#include "run/example_trace.h"

#include <QString>
#include <QWidget>

#include <optional>

class QLabel;
class QTabWidget;

// What the model did on one example: a summary line (score, calls, cache
// hits, tokens, latency, error), then one tab per stage with the messages
// sent in full (monospace, by role), the raw completion of each call, the
// reasoning of a ChainOfThought stage, and the parsed fields against the
// expected values with each field's score and feedback.
class TraceView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TraceView)

public:
    explicit TraceView(QWidget *parent = nullptr);

    void setTrace(const prism::ExampleTrace &trace);
    // A state with no trace: "Tracing…", or why there is none.
    void setMessage(const QString &text, bool isError = false);
    const std::optional<prism::ExampleTrace> &trace() const { return m_trace; }
    // The trace as pretty-printed JSON; empty when there is none.
    QString json() const;

    QLabel *summaryLabel() const { return m_summary; }
    QTabWidget *stageTabs() const { return m_tabs; }

    // The messages of a call as shown: "── system ──" then the text, per message.
    static QString messagesText(const prism::TracedCall &call);

private:
    QWidget *buildStageTab(const prism::TracedStage &stage);
    QString summaryText() const;

    std::optional<prism::ExampleTrace> m_trace;
    QLabel *m_summary = nullptr;
    QLabel *m_error = nullptr;
    QTabWidget *m_tabs = nullptr;
};
