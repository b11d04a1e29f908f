#pragma once

#include "run/run_state.h"

#include <QAbstractTableModel>

// Table models over a RunState, read on demand (nothing copied). After the
// state folds a batch, sync() inserts only the new rows (beginInsertRows) and
// reports changed statistics with dataChanged; reset() is for a new run.
class RunTableModel : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunTableModel)

public:
    explicit RunTableModel(const prism::RunState *state, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    // Rows the state holds now but the model has not announced yet are inserted.
    void sync();
    void reset();

protected:
    virtual std::size_t stateRows() const = 0;

    const prism::RunState *m_state;
    int m_rows = 0;
};

class TrialTableModel final : public RunTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrialTableModel)

public:
    enum Column {
        TrialColumn,
        KindColumn,
        ConfigColumn,
        ScoreColumn,
        ExamplesColumn,
        ErrorsColumn,
        NewCallsColumn,
        MemoHitsColumn,
        ResultColumn,
        ColumnCount
    };
    using RunTableModel::RunTableModel;

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // "classify: instr 2 · demos 3" (one predictor per line when several).
    static QString configText(const prism::RunState::Trial &trial);

protected:
    std::size_t stateRows() const override { return m_state->trials().size(); }
};

class CandidateTableModel final : public RunTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CandidateTableModel)

public:
    enum Column {
        PredictorColumn,
        IndexColumn,
        InstructionColumn,
        TriedColumn,
        MeanColumn,
        ProposedColumn,
        TipColumn,
        ColumnCount
    };
    using RunTableModel::RunTableModel;

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    // Times tried and mean scores moved (a trial finished).
    void statsChanged();

protected:
    std::size_t stateRows() const override { return m_state->candidates().size(); }
};

class DemoSetTableModel final : public RunTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DemoSetTableModel)

public:
    enum Column { PredictorColumn, IndexColumn, KindColumn, DemosColumn, TriedColumn, MeanColumn, ColumnCount };
    using RunTableModel::RunTableModel;

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    void statsChanged();

protected:
    std::size_t stateRows() const override { return m_state->demoSets().size(); }
};

// GEPA's iterations: one row per candidate_proposed event.
class ProposalTableModel final : public RunTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProposalTableModel)

public:
    enum Column {
        IterationColumn,
        KindColumn,
        ParentsColumn,
        ResultColumn,
        MinibatchColumn,
        MetricCallsColumn,
        VerdictColumn,
        ColumnCount
    };
    using RunTableModel::RunTableModel;

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // "#2" or "#2 + #5" (a merge's two parents).
    static QString parentsText(const std::vector<int> &parents);
    // The sum of the scored examples of a minibatch; empty when none was scored.
    static std::optional<double> scoreSum(const std::vector<std::optional<double>> &scores);

protected:
    std::size_t stateRows() const override { return m_state->proposals().size(); }
};
