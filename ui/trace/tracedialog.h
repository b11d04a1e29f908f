#pragma once

#include "core/result.h"
#include "run/example_trace.h"

#include <QDialog>
#include <QPointer>
#include <QThread>

#include <functional>
#include <memory>

class QLabel;
class QPushButton;
class TraceView;

// A non-modal window with one example's trace (TraceView), "Copy as JSON"
// and Close. It can show a trace made already, or make one on a background
// thread (start) and show "Tracing…" meanwhile; closing it cancels that work.
class TraceDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TraceDialog)

public:
    using Job = std::function<prism::Result<prism::ExampleTrace>()>;

    explicit TraceDialog(const QString &title, QWidget *parent = nullptr);
    ~TraceDialog() override;

    // A new dialog deleted on close, shown beside parent's window.
    static TraceDialog *open(QWidget *parent, const QString &title);

    void showTrace(const prism::ExampleTrace &trace);
    // Runs job on a thread; cancel (optional) is called when the dialog closes first.
    void start(Job job, std::function<void()> cancel = {});
    bool isRunning() const;
    // A line under the trace: where it came from (the run's journal, a new run...).
    void setNote(const QString &text);

    TraceView *view() const { return m_view; }
    QPushButton *copyButton() const { return m_copy; }
    QLabel *noteLabel() const { return m_note; }

signals:
    // The trace (or the reason there is none) is on screen.
    void traceReady();

private:
    void finishJob(const std::shared_ptr<prism::Result<prism::ExampleTrace>> &result);

    TraceView *m_view = nullptr;
    QLabel *m_note = nullptr;
    QPushButton *m_copy = nullptr;
    QPointer<QThread> m_thread;
    std::function<void()> m_cancel;
};
