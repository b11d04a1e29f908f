#include "run/runtablemodels.h"

#include "qtconvert.h"

#include <QBrush>
#include <QColor>
#include <QFont>

namespace {

const QColor kFailed(0xb3, 0x26, 0x1e);
const QColor kAccepted(0x2e, 0x7d, 0x32);
const QColor kFullRow(0xfd, 0xf3, 0xe6);

QVariant percent(const std::optional<double> &score)
{
    return score ? QVariant(QString::number(*score, 'f', 1)) : QVariant(QStringLiteral("–"));
}

QString oneLine(const std::string &text)
{
    return toQ(text).simplified();
}

} // namespace

RunTableModel::RunTableModel(const prism::RunState *state, QObject *parent)
    : QAbstractTableModel(parent), m_state(state)
{}

int RunTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_rows;
}

void RunTableModel::sync()
{
    const int now = static_cast<int>(stateRows());
    if (now < m_rows) { // the state was cleared behind our back
        reset();
        return;
    }
    if (now == m_rows)
        return;
    beginInsertRows({}, m_rows, now - 1);
    m_rows = now;
    endInsertRows();
}

void RunTableModel::reset()
{
    beginResetModel();
    m_rows = static_cast<int>(stateRows());
    endResetModel();
}

// ---- trials ----------------------------------------------------------------

QString TrialTableModel::configText(const prism::RunState::Trial &trial)
{
    QStringList parts;
    const bool several = trial.config.size() > 1;
    for (const auto &c : trial.config) {
        QString part = QObject::tr("instr %1").arg(c.instruction);
        if (c.demos >= 0)
            part += QObject::tr(" · demos %1").arg(c.demos);
        parts << (several ? toQ(c.predictor) + QStringLiteral(": ") + part : part);
    }
    return parts.isEmpty() ? toQ(trial.configKey) : parts.join(QStringLiteral("; "));
}

int TrialTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TrialTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows)
        return {};
    const auto &t = m_state->trials()[static_cast<std::size_t>(index.row())];
    const bool failed = t.state == "failed" || !t.score;
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case TrialColumn: return t.number;
        case KindColumn: return toQ(t.kind);
        case ConfigColumn: return configText(t);
        case ScoreColumn: return percent(t.score);
        case ExamplesColumn: return QStringLiteral("%1 / %2").arg(t.scored).arg(t.examples);
        case ErrorsColumn: return t.errors;
        case NewCallsColumn: return t.newCalls;
        case MemoHitsColumn: return t.memoHits;
        case ResultColumn: return failed ? oneLine(t.error.empty() ? std::string("failed") : t.error) : tr("complete");
        default: return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        if (index.column() == ResultColumn && !t.error.empty())
            return toQ(t.error);
        if (index.column() == ConfigColumn)
            return toQ(t.configKey);
        return {};
    }
    if (role == Qt::TextAlignmentRole) {
        switch (index.column()) {
        case TrialColumn:
        case ScoreColumn:
        case ExamplesColumn:
        case ErrorsColumn:
        case NewCallsColumn:
        case MemoHitsColumn: return int(Qt::AlignRight | Qt::AlignVCenter);
        default: return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    }
    if (role == Qt::ForegroundRole && failed)
        return QBrush(kFailed);
    if (role == Qt::BackgroundRole && t.kind == "full")
        return QBrush(kFullRow);
    if (role == Qt::FontRole && index.column() == ScoreColumn && t.kind == "full") {
        QFont f;
        f.setBold(true);
        return f;
    }
    return {};
}

QVariant TrialTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case TrialColumn: return tr("Trial");
    case KindColumn: return tr("Kind");
    case ConfigColumn: return tr("Config");
    case ScoreColumn: return tr("Score %");
    case ExamplesColumn: return tr("Scored");
    case ErrorsColumn: return tr("Errors");
    case NewCallsColumn: return tr("New calls");
    case MemoHitsColumn: return tr("Memo hits");
    case ResultColumn: return tr("Result");
    default: return {};
    }
}

// ---- candidates ------------------------------------------------------------

int CandidateTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CandidateTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows)
        return {};
    const auto &c = m_state->candidates()[static_cast<std::size_t>(index.row())];
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case PredictorColumn: return toQ(c.predictor);
        case IndexColumn: return c.index;
        case InstructionColumn: return oneLine(c.text);
        case TriedColumn: return c.timesTried;
        case MeanColumn: return percent(c.meanScore());
        case ProposedColumn:
            if (c.index == 0 && c.tip.empty())
                return tr("original");
            return c.proposedAfterTrial > 0 ? tr("after trial %1").arg(c.proposedAfterTrial) : toQ(c.proposedIn);
        case TipColumn: return toQ(c.tip);
        default: return {};
        }
    }
    if (role == Qt::ToolTipRole && index.column() == InstructionColumn)
        return QStringLiteral("<p style='white-space:pre-wrap'>%1</p>").arg(toQ(c.text).toHtmlEscaped());
    if (role == Qt::TextAlignmentRole) {
        switch (index.column()) {
        case IndexColumn:
        case TriedColumn:
        case MeanColumn: return int(Qt::AlignRight | Qt::AlignVCenter);
        default: return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    }
    return {};
}

