#pragma once

#include "run/run_state.h"

#include <QObject>
#include <QString>

#include <map>
#include <set>
#include <string>

class ProposalTableModel;
class QLabel;
class QTableView;
class QTableWidget;
class QTextBrowser;
class QTreeWidget;
class QTreeWidgetItem;
class QWidget;

// What a GEPA run does, read from the RunState the Monitor folds (nothing
// copied): the candidate tree (who descends from whom, what each changed, its
// validation score), the Pareto grid (candidates x validation examples) and
// the iterations (each proposal with its minibatch, its verdict, the records
// its reflection read and the instruction diff). Selecting a candidate in one
// view selects it in the others. The Monitor places the three panels and
// shows them for GEPA runs only.
class GepaViews final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GepaViews)

public:
    enum TreeColumn { CandidateColumn, KindColumn, ChangedColumn, ParentsColumn, ScoreColumn, IterationColumn };
    // Item data: the candidate number (tree items and frontier rows).
    static constexpr int kCandidateRole = Qt::UserRole;
    // Tree: a merge's entry under its second parent, pointing at the merge.
    static constexpr int kMergeLinkRole = Qt::UserRole + 1;
    // Frontier cells: true when the cell holds its example's best score.
    static constexpr int kBestRole = Qt::UserRole + 2;

    GepaViews(const prism::RunState *state, QWidget *parent);

    QWidget *treePanel() const { return m_treePanel; }
    QWidget *frontierPanel() const { return m_frontierPanel; }
    QWidget *iterationsPanel() const { return m_iterationsPanel; }

    void reset();
    // After the state folded a batch: appends the new candidates and
    // proposals, fills in validation scores and redraws the grid.
    void update(const prism::RunState::Changes &changes);

    // Selects candidate `number` in the tree, its row in the grid and the
    // iteration that made it.
    void selectCandidate(int number);
    // Shows the proposal in this row of the iterations table.
    void showProposal(int row);

    QTreeWidget *candidateTree() const { return m_tree; }
    QTableWidget *frontierTable() const { return m_frontier; }
    QLabel *frontierLabel() const { return m_frontierLabel; }
    QTableView *iterationsTable() const { return m_iterationsView; }
    QTextBrowser *proposalDetail() const { return m_detail; }
    // Candidates GEPA may draw as a parent (on the frontier, not dominated).
    const std::set<int> &frontierCandidates() const { return m_onFrontier; }

    // The word diff of two instructions as HTML (compare/worddiff): removed
    // words struck through in red, added words in green.
    static QString instructionDiffHtml(const std::string &before, const std::string &after);

private:
    void buildTree(QWidget *parent);
    void buildFrontier(QWidget *parent);
    void buildIterations(QWidget *parent);
    void appendCandidates();
    void refreshScores();
    void refreshFrontier();
    // The instruction index candidate `number` uses for `predictor`; -1 when unknown.
    int instructionOf(int number, const std::string &predictor) const;
    QString instructionText(const std::string &predictor, int index) const;
    QString proposalHtml(const prism::CandidateProposedEvent &p) const;
    QString changesHtml(const prism::CandidateProposedEvent &p) const;
    static QString recordsHtml(const prism::PredictorProposal &proposal);
    static QString minibatchHtml(const prism::CandidateProposedEvent &p);
    std::optional<double> validationScore(const prism::RunState::GepaCandidate &c) const;

    const prism::RunState *m_state;
    bool m_syncing = false; // a selection made by another view: do not echo it

    QWidget *m_treePanel = nullptr;
    QTreeWidget *m_tree = nullptr;
    std::map<int, QTreeWidgetItem *> m_treeItems; // candidate number -> its item
    std::size_t m_candidatesShown = 0;

    QWidget *m_frontierPanel = nullptr;
    QLabel *m_frontierLabel = nullptr;
    QTableWidget *m_frontier = nullptr;
    std::set<int> m_onFrontier;

    QWidget *m_iterationsPanel = nullptr;
    ProposalTableModel *m_proposalsModel = nullptr;
    QTableView *m_iterationsView = nullptr;
    QTextBrowser *m_detail = nullptr;
};
