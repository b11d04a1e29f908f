#include "optimize/pareto.h"

#include "run/gepaviews.h"

#include "charts/heatmapwidget.h"
#include "compare/worddiff.h"
#include "qtconvert.h"
#include "run/runtablemodels.h"
#include "widgets/tableviews.h"

#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPainter>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QTableWidget>
#include <QTextBrowser>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace {

const QColor kUnscored(0xf1, 0xf3, 0xf6);
const QColor kBestFrame(0x1f, 0x2d, 0x44);
const QColor kMuted(0x7a, 0x85, 0x99);
const QColor kSelectionTint(0x3a, 0x6e, 0xc8, 70);

// Frames the cells that hold their example's best score.
class FrontierCellDelegate final : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    // A selected row keeps its colours (the style would paint it over in the
    // highlight colour) under a light tint.
    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        QStyleOptionViewItem plain(option);
        plain.state &= ~QStyle::State_Selected;
        QStyledItemDelegate::paint(painter, plain, index);
        painter->save();
        if (option.state & QStyle::State_Selected)
            painter->fillRect(option.rect, kSelectionTint);
        if (index.data(GepaViews::kBestRole).toBool()) {
            painter->setPen(QPen(kBestFrame, 2));
            painter->drawRect(option.rect.adjusted(1, 1, -2, -2));
        }
        painter->restore();
    }
};

QString fieldsHtml(const prism::Fields &fields)
{
    QStringList parts;
    for (const auto &[name, value] : fields)
        parts << QStringLiteral("<b>%1:</b> %2").arg(toQ(name).toHtmlEscaped(), toQ(value.toText()).toHtmlEscaped());
    return parts.join(QStringLiteral("<br>"));
}

QString scoreText(const std::optional<double> &score)
{
    return score ? QString::number(*score, 'g', 2) : QStringLiteral("–");
}

QLabel *panelLabel(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setWordWrap(true);
    return label;
}

} // namespace

GepaViews::GepaViews(const prism::RunState *state, QWidget *parent) : QObject(parent), m_state(state)
{
    buildTree(parent);
    buildFrontier(parent);
    buildIterations(parent);
}

void GepaViews::buildTree(QWidget *parent)
{
    m_treePanel = new QWidget(parent);
    m_treePanel->setObjectName(QStringLiteral("gepaTreePanel"));
    auto *layout = new QVBoxLayout(m_treePanel);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(panelLabel(tr("<b>Candidates</b>: each under its parent; a merge also appears under its second "
                                    "parent."),
                                 m_treePanel));
    m_tree = new QTreeWidget(m_treePanel);
    m_tree->setObjectName(QStringLiteral("gepaCandidateTree"));
    m_tree->setHeaderLabels({tr("Candidate"), tr("Kind"), tr("Changed"), tr("Parents"), tr("Val %"), tr("Iter.")});
    m_tree->setRootIsDecorated(true);
    m_tree->setUniformRowHeights(true);
    m_tree->setSelectionMode(QAbstractItemView::SingleSelection);
    const QFontMetrics fm = m_tree->fontMetrics();
    // A chain of reflections nests deep: a small indent keeps the numbers in view.
    m_tree->setIndentation(fm.averageCharWidth() * 2);
    const int pad = fm.averageCharWidth() * 2;
    const QStringList samples = {QStringLiteral("#00 #00"), QStringLiteral("reflection"), QStringLiteral("classify"),
                                 QStringLiteral("#9 + #10"), QStringLiteral("100.0")};
    for (int c = 0; c < samples.size(); ++c)
        m_tree->setColumnWidth(
            c,
            std::max(fm.horizontalAdvance(samples.at(c)), fm.horizontalAdvance(m_tree->headerItem()->text(c))) + pad);
    // The numbers indent with the tree's depth: the first column follows them.
    m_tree->header()->setSectionResizeMode(CandidateColumn, QHeaderView::ResizeToContents);
    m_tree->header()->setStretchLastSection(true);
    layout->addWidget(m_tree, 1);
    connect(m_tree, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *item) {
        if (!m_syncing && item)
            selectCandidate(item->data(CandidateColumn, kCandidateRole).toInt());
    });
}

