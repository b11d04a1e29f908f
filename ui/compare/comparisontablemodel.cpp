#include "compare/comparisontablemodel.h"

#include <QColor>

#include <cmath>
#include <map>

namespace {

// Same threshold as compareReports: at or above it an answer counts as correct.
constexpr double kCorrect = 0.999;

QString scoreText(const std::optional<double> &score, const prism::ExampleResult *result)
{
    if (result && result->error)
        return QObject::tr("error");
    if (!score)
        return QStringLiteral("—");
    return QString::number(*score, 'f', 2);
}

// The metric's feedback on one side; an error says it was not scored.
QString feedbackText(const prism::ExampleResult *result)
{
    if (!result || result->error)
        return {};
    return QString::fromStdString(result->feedback);
}

} // namespace

ComparisonTableModel::ComparisonTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void ComparisonTableModel::clear()
{
    beginResetModel();
    m_rows.clear();
    endResetModel();
}

void ComparisonTableModel::setOutcome(const ComparisonOutcome &outcome)
{
    // Pair the two reports by dataset index: an example may have run on one side only.
    std::map<std::size_t, std::pair<const prism::ExampleResult *, const prism::ExampleResult *>> byIndex;
    for (const auto &r : outcome.reportA->results)
        byIndex[r.index].first = &r;
    for (const auto &r : outcome.reportB->results)
        byIndex[r.index].second = &r;

    beginResetModel();
    m_rows.clear();
    m_rows.reserve(byIndex.size());
    for (const auto &[index, pair] : byIndex) {
        const auto *a = pair.first;
        const auto *b = pair.second;
        const prism::ExampleResult *any = a ? a : b;
        Row row;
        row.index = static_cast<int>(index);
        row.inputs = fieldsText(any->example.inputs());
        row.expected = fieldsText(any->example.labels(), outcome.shownFields);
        row.predictionA = predictionText(a, outcome.shownFields);
        row.predictionB = predictionText(b, outcome.shownFields);
        row.scoreA = a ? a->score : std::nullopt;
        row.scoreB = b ? b->score : std::nullopt;
        row.feedbackA = feedbackText(a);
        row.feedbackB = feedbackText(b);
        if (!a || !b || a->error || b->error || !row.scoreA || !row.scoreB)
            row.change = (a && b && !a->error && !b->error) ? Change::Same : Change::Errored;
        else if (*row.scoreA < kCorrect && *row.scoreB >= kCorrect)
            row.change = Change::Improved;
        else if (*row.scoreA >= kCorrect && *row.scoreB < kCorrect)
            row.change = Change::Regressed;
        else if (std::abs(*row.scoreB - *row.scoreA) > 1e-9)
            row.change = *row.scoreB > *row.scoreA ? Change::Higher : Change::Lower;
        m_rows.push_back(std::move(row));
    }
    endResetModel();
}

ComparisonTableModel::Change ComparisonTableModel::change(int row) const
{
    return m_rows.at(static_cast<std::size_t>(row)).change;
}

int ComparisonTableModel::exampleIndex(int row) const
{
    return m_rows.at(static_cast<std::size_t>(row)).index;
}

int ComparisonTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

int ComparisonTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ComparisonTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const Row &row = m_rows[static_cast<std::size_t>(index.row())];
    if (role == ChangeRole)
        return static_cast<int>(row.change);
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case IndexColumn: return role == Qt::DisplayRole ? QVariant(row.index) : QVariant();
        case InputsColumn: return row.inputs;
        case ExpectedColumn: return row.expected;
        case PredictionAColumn: return row.predictionA;
        case PredictionBColumn: return row.predictionB;
        case ScoreAColumn: return role == Qt::DisplayRole ? QVariant(scoreText(row.scoreA, nullptr)) : QVariant();
        case ScoreBColumn: return role == Qt::DisplayRole ? QVariant(scoreText(row.scoreB, nullptr)) : QVariant();
        case FeedbackAColumn: return row.feedbackA;
        case FeedbackBColumn: return row.feedbackB;
        default: return {};
        }
    }
    if (role == Qt::TextAlignmentRole
        && (index.column() == IndexColumn || index.column() == ScoreAColumn || index.column() == ScoreBColumn))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::BackgroundRole) {
        switch (row.change) {
        case Change::Improved: return QColor(0xcd, 0xec, 0xd1);
        case Change::Regressed: return QColor(0xf7, 0xd0, 0xcb);
        case Change::Higher: return QColor(0xe9, 0xf6, 0xea);
        case Change::Lower: return QColor(0xfc, 0xec, 0xea);
        case Change::Errored: return QColor(0xfd, 0xf1, 0xd8);
        case Change::Same: return {};
        }
    }
    return {};
}

QVariant ComparisonTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case IndexColumn: return tr("#");
    case InputsColumn: return tr("Inputs");
    case ExpectedColumn: return tr("Expected");
    case PredictionAColumn: return tr("Prediction A");
    case PredictionBColumn: return tr("Prediction B");
    case ScoreAColumn: return tr("Score A");
    case ScoreBColumn: return tr("Score B");
    case FeedbackAColumn: return tr("Feedback A");
    case FeedbackBColumn: return tr("Feedback B");
    default: return {};
    }
}

ChangedRowsFilter::ChangedRowsFilter(QObject *parent) : QSortFilterProxyModel(parent) {}

void ChangedRowsFilter::setChangedOnly(bool on)
{
    if (on == m_changedOnly)
        return;
    m_changedOnly = on;
    invalidateFilter();
}

bool ChangedRowsFilter::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (!m_changedOnly)
        return true;
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    return index.data(ComparisonTableModel::ChangeRole).toInt() != static_cast<int>(ComparisonTableModel::Change::Same);
}
