#pragma once

// Grid page (issue 14): several programs (the study's, any run's, any
// configuration a run evaluated) against every example of a split: one column
// of scores per program, coloured, the prediction in each cell's tooltip;
// filters for failures, differences and errors; a double-click traces a cell.
#include "compare/candidateprogram.h"
#include "compare/runfit.h"
#include "engine/spendtracker.h"
#include "studydocument.h"

#include "core/program.h"
#include "eval/evaluator.h"

#include <QPointer>
#include <QThread>
#include <QWidget>

#include <memory>
#include <vector>

class ErrorBanner;
class QComboBox;
class QLabel;
class QListWidget;
class QPushButton;
class QTableWidget;
struct GridJob;

namespace prism {
class RunStore;
}

class GridPage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GridPage)

public:
    enum class Filter { All, Failures, Differences, Errors };

    explicit GridPage(StudyDocument *doc, QWidget *parent = nullptr);
    ~GridPage() override; // cancels and waits for an evaluation under way

    void setStore(std::shared_ptr<prism::RunStore> store);
    // Lists the study's program, the runs that fit the study and their evaluated configurations.
    void refreshPrograms();
    // Evaluates the checked programs on the split; false with *error when
    // nothing is checked or a program cannot be built.
    bool evaluate(QString *error = nullptr);
    bool isBusy() const { return m_thread != nullptr; }
    void setFilter(Filter filter);
    // Rows not hidden by the filter.
    int visibleRows() const;
    // The reports of the last evaluation, one per column, in column order.
    const std::vector<std::shared_ptr<const prism::EvalReport>> &reports() const { return m_reports; }

    QListWidget *programList() const { return m_programs; }
    QComboBox *splitCombo() const { return m_split; }
    QTableWidget *table() const { return m_table; }
    ErrorBanner *banner() const { return m_banner; }

signals:
    void evaluationFinished(bool ok);
    void spent(const SpendByRole &calls);

protected:
    void showEvent(QShowEvent *event) override;

private:
    QWidget *buildControls();
    void finish(const std::shared_ptr<GridJob> &job);
    void fillTable(const GridJob &job);
    void traceCell(int row, int column);
    void setBusy(bool busy);

    StudyDocument *m_doc;
    std::shared_ptr<prism::RunStore> m_store;
    ErrorBanner *m_banner = nullptr;
    QListWidget *m_programs = nullptr;
    QComboBox *m_split = nullptr;
    QComboBox *m_filter = nullptr;
    QPushButton *m_evaluate = nullptr;
    QPushButton *m_cancel = nullptr;
    QLabel *m_status = nullptr;
    QTableWidget *m_table = nullptr;
    QPointer<QThread> m_thread;
    std::shared_ptr<GridJob> m_job;
    // What the table shows: the programs and examples it was evaluated on.
    std::vector<prism::Program> m_shownPrograms;
    std::vector<prism::Example> m_shownExamples;
    std::vector<std::shared_ptr<const prism::EvalReport>> m_reports;
    std::vector<RunCandidate> m_candidates; // item data "candidate:<n>" indexes this
    QString m_newestRunSeen;                // the newest fitting run at the last refresh
    RunFitCache m_runFits;
    struct RowFlags {
        bool failure = false; // a score below 1 or an error in some column
        bool error = false;
        bool differs = false; // the columns do not all agree
    };
    std::vector<RowFlags> m_rowFlags; // one per table row, from the reports
};