void GepaViews::buildFrontier(QWidget *parent)
{
    m_frontierPanel = new QWidget(parent);
    m_frontierPanel->setObjectName(QStringLiteral("gepaFrontierPanel"));
    auto *layout = new QVBoxLayout(m_frontierPanel);
    m_frontierLabel = panelLabel(QString(), m_frontierPanel);
    m_frontierLabel->setObjectName(QStringLiteral("gepaFrontierLabel"));
    layout->addWidget(m_frontierLabel);
    m_frontier = new QTableWidget(0, 0, m_frontierPanel);
    m_frontier->setObjectName(QStringLiteral("gepaFrontierTable"));
    m_frontier->setItemDelegate(new FrontierCellDelegate(m_frontier));
    m_frontier->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_frontier->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_frontier->setSelectionMode(QAbstractItemView::SingleSelection);
    m_frontier->horizontalHeader()->setDefaultSectionSize(
        m_frontier->fontMetrics().horizontalAdvance(QStringLiteral("0.00")) * 3 / 2 + 8);
    m_frontier->horizontalHeader()->setHighlightSections(false);
    m_frontier->verticalHeader()->setDefaultSectionSize(m_frontier->fontMetrics().height() + 8);
    layout->addWidget(m_frontier, 1);
    connect(m_frontier, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (m_syncing || row < 0 || !m_frontier->verticalHeaderItem(row))
            return;
        selectCandidate(m_frontier->verticalHeaderItem(row)->data(kCandidateRole).toInt());
    });
}

void GepaViews::buildIterations(QWidget *parent)
{
    auto *split = new QSplitter(Qt::Horizontal, parent);
    split->setObjectName(QStringLiteral("gepaIterationsPanel"));
    split->setChildrenCollapsible(false);
    m_iterationsPanel = split;
    m_proposalsModel = new ProposalTableModel(m_state, this);
    m_iterationsView = new QTableView(split);
    m_iterationsView->setObjectName(QStringLiteral("gepaIterationsTable"));
    m_iterationsView->setModel(m_proposalsModel);
    setupTableView(m_iterationsView, m_iterationsView->fontMetrics().height() + 8);
    fitColumns(m_iterationsView, {QStringLiteral("100"), QStringLiteral("reflection"), QStringLiteral("#10 + #10"),
                                  tr("accepted → #10"), QStringLiteral("0.00 → 0.00"), QStringLiteral("1000 / 1000")});
    m_iterationsView->horizontalHeader()->setStretchLastSection(true);
    connect(m_iterationsView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) { showProposal(current.isValid() ? current.row() : -1); });
    m_detail = new QTextBrowser(split);
    m_detail->setObjectName(QStringLiteral("gepaProposalDetail"));
    split->addWidget(m_iterationsView);
    split->addWidget(m_detail);
    split->setStretchFactor(0, 4);
    split->setStretchFactor(1, 3);
}

void GepaViews::reset()
{
    m_tree->clear();
    m_treeItems.clear();
    m_candidatesShown = 0;
    m_frontier->clear();
    m_frontier->setRowCount(0);
    m_frontier->setColumnCount(0);
    m_onFrontier.clear();
    m_frontierLabel->setText(tr("No candidate scored on the validation set yet."));
    m_proposalsModel->reset();
    m_detail->setHtml(tr("<p>Select an iteration to read its reflection.</p>"));
}

void GepaViews::update(const prism::RunState::Changes &changes)
{
    using RS = prism::RunState;
    if (changes.has(RS::ProposalsAdded)) {
        m_proposalsModel->sync();
        appendCandidates();
    }
    // A candidate's validation scores arrive with the full evaluation that
    // follows its proposal.
    if (changes.has(RS::ProposalsAdded) || changes.has(RS::TrialsAdded)) {
        refreshFrontier();
        refreshScores(); // bolds the frontier's candidates
    }
}

