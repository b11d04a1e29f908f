#pragma once

#include <QStringList>
#include <QWidget>

#include <memory>

class ErrorBanner;
class QHBoxLayout;
class QLabel;
class QPushButton;
class QSplitter;
class QStandardItemModel;
class QTableView;
class QTextBrowser;

namespace prism {
class RunStore;
}

// History page: the runs of the run store, newest first (id, created, study,
// optimizer, seed, status, stop reason, baseline and best validation scores,
// sessions), the details of the selected run (settings, summary, calls by
// role), and what to do with runs: open one in the monitor, compare one with
// the baseline or two with each other, export a run's program. The page only
// reads the store; the main window acts on its signals.
class HistoryPage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HistoryPage)

public:
    enum Column {
        IdColumn,
        CreatedColumn,
        StudyColumn,
        OptimizerColumn,
        SeedColumn,
        StatusColumn,
        StopReasonColumn,
        BaselineColumn,
        BestColumn,
        SessionsColumn,
        ColumnCount,
    };

    explicit HistoryPage(QWidget *parent = nullptr);
    ~HistoryPage() override;

    void setStore(std::shared_ptr<prism::RunStore> store);
    // Where the runs are, as the header names it; empty = the store's path.
    // A team server's mirror is named by the server's address.
    void setSourceName(const QString &name) { m_sourceName = name; }
    // Re-reads the run list; the selection is kept where the runs still exist.
    void refresh();

    // The run ids in table order, and the selected ones in table order.
    QStringList runIds() const;
    QStringList selectedRunIds() const;
    void selectRuns(const QStringList &ids);

    // Writes the run's DSPy artifact to path; false with *error on failure
    // (also shown on the page). What the Export Program button does after its dialog.
    bool exportProgram(const QString &runId, const QString &path, QString *error = nullptr);

    QTableView *table() const { return m_table; }
    QTextBrowser *details() const { return m_details; }
    QPushButton *openButton() const { return m_open; }
    QPushButton *compareBaselineButton() const { return m_compareBaseline; }
    QPushButton *compareRunsButton() const { return m_compareRuns; }
    QPushButton *exportButton() const { return m_export; }
    ErrorBanner *banner() const { return m_banner; }

signals:
    void openRunRequested(const QString &runId);
    void compareRunsRequested(const QString &runA, const QString &runB);
    void compareWithBaselineRequested(const QString &runId);
    // A program export succeeded (MainWindow::showExported says where).
    void exported(bool ok, const QString &pathOrError);

protected:
    void showEvent(QShowEvent *event) override;

private:
    // The runs table above the selected run's details.
    QSplitter *buildRunsSplitter();
    // Open, compare and export buttons for the selected runs.
    QHBoxLayout *buildActions();
    void connectSignals();

    void onSelectionChanged();
    void showDetails(const QString &runId);
    void chooseExportPath();
    bool hasArtifact(const QString &runId) const;

    std::shared_ptr<prism::RunStore> m_store;
    ErrorBanner *m_banner = nullptr;
    QLabel *m_storeLabel = nullptr;
    QStandardItemModel *m_model = nullptr;
    QTableView *m_table = nullptr;
    QString m_sourceName;
    QTextBrowser *m_details = nullptr;
    QPushButton *m_refresh = nullptr;
    QPushButton *m_open = nullptr;
    QPushButton *m_compareBaseline = nullptr;
    QPushButton *m_compareRuns = nullptr;
    QPushButton *m_export = nullptr;
};
