#include "widgets/programgraph.h"

#include "qtconvert.h"

#include <QFontMetrics>
#include <QGraphicsEllipseItem>
#include <QGraphicsPathItem>
#include <QGraphicsRectItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QMouseEvent>
#include <QPainterPath>
#include <QPen>

#include <algorithm>
#include <map>

namespace {

const QColor kErrorColor(0xb3, 0x26, 0x1e);
const QColor kFrozenFill(0xdd, 0xec, 0xf7);
constexpr int kStageKey = 0; // QGraphicsItem::data key: the stage a node draws (-1: the row)
constexpr qreal kPortRadius = 3.5;

QGraphicsSimpleTextItem *text(const QString &content, const QFont &font, const QColor &color, QGraphicsItem *parent)
{
    auto *item = new QGraphicsSimpleTextItem(content, parent);
    item->setFont(font);
    item->setBrush(color);
    return item;
}

void addPort(QGraphicsItem *parent, QPointF centre, const QColor &color)
{
    auto *dot = new QGraphicsEllipseItem(centre.x() - kPortRadius, centre.y() - kPortRadius, kPortRadius * 2,
                                         kPortRadius * 2, parent);
    dot->setBrush(color);
    dot->setPen(Qt::NoPen);
}

QString kindText(const prism::Predictor &p)
{
    return p.kind == prism::PredictorKind::ChainOfThought ? QObject::tr("ChainOfThought") : QObject::tr("Predict");
}

} // namespace

ProgramGraph::ProgramGraph(QWidget *parent) : QGraphicsView(parent), m_scene(new QGraphicsScene(this))
{
    setObjectName(QStringLiteral("programGraph"));
    setScene(m_scene);
    setRenderHint(QPainter::Antialiasing);
    setAlignment(Qt::AlignLeft | Qt::AlignTop);
    setDragMode(QGraphicsView::NoDrag);
    setAccessibleName(tr("Program diagram"));
}

namespace {

// One drawing of a program: the node geometry, then the nodes and edges.
class Drawing {
public:
    Drawing(QGraphicsScene *scene, const QPalette &palette, const QFont &font) : m_scene(scene), m_pal(palette)
    {
        m_plain = font;
        m_bold = font;
        m_bold.setBold(true);
        m_small = font;
        m_small.setPointSizeF(font.pointSizeF() * 0.9);
        const QFontMetrics fm(m_plain);
        m_line = fm.height() + 6;
        m_header = m_line * 2 + 4;
        m_gap = fm.averageCharWidth() * 9;
    }

    // Wide enough for the longest name on any node.
    void fitWidth(const prism::Program &program, const prism::ProgramWiring &wiring)
    {
        const QFontMetrics fm(m_plain);
        const QFontMetrics fmBold(m_bold);
        int widest = fmBold.horizontalAdvance(QObject::tr("Row fields"));
        for (const auto &f : wiring.exampleFields)
            widest = std::max(widest, fm.horizontalAdvance(toQ(f)));
        for (const auto &p : program.predictors) {
            widest = std::max(widest, fmBold.horizontalAdvance(toQ(p.name)));
            for (const auto &f : p.signature.inputs)
                widest = std::max(widest, fm.horizontalAdvance(toQ(f.name) + QStringLiteral(" ?")));
            for (const auto &f : p.signature.outputs)
                widest = std::max(widest, fm.horizontalAdvance(toQ(f.name)));
        }
        m_width = std::max<qreal>(widest + 36, fm.averageCharWidth() * 22);
    }

    void rowNode(const std::vector<std::string> &fields)
    {
        const qreal height = m_header + m_line * std::max<qreal>(1, static_cast<qreal>(fields.size())) + 6;
        auto *node = m_scene->addRect(0, 0, m_width, height, QPen(m_pal.color(QPalette::Mid), 1.2),
                                      m_pal.color(QPalette::AlternateBase));
        node->setData(kStageKey, -1);
        text(QObject::tr("Row fields"), m_bold, m_pal.color(QPalette::Text), node)->setPos(10, 6);
        text(QObject::tr("from the dataset"), m_small, m_pal.color(QPalette::PlaceholderText), node)
            ->setPos(10, 6 + m_line);
        qreal y = m_header;
        for (const auto &f : fields) {
            auto *label = text(toQ(f), m_plain, m_pal.color(QPalette::Text), node);
            label->setPos(m_width - 14 - label->boundingRect().width(), y + 3);
            const QPointF port(m_width, y + m_line / 2);
            addPort(node, port, m_pal.color(QPalette::Mid));
            m_rowPorts[toQ(f)] = port;
            y += m_line;
        }
    }

