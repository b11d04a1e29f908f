#pragma once

#include "core/program.h"
#include "core/program_wiring.h"

#include <QGraphicsView>
#include <QStringList>

#include <vector>

class QGraphicsRectItem;
class QGraphicsScene;

// The program as a diagram: the row's fields as a source node, then one node
// per stage in order (name, kind, frozen), each with its inputs on the left
// and its outputs on the right, and an edge for each field passed on. What
// cannot work is drawn in red on the node it concerns: an input that is
// missing or only a later stage writes (a red dashed edge back to it), and the
// node's tooltip lists the problems. Clicking a node selects its stage.
class ProgramGraph final : public QGraphicsView {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProgramGraph)

public:
    explicit ProgramGraph(QWidget *parent = nullptr);

    void setProgram(const prism::Program &program, const prism::ProgramWiring &wiring, int selected);
    int selectedStage() const { return m_selected; }

    // What is drawn, for tests and accessibility: "example.snippet -> find.snippet",
    // "find.policy_violations -> rate.policy_violations"; a later stage's output
    // read too early ends in " (later stage)".
    const QStringList &edges() const { return m_edges; }
    // The stage a node at `scenePos` belongs to; -1 for none or the example node.
    int stageAt(const QPointF &scenePos) const;
    // The centre of a stage's node in viewport coordinates (for clicks in tests).
    QPoint stageCenter(int stage) const;
    // Whether the stage's node is drawn as having a problem.
    bool stageFlagged(int stage) const;
    // The height that shows every node whole.
    int preferredHeight() const;

signals:
    void stageClicked(int stage);

protected:
    void mousePressEvent(QMouseEvent *event) override;

private:
    QGraphicsScene *m_scene = nullptr;
    int m_selected = 0;
    QStringList m_edges;
    std::vector<QGraphicsRectItem *> m_nodes; // one per stage
    std::vector<bool> m_flagged;
};
