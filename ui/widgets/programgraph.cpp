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

void ProgramGraph::setProgram(const prism::Program &program, const prism::ProgramWiring &wiring, int selected)
{
    m_scene->clear();
    m_nodes.clear();
    m_edges.clear();
    m_flagged.assign(program.predictors.size(), false);
    m_selected = selected;

    const QPalette pal = palette();
    const QFont plain = font();
    QFont bold = plain;
    bold.setBold(true);
    QFont small = plain;
    small.setPointSizeF(plain.pointSizeF() * 0.9);
    const QFontMetrics fm(plain);
    const QFontMetrics fmBold(bold);
    const qreal line = fm.height() + 6;
    const qreal header = line * 2 + 4;
    const qreal gap = fm.averageCharWidth() * 9;

    // Wide enough for the longest name on any node.
    int widest = fmBold.horizontalAdvance(tr("Row fields"));
    for (const auto &f : wiring.exampleFields)
        widest = std::max(widest, fm.horizontalAdvance(toQ(f)));
    for (const auto &p : program.predictors) {
        widest = std::max(widest, fmBold.horizontalAdvance(toQ(p.name)));
        for (const auto &f : p.signature.inputs)
            widest = std::max(widest, fm.horizontalAdvance(toQ(f.name) + QStringLiteral(" ?")));
        for (const auto &f : p.signature.outputs)
            widest = std::max(widest, fm.horizontalAdvance(toQ(f.name)));
    }
    const qreal width = std::max<qreal>(widest + 36, fm.averageCharWidth() * 22);

    // Where each field leaves a node: the row's fields, then each stage's outputs.
    std::map<QString, QPointF> rowPorts;
    std::vector<std::map<QString, QPointF>> outPorts(program.predictors.size());
    std::vector<std::map<QString, QPointF>> inPorts(program.predictors.size());

    // The row's node.
    {
        const qreal height = header + line * std::max<qreal>(1, static_cast<qreal>(wiring.exampleFields.size())) + 6;
        auto *node = m_scene->addRect(0, 0, width, height, QPen(pal.color(QPalette::Mid), 1.2),
                                      pal.color(QPalette::AlternateBase));
        node->setData(kStageKey, -1);
        auto *title = text(tr("Row fields"), bold, pal.color(QPalette::Text), node);
        title->setPos(10, 6);
        auto *sub = text(tr("from the dataset"), small, pal.color(QPalette::PlaceholderText), node);
        sub->setPos(10, 6 + line);
        qreal y = header;
        for (const auto &f : wiring.exampleFields) {
            auto *label = text(toQ(f), plain, pal.color(QPalette::Text), node);
            label->setPos(width - 14 - label->boundingRect().width(), y + 3);
            const QPointF port(width, y + line / 2);
            addPort(node, port, pal.color(QPalette::Mid));
            rowPorts[toQ(f)] = port;
            y += line;
        }
    }

    for (std::size_t s = 0; s < program.predictors.size(); ++s) {
        const prism::Predictor &p = program.predictors[s];
        const prism::StageWiring *w = s < wiring.stages.size() ? &wiring.stages[s] : nullptr;
        const bool flagged = w && !w->problems.empty();
        m_flagged[s] = flagged;
        const qreal x = static_cast<qreal>(s + 1) * (width + gap);
        const auto inputs = p.signature.inputs.size();
        const auto outputs = p.effectiveSignature().outputs.size();
        const qreal height = header + line * static_cast<qreal>(std::max<std::size_t>(1, inputs + outputs)) + 10;
        const bool isSelected = static_cast<int>(s) == selected;
        QPen border(flagged      ? kErrorColor
                    : isSelected ? pal.color(QPalette::Highlight)
                                 : pal.color(QPalette::Mid),
                    isSelected || flagged ? 2.4 : 1.2);
        auto *node = m_scene->addRect(x, 0, width, height, border, pal.color(QPalette::Base));
        node->setData(kStageKey, static_cast<int>(s));
        m_nodes.push_back(node);
        if (p.frozen) {
            auto *band = m_scene->addRect(x + 1, 1, width - 2, header - 2, Qt::NoPen, kFrozenFill);
            band->setParentItem(node);
            band->setData(kStageKey, static_cast<int>(s));
        }
        auto *title = text(toQ(p.name), bold, pal.color(QPalette::Text), node);
        title->setPos(x + 10, 6);
        title->setData(kStageKey, static_cast<int>(s));
        const QString kind = p.frozen ? tr("%1 · frozen").arg(kindText(p)) : kindText(p);
        auto *sub = text(kind, small, pal.color(QPalette::PlaceholderText), node);
        sub->setPos(x + 10, 6 + line);
        sub->setData(kStageKey, static_cast<int>(s));

        qreal y = header;
        for (std::size_t i = 0; i < inputs; ++i) {
            const QString name = toQ(p.signature.inputs[i].name);
            const prism::WiredInput *in = w && i < w->inputs.size() ? &w->inputs[i] : nullptr;
            const bool bad =
                in && (in->source == prism::InputSource::Missing || in->source == prism::InputSource::LaterStage);
            auto *label = text(bad ? name + QStringLiteral(" ?") : name, plain,
                               bad ? kErrorColor : pal.color(QPalette::Text), node);
            label->setPos(x + 14, y + 3);
            label->setData(kStageKey, static_cast<int>(s));
            const QPointF port(x, y + line / 2);
            addPort(node, port, bad ? kErrorColor : pal.color(QPalette::Mid));
            inPorts[s][name] = port;
            y += line;
        }
        auto *rule = m_scene->addLine(x + 8, y + 3, x + width - 8, y + 3, QPen(pal.color(QPalette::Midlight), 1));
        rule->setParentItem(node);
        y += 6;
        for (const auto &f : p.effectiveSignature().outputs) {
            const QString name = toQ(f.name);
            auto *label = text(name, plain, pal.color(QPalette::Text), node);
            label->setPos(x + width - 14 - label->boundingRect().width(), y + 3);
            label->setData(kStageKey, static_cast<int>(s));
            const QPointF port(x + width, y + line / 2);
            addPort(node, port, pal.color(QPalette::Dark));
            outPorts[s][name] = port;
            y += line;
        }
        if (flagged) {
            QStringList problems;
            for (const auto &problem : w->problems)
                problems << toQ(problem);
            node->setToolTip(problems.join(QLatin1Char('\n')));
        } else {
            node->setToolTip(tr("%1: click to edit this stage").arg(toQ(p.name)));
        }
    }

    // The edges, drawn under the nodes. Between neighbouring columns a curve;
    // one that would cross a node (it skips a column, or runs back from a
    // later stage) goes round below the nodes, in a lane of its own.
    qreal bottom = 0;
    for (QGraphicsItem *item : m_scene->items())
        if (!item->parentItem())
            bottom = std::max(bottom, item->sceneBoundingRect().bottom());
    int lanes = 0;
    const qreal step = width + gap;
    auto edge = [&](QPointF from, QPointF to, const QPen &pen) {
        QPainterPath path(from);
        const bool neighbours = to.x() > from.x() && to.x() - from.x() < step;
        if (neighbours) {
            const qreal dx = (to.x() - from.x()) / 2;
            path.cubicTo(from + QPointF(dx, 0), to - QPointF(dx, 0), to);
        } else {
            const qreal lane = bottom + 10 + 7 * lanes++;
            const qreal r = gap / 2;
            path.lineTo(from.x() + r, from.y());
            path.lineTo(from.x() + r, lane);
            path.lineTo(to.x() - r, lane);
            path.lineTo(to.x() - r, to.y());
            path.lineTo(to);
        }
        auto *item = m_scene->addPath(path, pen);
        item->setZValue(-1);
    };
    const QPen normal(pal.color(QPalette::Dark), 1.3);
    const QPen wrong(kErrorColor, 1.6, Qt::DashLine);
    for (std::size_t s = 0; s < program.predictors.size() && s < wiring.stages.size(); ++s) {
        const QString stageName = toQ(program.predictors[s].name);
        for (const auto &in : wiring.stages[s].inputs) {
            const QString field = toQ(in.field);
            const QPointF to = inPorts[s][field];
            if (in.source == prism::InputSource::Example && rowPorts.count(field)) {
                edge(rowPorts[field], to, normal);
                m_edges << QStringLiteral("example.%1 -> %2.%1").arg(field, stageName);
            } else if ((in.source == prism::InputSource::Stage || in.source == prism::InputSource::LaterStage)
                       && in.stage >= 0 && static_cast<std::size_t>(in.stage) < outPorts.size()) {
                const auto from = static_cast<std::size_t>(in.stage);
                const bool later = in.source == prism::InputSource::LaterStage;
                edge(outPorts[from][field], to, later ? wrong : normal);
                m_edges << QStringLiteral("%1.%2 -> %3.%2%4")
                               .arg(toQ(program.predictors[from].name), field, stageName,
                                    later ? tr(" (later stage)") : QString());
            }
        }
    }
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
