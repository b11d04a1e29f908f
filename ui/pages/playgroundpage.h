#pragma once

// Playground page (issue 14): type or pick one input, run the study's program
// (and, beside it, a run's program) on the task model, and see each trace:
// the messages sent, the raw completion, the parsed fields, the reasoning.
// With expected values the study's metric scores the answers; "Add as
// Example" keeps the input (with its expected values) as a row of a split.
#include "compare/runfit.h"
#include "engine/spendtracker.h"
#include "studydocument.h"

#include "core/example.h"
#include "core/program.h"

#include <QPointer>
#include <QString>
#include <QThread>
#include <QWidget>

#include <map>
#include <memory>
#include <optional>
#include <vector>

class ErrorBanner;
struct PlaygroundJob;
class QComboBox;
class QFormLayout;
class QLabel;
class QPushButton;
class QSpinBox;
class TraceView;

namespace prism {
class RunStore;
struct ExampleTrace;
} // namespace prism

class PlaygroundPage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PlaygroundPage)

public:
    explicit PlaygroundPage(StudyDocument *doc, QWidget *parent = nullptr);
    ~PlaygroundPage() override; // cancels and waits for a run under way

    // Runs of the store whose program fits the study are offered as programs.
    void setStore(std::shared_ptr<prism::RunStore> store);

    // The input and expected values typed so far; an error names the field
    // whose text is not a value of its type.
    prism::Result<prism::Example> typedExample() const;
    void setFieldText(const QString &field, const QString &text);
    QString fieldText(const QString &field) const;
    // Copies the fields of a dataset row into the form.
    void fillFromRow(Split split, int row);
    // Runs A (and B when chosen) on the task model; false with *error when the form is not valid.
    bool runPrograms(QString *error = nullptr);
    bool isRunning() const { return m_thread != nullptr; }
    // Appends the input and its expected values to the split (one undoable
    // edit); an expected value left empty is filled from A's answer first
    // and the user asked to check it.
    bool addAsExample(Split split, QString *message = nullptr);

    QComboBox *programCombo(int side) const { return side == 0 ? m_programA : m_programB; }
    TraceView *traceView(int side) const { return side == 0 ? m_traceA : m_traceB; }
    QPushButton *runButton() const { return m_run; }
    QPushButton *addButton() const { return m_add; }
    ErrorBanner *banner() const { return m_banner; }

signals:
    // Both traces are on screen (or the reason there are none).
    void runFinished(bool ok);
    // The model calls a run made, by role (the status bar's session spend).
    void spent(const SpendByRole &calls);

protected:
    void showEvent(QShowEvent *event) override;

private:
    QWidget *buildForm();
    QWidget *buildPickers();
    void rebuildFields();
    void refreshPrograms();
    std::optional<prism::Program> programOf(QComboBox *combo, QString *error) const;
    void finishRun(const std::shared_ptr<PlaygroundJob> &job);
    void setBusy(bool busy);

    StudyDocument *m_doc;
    std::shared_ptr<prism::RunStore> m_store;
    ErrorBanner *m_banner = nullptr;
    QFormLayout *m_inputs = nullptr;
    QFormLayout *m_expected = nullptr;
    std::map<QString, QWidget *> m_editors; // field name -> its editor
    std::vector<prism::Field> m_inputFields;
    std::vector<prism::Field> m_labelFields;
    QComboBox *m_fillSplit = nullptr;
    QSpinBox *m_fillRow = nullptr;
    QComboBox *m_programA = nullptr;
    QComboBox *m_programB = nullptr;
    QPushButton *m_run = nullptr;
    QPushButton *m_cancel = nullptr;
    QComboBox *m_addSplit = nullptr;
    QPushButton *m_add = nullptr;
    QLabel *m_status = nullptr;
    TraceView *m_traceA = nullptr;
    TraceView *m_traceB = nullptr;
    QPointer<QThread> m_thread;
    std::shared_ptr<PlaygroundJob> m_job;
    RunFitCache m_runFits; // which runs are offered as programs
};