    // Stage s's node: its title, kind, inputs (flagged red when missing or
    // read too early) and outputs, and its problems as the tooltip.
    QGraphicsRectItem *stageNode(std::size_t s, const prism::Predictor &p, const prism::StageWiring *w, bool selected)
    {
        const bool flagged = w && !w->problems.empty();
        const qreal x = static_cast<qreal>(s + 1) * (m_width + m_gap);
        const auto inputs = p.signature.inputs.size();
        const auto outputs = p.effectiveSignature().outputs;
        const qreal height =
            m_header + m_line * static_cast<qreal>(std::max<std::size_t>(1, inputs + outputs.size())) + 10;
        const QPen border(flagged    ? kErrorColor
                          : selected ? m_pal.color(QPalette::Highlight)
                                     : m_pal.color(QPalette::Mid),
                          selected || flagged ? 2.4 : 1.2);
        auto *node = m_scene->addRect(x, 0, m_width, height, border, m_pal.color(QPalette::Base));
        node->setData(kStageKey, static_cast<int>(s));
        if (p.frozen) {
            auto *band = m_scene->addRect(x + 1, 1, m_width - 2, m_header - 2, Qt::NoPen, kFrozenFill);
            band->setParentItem(node);
        }
        text(toQ(p.name), m_bold, m_pal.color(QPalette::Text), node)->setPos(x + 10, 6);
        const QString kind = p.frozen ? QObject::tr("%1 · frozen").arg(kindText(p)) : kindText(p);
        text(kind, m_small, m_pal.color(QPalette::PlaceholderText), node)->setPos(x + 10, 6 + m_line);

        qreal y = m_header;
        for (std::size_t i = 0; i < inputs; ++i) {
            const QString name = toQ(p.signature.inputs[i].name);
            const prism::WiredInput *in = w && i < w->inputs.size() ? &w->inputs[i] : nullptr;
            const bool bad =
                in && (in->source == prism::InputSource::Missing || in->source == prism::InputSource::LaterStage);
            text(bad ? name + QStringLiteral(" ?") : name, m_plain, bad ? kErrorColor : m_pal.color(QPalette::Text),
                 node)
                ->setPos(x + 14, y + 3);
            const QPointF port(x, y + m_line / 2);
            addPort(node, port, bad ? kErrorColor : m_pal.color(QPalette::Mid));
            m_inPorts[{s, name}] = port;
            y += m_line;
        }
        auto *rule = m_scene->addLine(x + 8, y + 3, x + m_width - 8, y + 3, QPen(m_pal.color(QPalette::Midlight), 1));
        rule->setParentItem(node);
        y += 6;
        for (const auto &f : outputs) {
            auto *label = text(toQ(f.name), m_plain, m_pal.color(QPalette::Text), node);
            label->setPos(x + m_width - 14 - label->boundingRect().width(), y + 3);
            const QPointF port(x + m_width, y + m_line / 2);
            addPort(node, port, m_pal.color(QPalette::Dark));
            m_outPorts[{s, toQ(f.name)}] = port;
            y += m_line;
        }
        QStringList tip;
        if (flagged)
            for (const auto &problem : w->problems)
                tip << toQ(problem);
        node->setToolTip(flagged ? tip.join(QLatin1Char('\n'))
                                 : QObject::tr("%1: click to edit this stage").arg(toQ(p.name)));
        return node;
    }

