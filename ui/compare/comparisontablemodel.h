#pragma once

// The per-example table of a comparison: inputs, expected, both predictions,
// both scores and what the metric said was wrong with each, one row per example, coloured by what changed; and the
// "changed only" filter over it.
#include "compare/comparisonjob.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>

#include <optional>

class ComparisonTableModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ComparisonTableModel)

public:
    enum Column {
        IndexColumn,
        InputsColumn,
        ExpectedColumn,
        PredictionAColumn,
        PredictionBColumn,
        ScoreAColumn,
        ScoreBColumn,
        FeedbackAColumn,
        FeedbackBColumn,
        ColumnCount,
    };
    // What happened to an example between A and B.
    enum class Change {
        Same,
        Improved,  // A wrong, B correct (a flip)
        Regressed, // A correct, B wrong (a flip)
        Higher,    // a partial score went up
        Lower,     // a partial score went down
        Errored,   // an error on one side or both
    };
    static constexpr int ChangeRole = Qt::UserRole + 1;

    explicit ComparisonTableModel(QObject *parent = nullptr);

    void setOutcome(const ComparisonOutcome &outcome);
    void clear();
    Change change(int row) const;
    int exampleIndex(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Row {
        int index = 0;
        QString inputs;
        QString expected;
        QString predictionA;
        QString predictionB;
        std::optional<double> scoreA;
        std::optional<double> scoreB;
        QString feedbackA;
        QString feedbackB;
        Change change = Change::Same;
    };
    std::vector<Row> m_rows;
};

// Hides the rows whose outcome did not change when changedOnly is on.
class ChangedRowsFilter final : public QSortFilterProxyModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ChangedRowsFilter)

public:
    explicit ChangedRowsFilter(QObject *parent = nullptr);
    void setChangedOnly(bool on);
    bool changedOnly() const { return m_changedOnly; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    bool m_changedOnly = false;
};