std::optional<double> GepaViews::validationScore(const prism::RunState::GepaCandidate &c) const
{
    const int index = c.trial ? m_state->trialIndex(*c.trial) : -1;
    return index >= 0 ? m_state->trials()[static_cast<std::size_t>(index)].score : std::nullopt;
}

void GepaViews::appendCandidates()
{
    const auto &candidates = m_state->gepaCandidates();
    for (; m_candidatesShown < candidates.size(); ++m_candidatesShown) {
        const auto &c = candidates[m_candidatesShown];
        QStringList changed;
        for (const auto &p : c.mutated)
            changed << toQ(p);
        const QStringList texts = {QStringLiteral("#%1").arg(c.number),
                                   toQ(c.kind),
                                   c.kind == "merge" ? tr("(recombined)") : changed.join(QStringLiteral(", ")),
                                   ProposalTableModel::parentsText(c.parents),
                                   QStringLiteral("–"),
                                   c.iteration > 0 ? QString::number(c.iteration) : QString()};
        const auto parent = c.parents.empty() ? m_treeItems.end() : m_treeItems.find(c.parents.front());
        auto *item = parent != m_treeItems.end() ? new QTreeWidgetItem(parent->second, texts)
                                                 : new QTreeWidgetItem(m_tree, texts);
        item->setData(CandidateColumn, kCandidateRole, c.number);
        if (c.number == 0)
            item->setToolTip(CandidateColumn, tr("The student: the program the run started from"));
        item->setTextAlignment(ScoreColumn, Qt::AlignRight | Qt::AlignVCenter);
        m_treeItems[c.number] = item;
        if (c.kind == "merge" && c.parents.size() > 1)
            if (const auto second = m_treeItems.find(c.parents[1]); second != m_treeItems.end()) {
                auto *link = new QTreeWidgetItem(second->second, {tr("→ #%1").arg(c.number), toQ(c.kind), QString(),
                                                                  ProposalTableModel::parentsText(c.parents)});
                link->setData(CandidateColumn, kCandidateRole, c.number);
                link->setData(CandidateColumn, kMergeLinkRole, true);
                link->setToolTip(
                    CandidateColumn,
                    tr("Merge #%1 is listed under its first parent, #%2").arg(c.number).arg(c.parents.front()));
                for (int col = 0; col < m_tree->columnCount(); ++col)
                    link->setForeground(col, kMuted);
            }
        for (QTreeWidgetItem *up = item->parent(); up; up = up->parent())
            up->setExpanded(true);
    }
}

void GepaViews::refreshScores()
{
    for (const auto &c : m_state->gepaCandidates()) {
        const auto it = m_treeItems.find(c.number);
        if (it == m_treeItems.end())
            continue;
        const auto score = validationScore(c);
        it->second->setText(ScoreColumn, score ? QString::number(*score, 'f', 1) : QStringLiteral("–"));
        QFont font = m_tree->font();
        font.setBold(m_onFrontier.count(c.number) > 0);
        it->second->setFont(CandidateColumn, font);
    }
}