QVariant CandidateTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case PredictorColumn: return tr("Predictor");
    case IndexColumn: return tr("#");
    case InstructionColumn: return tr("Instruction");
    case TriedColumn: return tr("Tried");
    case MeanColumn: return tr("Mean %");
    case ProposedColumn: return tr("Proposed in");
    case TipColumn: return tr("Tip");
    default: return {};
    }
}

void CandidateTableModel::statsChanged()
{
    if (m_rows > 0)
        emit dataChanged(index(0, TriedColumn), index(m_rows - 1, MeanColumn));
}

// ---- demo sets -------------------------------------------------------------

int DemoSetTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant DemoSetTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows)
        return {};
    const auto &d = m_state->demoSets()[static_cast<std::size_t>(index.row())];
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case PredictorColumn: return toQ(d.predictor);
        case IndexColumn: return d.index;
        case KindColumn: return toQ(d.kind);
        case DemosColumn: return d.demoCount;
        case TriedColumn: return d.timesTried;
        case MeanColumn: return percent(d.meanScore());
        default: return {};
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() != PredictorColumn && index.column() != KindColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant DemoSetTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case PredictorColumn: return tr("Predictor");
    case IndexColumn: return tr("#");
    case KindColumn: return tr("Kind");
    case DemosColumn: return tr("Demos");
    case TriedColumn: return tr("Tried");
    case MeanColumn: return tr("Mean %");
    default: return {};
    }
}

void DemoSetTableModel::statsChanged()
{
    if (m_rows > 0)
        emit dataChanged(index(0, TriedColumn), index(m_rows - 1, MeanColumn));
}

// ---- GEPA proposals ----------------------------------------------------------

QString ProposalTableModel::parentsText(const std::vector<int> &parents)
{
    QStringList parts;
    for (const int p : parents)
        parts << QStringLiteral("#%1").arg(p);
    return parts.join(QStringLiteral(" + "));
}

std::optional<double> ProposalTableModel::scoreSum(const std::vector<std::optional<double>> &scores)
{
    std::optional<double> sum;
    for (const auto &s : scores)
        if (s)
            sum = sum.value_or(0.0) + *s;
    return sum;
}

int ProposalTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ProposalTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows)
        return {};
    const auto &p = m_state->proposals()[static_cast<std::size_t>(index.row())];
    const auto sumText = [](const std::optional<double> &sum) {
        return sum ? QString::number(*sum, 'f', 2) : QStringLiteral("–");
    };
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case IterationColumn: return p.iteration;
        case KindColumn: return toQ(p.kind);
        case ParentsColumn: return parentsText(p.parents);
        case ResultColumn: return p.accepted && p.candidate ? tr("accepted → #%1").arg(*p.candidate) : tr("rejected");
        case MinibatchColumn:
            return QStringLiteral("%1 → %2").arg(sumText(scoreSum(p.parentScores)), sumText(scoreSum(p.childScores)));
        case MetricCallsColumn: return QStringLiteral("%1 / %2").arg(p.metricCalls).arg(p.maxMetricCalls);
        case VerdictColumn: return oneLine(p.verdict);
        default: return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        if (index.column() == VerdictColumn)
            return toQ(p.verdict);
        if (index.column() == MinibatchColumn)
            return tr("Sum of the minibatch scores (%1 examples): parent → child").arg(p.minibatch.size());
        if (index.column() == MetricCallsColumn)
            return tr("Metric calls the run had used after this iteration, of its budget");
        return {};
    }
    if (role == Qt::TextAlignmentRole) {
        switch (index.column()) {
        case IterationColumn:
        case MinibatchColumn:
        case MetricCallsColumn: return int(Qt::AlignRight | Qt::AlignVCenter);
        default: return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    }
    if (role == Qt::ForegroundRole && index.column() == ResultColumn)
        return QBrush(p.accepted ? kAccepted : kFailed);
    return {};
}

QVariant ProposalTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case IterationColumn: return tr("Iter.");
    case KindColumn: return tr("Kind");
    case ParentsColumn: return tr("Parents");
    case ResultColumn: return tr("Result");
    case MinibatchColumn: return tr("Minibatch");
    case MetricCallsColumn: return tr("Calls");
    case VerdictColumn: return tr("Verdict");
    default: return {};
    }
}