    // The edges, under the nodes. Between neighbouring columns a curve; one
    // that would cross a node (it skips a column, or runs back from a later
    // stage) goes round below the nodes, in a lane of its own. Returns their
    // texts ("example.snippet -> find.snippet").
    QStringList edges(const prism::Program &program, const prism::ProgramWiring &wiring)
    {
        qreal bottom = 0;
        for (QGraphicsItem *item : m_scene->items())
            if (!item->parentItem())
                bottom = std::max(bottom, item->sceneBoundingRect().bottom());
        const QPen normal(m_pal.color(QPalette::Dark), 1.3);
        const QPen wrong(kErrorColor, 1.6, Qt::DashLine);
        QStringList texts;
        int lanes = 0;
        auto draw = [&](QPointF from, QPointF to, const QPen &pen) {
            QPainterPath path(from);
            if (to.x() > from.x() && to.x() - from.x() < m_width + m_gap) {
                const qreal dx = (to.x() - from.x()) / 2;
                path.cubicTo(from + QPointF(dx, 0), to - QPointF(dx, 0), to);
            } else {
                const qreal lane = bottom + 10 + 7 * lanes++;
                const qreal r = m_gap / 2;
                path.lineTo(from.x() + r, from.y());
                path.lineTo(from.x() + r, lane);
                path.lineTo(to.x() - r, lane);
                path.lineTo(to.x() - r, to.y());
                path.lineTo(to);
            }
            m_scene->addPath(path, pen)->setZValue(-1);
        };
        for (std::size_t s = 0; s < program.predictors.size() && s < wiring.stages.size(); ++s) {
            const QString stageName = toQ(program.predictors[s].name);
            for (const auto &in : wiring.stages[s].inputs) {
                const QString field = toQ(in.field);
                const QPointF to = m_inPorts[{s, field}];
                if (in.source == prism::InputSource::Example && m_rowPorts.count(field)) {
                    draw(m_rowPorts[field], to, normal);
                    texts << QStringLiteral("example.%1 -> %2.%1").arg(field, stageName);
                } else if ((in.source == prism::InputSource::Stage || in.source == prism::InputSource::LaterStage)
                           && in.stage >= 0 && static_cast<std::size_t>(in.stage) < program.predictors.size()) {
                    const auto from = static_cast<std::size_t>(in.stage);
                    const bool later = in.source == prism::InputSource::LaterStage;
                    draw(m_outPorts[{from, field}], to, later ? wrong : normal);
                    texts << QStringLiteral("%1.%2 -> %3.%2%4")
                                 .arg(toQ(program.predictors[from].name), field, stageName,
                                      later ? QObject::tr(" (later stage)") : QString());
                }
            }
        }
        return texts;
    }

private:
    QGraphicsScene *m_scene;
    QPalette m_pal;
    QFont m_plain, m_bold, m_small;
    qreal m_line = 0, m_header = 0, m_gap = 0, m_width = 0;
    std::map<QString, QPointF> m_rowPorts;                         // where each row field leaves
    std::map<std::pair<std::size_t, QString>, QPointF> m_inPorts;  // (stage, field) -> where it enters
    std::map<std::pair<std::size_t, QString>, QPointF> m_outPorts; // (stage, field) -> where it leaves
};

} // namespace

void ProgramGraph::setProgram(const prism::Program &program, const prism::ProgramWiring &wiring, int selected)
{
    m_scene->clear();
    m_nodes.clear();
    m_flagged.assign(program.predictors.size(), false);
    m_selected = selected;
    Drawing drawing(m_scene, palette(), font());
    drawing.fitWidth(program, wiring);
    drawing.rowNode(wiring.exampleFields);
    for (std::size_t s = 0; s < program.predictors.size(); ++s) {
        const prism::StageWiring *w = s < wiring.stages.size() ? &wiring.stages[s] : nullptr;
        m_flagged[s] = w && !w->problems.empty();
        m_nodes.push_back(drawing.stageNode(s, program.predictors[s], w, static_cast<int>(s) == selected));
    }
    m_edges = drawing.edges(program, wiring);
    m_scene->setSceneRect(m_scene->itemsBoundingRect().adjusted(-8, -8, 8, 8));
}

int ProgramGraph::stageAt(const QPointF &scenePos) const
{
    for (QGraphicsItem *item : m_scene->items(scenePos)) {
        for (QGraphicsItem *at = item; at; at = at->parentItem()) {
            const QVariant stage = at->data(kStageKey);
            if (stage.isValid())
                return stage.toInt();
        }
    }
    return -1;
}

QPoint ProgramGraph::stageCenter(int stage) const
{
    if (stage < 0 || stage >= static_cast<int>(m_nodes.size()))
        return {};
    return mapFromScene(m_nodes[static_cast<std::size_t>(stage)]->rect().center());
}

bool ProgramGraph::stageFlagged(int stage) const
{
    return stage >= 0 && stage < static_cast<int>(m_flagged.size()) && m_flagged[static_cast<std::size_t>(stage)];
}

int ProgramGraph::preferredHeight() const
{
    return static_cast<int>(m_scene->sceneRect().height()) + frameWidth() * 2 + 4;
}

void ProgramGraph::mousePressEvent(QMouseEvent *event)
{
    const int stage = stageAt(mapToScene(event->pos()));
    if (stage >= 0 && event->button() == Qt::LeftButton) {
        emit stageClicked(stage);
        event->accept();
        return;
    }
    QGraphicsView::mousePressEvent(event);
}