void GepaViews::refreshFrontier()
{
    const auto &candidates = m_state->gepaCandidates();
    const auto scores = m_state->frontierScores();
    const std::size_t examples = scores.empty() ? 0 : scores.front().size();
    const auto fronts = prism::paretoFronts(scores, examples);
    std::vector<double> overall;
    for (const auto &c : candidates)
        overall.push_back(validationScore(c).value_or(-1.0));
    const auto dominated = prism::dominatedCandidates(fronts, overall);
    m_onFrontier.clear();
    for (std::size_t c = 0; c < candidates.size(); ++c)
        if (!dominated.count(c))
            m_onFrontier.insert(candidates[c].number);

    // A frame on every cell of a column where all candidates score the same
    // would say nothing: such columns are left unframed.
    std::vector<bool> everyoneTies(examples, false);
    for (std::size_t e = 0; e < examples; ++e) {
        std::size_t scored = 0;
        for (const auto &row : scores)
            scored += row[e].has_value() ? 1 : 0;
        everyoneTies[e] = scored > 1 && fronts[e].size() == scored;
    }
    const int rows = static_cast<int>(scores.size());
    const int columns = static_cast<int>(examples);
    m_frontier->setRowCount(rows);
    m_frontier->setColumnCount(columns);
    for (int e = 0; e < columns; ++e)
        if (!m_frontier->horizontalHeaderItem(e)) {
            auto *header = new QTableWidgetItem(QString::number(e));
            header->setToolTip(tr("Validation example %1").arg(e));
            m_frontier->setHorizontalHeaderItem(e, header);
        }
    QFont bold = m_frontier->font();
    bold.setBold(true);
    for (int r = 0; r < rows; ++r) {
        const int number = candidates[static_cast<std::size_t>(r)].number;
        const bool on = m_onFrontier.count(number) > 0;
        auto *header =
            new QTableWidgetItem(on ? QStringLiteral("★ #%1").arg(number) : QStringLiteral("#%1").arg(number));
        header->setData(kCandidateRole, number);
        header->setToolTip(on ? tr("Candidate #%1 is on the Pareto frontier: GEPA can draw it as a parent").arg(number)
                              : tr("Candidate #%1 is dominated: every example it leads on, another candidate leads "
                                   "on too")
                                    .arg(number));
        m_frontier->setVerticalHeaderItem(r, header);
        for (int e = 0; e < columns; ++e) {
            const auto &score = scores[static_cast<std::size_t>(r)][static_cast<std::size_t>(e)];
            const bool best = !everyoneTies[static_cast<std::size_t>(e)]
                              && fronts[static_cast<std::size_t>(e)].count(static_cast<std::size_t>(r)) > 0;
            auto *item = new QTableWidgetItem(scoreText(score));
            item->setTextAlignment(Qt::AlignCenter);
            item->setBackground(score ? HeatmapWidget::scaleColor(*score) : kUnscored);
            item->setData(kBestRole, best);
            if (best)
                item->setFont(bold);
            item->setToolTip(best ? tr("#%1 on example %2: %3, the best score on this example")
                                        .arg(number)
                                        .arg(e)
                                        .arg(scoreText(score))
                                  : tr("#%1 on example %2: %3").arg(number).arg(e).arg(scoreText(score)));
            m_frontier->setItem(r, e, item);
        }
    }
    QStringList onNames;
    for (const int n : m_onFrontier)
        onNames << QStringLiteral("#%1").arg(n);
    m_frontierLabel->setText(
        rows == 0 ? tr("No candidate scored on the validation set yet.")
                  : tr("Scores of %1 candidate(s) on %2 validation examples. ★ on the frontier: %3. A framed cell "
                       "holds the best score on its example (unframed: every candidate scores the same).")
                        .arg(rows)
                        .arg(columns)
                        .arg(onNames.isEmpty() ? tr("none yet") : onNames.join(QStringLiteral(", "))));
}

void GepaViews::selectCandidate(int number)
{
    if (m_syncing)
        return;
    m_syncing = true;
    if (const auto it = m_treeItems.find(number); it != m_treeItems.end())
        m_tree->setCurrentItem(it->second);
    for (int r = 0; r < m_frontier->rowCount(); ++r)
        if (auto *h = m_frontier->verticalHeaderItem(r); h && h->data(kCandidateRole).toInt() == number)
            m_frontier->selectRow(r);
    const auto &proposals = m_state->proposals();
    for (std::size_t i = 0; i < proposals.size() && static_cast<int>(i) < m_proposalsModel->rowCount(); ++i)
        if (proposals[i].accepted && proposals[i].candidate == number) {
            m_iterationsView->selectRow(static_cast<int>(i));
            showProposal(static_cast<int>(i));
        }
    m_syncing = false;
}

void GepaViews::showProposal(int row)
{
    const auto &proposals = m_state->proposals();
    if (row < 0 || row >= static_cast<int>(proposals.size())) {
        m_detail->setHtml(tr("<p>Select an iteration to read its reflection.</p>"));
        return;
    }
    const auto &p = proposals[static_cast<std::size_t>(row)];
    m_detail->setHtml(proposalHtml(p));
    if (!m_syncing && p.accepted && p.candidate)
        selectCandidate(*p.candidate);
}

int GepaViews::instructionOf(int number, const std::string &predictor) const
{
    if (number == 0) {
        const auto &candidates = m_state->gepaCandidates();
        const int index =
            !candidates.empty() && candidates.front().trial ? m_state->trialIndex(*candidates.front().trial) : -1;
        if (index >= 0)
            for (const auto &choice : m_state->trials()[static_cast<std::size_t>(index)].config)
                if (choice.predictor == predictor)
                    return choice.instruction;
        return 0; // the student's own instruction is instruction 0
    }
    for (const auto &p : m_state->proposals())
        if (p.accepted && p.candidate == number)
            for (const auto &choice : p.config)
                if (choice.predictor == predictor)
                    return choice.instruction;
    return -1;
}

QString GepaViews::instructionText(const std::string &predictor, int index) const
{
    const auto *c = index >= 0 ? m_state->candidate(predictor, index) : nullptr;
    return c ? toQ(c->text) : QString();
}

QString GepaViews::instructionDiffHtml(const std::string &before, const std::string &after)
{
    return diffUnifiedHtml(diffWords(toQ(before), toQ(after)));
}

QString GepaViews::minibatchHtml(const prism::CandidateProposedEvent &p)
{
    if (p.minibatch.empty())
        return {};
    const bool merge = p.kind == "merge";
    QString html = merge ? tr("<p><b>Validation subsample</b> (the better parent against the merged program):</p>")
                         : tr("<p><b>Minibatch</b> (training examples, parent against child):</p>");
    html +=
        QStringLiteral("<table border='1' cellspacing='0' cellpadding='3'><tr><th>%1</th><th>%2</th><th>%3</th></tr>")
            .arg(tr("Example"), tr("Parent"), tr("Child"));
    for (std::size_t i = 0; i < p.minibatch.size(); ++i) {
        const auto parent = i < p.parentScores.size() ? p.parentScores[i] : std::nullopt;
        const auto child = i < p.childScores.size() ? p.childScores[i] : std::nullopt;
        html += QStringLiteral("<tr><td align='right'>%1</td><td align='right'>%2</td><td align='right'>%3</td></tr>")
                    .arg(p.minibatch[i])
                    .arg(scoreText(parent), scoreText(child));
    }
    const auto sum = [](const std::optional<double> &s) {
        return s ? QString::number(*s, 'f', 2) : QStringLiteral("–");
    };
    html += QStringLiteral("<tr><td><b>%1</b></td><td align='right'><b>%2</b></td><td align='right'><b>%3</b></td></tr>"
                           "</table>")
                .arg(tr("Sum"), sum(ProposalTableModel::scoreSum(p.parentScores)),
                     sum(ProposalTableModel::scoreSum(p.childScores)));
    return html;
}

QString GepaViews::changesHtml(const prism::CandidateProposedEvent &p) const
{
    if (p.parents.empty())
        return {};
    const int parent = p.parents.front();
    QString html;
    for (const auto &choice : p.config) {
        const int before = instructionOf(parent, choice.predictor);
        if (before == choice.instruction)
            continue;
        QString source;
        if (p.kind == "merge" && p.parents.size() > 1)
            source = tr(", from #%1").arg(p.parents[1]);
        html += tr("<p><b>%1</b>: instruction %2 → %3%4</p>")
                    .arg(toQ(choice.predictor).toHtmlEscaped())
                    .arg(before)
                    .arg(choice.instruction)
                    .arg(source);
        html += QStringLiteral("<p style='margin-left:1em'>%1</p>")
                    .arg(instructionDiffHtml(toStd(instructionText(choice.predictor, before)),
                                             toStd(instructionText(choice.predictor, choice.instruction))));
    }
    if (html.isEmpty())
        return tr("<p>The proposed program has the instructions of #%1.</p>").arg(parent);
    return tr("<h4>Instruction diff from #%1 (removed: struck red; added: green)</h4>").arg(parent) + html;
}

QString GepaViews::recordsHtml(const prism::PredictorProposal &proposal)
{
    if (proposal.records.empty())
        return tr("<p>No records.</p>");
    QString html = QStringLiteral("<table border='1' cellspacing='0' cellpadding='3' width='100%'><tr><th>%1</th>"
                                  "<th>%2</th><th>%3</th><th>%4</th><th>%5</th></tr>")
                       .arg(tr("Example"), tr("Score"), tr("Inputs"), tr("Generated outputs"), tr("Feedback"));
    for (const auto &r : proposal.records)
        html += QStringLiteral("<tr><td align='right' valign='top'>%1</td><td align='right' valign='top'>%2</td>"
                               "<td valign='top'>%3</td><td valign='top'>%4</td><td valign='top'>%5</td></tr>")
                    .arg(r.example)
                    .arg(scoreText(r.score), fieldsHtml(r.inputs),
                         r.outputs.empty() ? tr("<i>(not readable)</i>") : fieldsHtml(r.outputs),
                         toQ(r.feedback).toHtmlEscaped());
    return html + QStringLiteral("</table>");
}

QString GepaViews::proposalHtml(const prism::CandidateProposedEvent &p) const
{
    const QString parents = ProposalTableModel::parentsText(p.parents).toHtmlEscaped();
    QString html = p.kind == "merge" ? tr("<h3>Iteration %1 · merge of %2</h3>").arg(p.iteration).arg(parents)
                                     : tr("<h3>Iteration %1 · reflection on %2</h3>").arg(p.iteration).arg(parents);
    if (p.accepted && p.candidate)
        html += tr("<p><b style='color:#2e7d32'>Accepted as candidate #%1</b>%2: %3</p>")
                    .arg(*p.candidate)
                    .arg(p.trial ? tr(" (scored on the validation set in trial %1)").arg(*p.trial) : QString())
                    .arg(toQ(p.verdict).toHtmlEscaped());
    else
        html += tr("<p><b style='color:#b3261e'>Rejected</b>: %1</p>").arg(toQ(p.verdict).toHtmlEscaped());
    html += tr("<p>Metric calls: %1 of %2 used after this iteration.</p>").arg(p.metricCalls).arg(p.maxMetricCalls);
    html += changesHtml(p); // first: what changed is what a reader looks for
    html += minibatchHtml(p);
    for (const auto &proposal : p.proposals) {
        html += tr("<h4>Reflection on %1</h4>").arg(toQ(proposal.predictor).toHtmlEscaped());
        if (proposal.error)
            html += tr("<p style='color:#b3261e'>No new instruction: %1</p>").arg(toQ(*proposal.error).toHtmlEscaped());
        html += tr("<p>What the reflection read (%1 record(s)):</p>").arg(proposal.records.size());
        html += recordsHtml(proposal);
        html += tr("<p><b>The reflection's answer:</b></p>");
        html += QStringLiteral("<p style='white-space:pre-wrap; background:#f5f7fa'>%1</p>")
                    .arg(proposal.answer.empty() ? tr("(empty)") : toQ(proposal.answer).toHtmlEscaped());
    }
    return html;
}
