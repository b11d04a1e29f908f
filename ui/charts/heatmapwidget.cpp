#include "charts/heatmapwidget.h"

#include <QEvent>
#include <QHelpEvent>
#include <QLinearGradient>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>

namespace {

// Low to high: a muted red, a pale yellow, a green (scores, not alarms).
const QColor kLow(0xf2, 0xb8, 0xa8);
const QColor kMid(0xfb, 0xf1, 0xc0);
const QColor kHigh(0x6f, 0xbf, 0x73);
const QColor kUntried(0xf1, 0xf3, 0xf6);
const QColor kGridLine(0xd5, 0xdb, 0xe5);
const QColor kHighlight(0x1f, 0x2d, 0x44);
const QColor kFailedText(0xb3, 0x26, 0x1e);

QColor mix(const QColor &a, const QColor &b, double t)
{
    return QColor::fromRgbF(static_cast<float>(a.redF() + (b.redF() - a.redF()) * t),
                            static_cast<float>(a.greenF() + (b.greenF() - a.greenF()) * t),
                            static_cast<float>(a.blueF() + (b.blueF() - a.blueF()) * t));
}

} // namespace

HeatmapWidget::HeatmapWidget(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("heatmap"));
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent, false);
}

void HeatmapWidget::clear()
{
    setGrid(0, 0, {}, {}, {});
}

void HeatmapWidget::setGrid(int rows, int columns, std::vector<Cell> cells, QStringList rowTexts,
                            QStringList columnLabels)
{
    m_rows = std::max(0, rows);
    m_columns = std::max(0, columns);
    m_cells = std::move(cells);
    m_cells.resize(static_cast<std::size_t>(m_rows * m_columns));
    m_rowTexts = std::move(rowTexts);
    m_columnLabels = std::move(columnLabels);
    bool any = false;
    for (const Cell &c : m_cells) {
        if (c.count == 0)
            continue;
        m_min = any ? std::min(m_min, c.mean) : c.mean;
        m_max = any ? std::max(m_max, c.mean) : c.mean;
        any = true;
    }
    if (!any)
        m_min = m_max = 0.0;
    updateGeometry();
    update();
}

void HeatmapWidget::setHighlight(int row, int column)
{
    if (row == m_highlightRow && column == m_highlightColumn)
        return;
    m_highlightRow = row;
    m_highlightColumn = column;
    update();
}

HeatmapWidget::Cell HeatmapWidget::cell(int row, int column) const
{
    if (row < 0 || column < 0 || row >= m_rows || column >= m_columns)
        return {};
    return m_cells[static_cast<std::size_t>(row * m_columns + column)];
}

QColor HeatmapWidget::colorFor(double mean) const
{
    const double span = m_max - m_min;
    return scaleColor(span > 1e-9 ? (mean - m_min) / span : 1.0);
}

QColor HeatmapWidget::scaleColor(double fraction)
{
    const double t = std::clamp(fraction, 0.0, 1.0);
    return t < 0.5 ? mix(kLow, kMid, t * 2.0) : mix(kMid, kHigh, (t - 0.5) * 2.0);
}

HeatmapWidget::Geometry HeatmapWidget::geometryFor(const QSize &size) const
{
    const QFontMetrics fm = fontMetrics();
    Geometry g;
    const int pad = fm.height() / 2;
    g.rowLabelWidth = fm.horizontalAdvance(QStringLiteral("Instr 00")) + pad;
    const int header = fm.height() * 2 + pad;       // title + column labels
    const int legendHeight = fm.height() * 3 + pad; // gradient, its labels, the hint
    const int left = pad + g.rowLabelWidth;
    const int availableWidth = std::max(1, size.width() - left - pad);
    const int availableHeight = std::max(1, size.height() - header - legendHeight - pad);
    if (m_rows > 0 && m_columns > 0) {
        g.cellWidth = std::max(fm.horizontalAdvance(QStringLiteral("100.0 ×99")) / 2, availableWidth / m_columns);
        g.cellHeight = std::clamp(availableHeight / m_rows, fm.height() + 4, fm.height() * 3 + 6);
    }
    g.grid = QRect(left, header, g.cellWidth * m_columns, g.cellHeight * m_rows);
    g.legend = QRect(left, g.grid.bottom() + pad, std::min(availableWidth, fm.horizontalAdvance(QLatin1Char('x')) * 40),
                     fm.height() / 2 + 2);
    return g;
}

QSize HeatmapWidget::sizeHint() const
{
    const QFontMetrics fm = fontMetrics();
    return QSize(fm.horizontalAdvance(QLatin1Char('x')) * 60, fm.height() * 22);
}

QSize HeatmapWidget::minimumSizeHint() const
{
    const QFontMetrics fm = fontMetrics();
    return QSize(fm.horizontalAdvance(QLatin1Char('x')) * 30, fm.height() * 10);
}

bool HeatmapWidget::cellAt(const QPoint &pos, int *row, int *column) const
{
    const Geometry g = geometryFor(size());
    if (m_rows == 0 || m_columns == 0 || !g.grid.contains(pos) || g.cellWidth <= 0 || g.cellHeight <= 0)
        return false;
    *row = std::min(m_rows - 1, (pos.y() - g.grid.top()) / g.cellHeight);
    *column = std::min(m_columns - 1, (pos.x() - g.grid.left()) / g.cellWidth);
    return true;
}

QString HeatmapWidget::toolTipAt(const QPoint &pos) const
{
    int row = 0;
    int column = 0;
    if (!cellAt(pos, &row, &column))
        return {};
    const Cell c = cell(row, column);
    const QString instruction = row < m_rowTexts.size() ? m_rowTexts.at(row) : QString();
    const QString columnName = column < m_columnLabels.size() ? m_columnLabels.at(column) : QString::number(column);
    QString score = c.count == 0 ? (c.failed > 0 ? tr("%1 trial(s), all failed").arg(c.failed) : tr("not tried yet"))
                                 : tr("mean %1% over %2 trial(s)").arg(QString::number(c.mean, 'f', 1)).arg(c.count);
    if (c.count > 0 && c.failed > 0)
        score += tr("; %1 more failed").arg(c.failed);
    return QStringLiteral("<p><b>%1 · %2</b>: %3</p><p style='white-space:pre-wrap'>%4</p>")
        .arg(tr("Instruction %1").arg(row), columnName.toHtmlEscaped(), score, instruction.toHtmlEscaped());
}

bool HeatmapWidget::event(QEvent *e)
{
    if (e->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(e);
        const QString text = toolTipAt(help->pos());
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QWidget::event(e);
}

void HeatmapWidget::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    paint(painter, size());
}

QImage HeatmapWidget::renderImage(const QSize &size)
{
    QImage image(size, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::white);
    QPainter painter(&image);
    painter.setFont(font());
    paint(painter, size);
    return image;
}

void HeatmapWidget::paint(QPainter &painter, const QSize &size) const
{
    painter.setRenderHint(QPainter::Antialiasing, false);
    painter.fillRect(QRect(QPoint(0, 0), size), palette().color(QPalette::Base));
    const QFontMetrics fm = fontMetrics();
    const Geometry g = geometryFor(size);
    const int pad = fm.height() / 2;
    const QColor text = palette().color(QPalette::Text);
    const QColor muted = palette().color(QPalette::PlaceholderText);

    QFont titleFont = font();
    titleFont.setBold(true);
    painter.setFont(titleFont);
    painter.setPen(text);
    painter.drawText(QRect(pad, 0, size.width() - 2 * pad, fm.height() + pad / 2), Qt::AlignLeft | Qt::AlignVCenter,
                     tr("Instruction × demo set: mean score %, trials"));
    painter.setFont(font());
    if (m_rows == 0 || m_columns == 0) {
        painter.setPen(muted);
        painter.drawText(QRect(QPoint(0, 0), size), Qt::AlignCenter | Qt::TextWordWrap,
                         tr("The grid fills in as trials finish."));
        return;
    }

    // Column labels, elided to the cell width.
    painter.setPen(muted);
    for (int c = 0; c < m_columns; ++c) {
        QString label = c < m_columnLabels.size() ? m_columnLabels.at(c) : QString::number(c);
        // Narrow cells show the set's number alone ("Demos 11" -> "11"), not "De...".
        if (fm.horizontalAdvance(label) > g.cellWidth - 2)
            label = label.section(QLatin1Char(' '), -1);
        const QRect r(g.grid.left() + c * g.cellWidth, g.grid.top() - fm.height() - 2, g.cellWidth, fm.height());
        painter.drawText(r, Qt::AlignCenter, fm.elidedText(label, Qt::ElideRight, g.cellWidth - 2));
    }
    for (int r = 0; r < m_rows; ++r) {
        const QRect label(pad, g.grid.top() + r * g.cellHeight, g.rowLabelWidth - pad / 2, g.cellHeight);
        painter.drawText(label, Qt::AlignRight | Qt::AlignVCenter, tr("Instr %1").arg(r));
    }

    const bool twoLines = g.cellHeight >= fm.height() * 2 + 4;
    for (int r = 0; r < m_rows; ++r) {
        for (int c = 0; c < m_columns; ++c) {
            const Cell cell = m_cells[static_cast<std::size_t>(r * m_columns + c)];
            const QRect box(g.grid.left() + c * g.cellWidth, g.grid.top() + r * g.cellHeight, g.cellWidth,
                            g.cellHeight);
            painter.fillRect(box, cell.count > 0 ? colorFor(cell.mean) : kUntried);
            painter.setPen(kGridLine);
            painter.drawRect(box.adjusted(0, 0, -1, -1));
            painter.setPen(cell.count > 0 ? text : muted);
            QString label;
            if (cell.count == 0 && cell.failed > 0) {
                painter.setPen(kFailedText);
                label = tr("failed");
            } else if (cell.count == 0) {
                label = QStringLiteral("–");
            } else if (twoLines) {
                label = QStringLiteral("%1\n×%2").arg(QString::number(cell.mean, 'f', 1)).arg(cell.count);
            } else {
                label = QStringLiteral("%1 ×%2").arg(QString::number(cell.mean, 'f', 1)).arg(cell.count);
            }
            if (fm.horizontalAdvance(label.section(QLatin1Char('\n'), 0, 0)) > g.cellWidth - 2 && cell.count > 0)
                label = QString::number(cell.mean, 'f', 0);
            painter.drawText(box, Qt::AlignCenter, label);
        }
    }
    if (m_highlightRow >= 0 && m_highlightColumn >= 0 && m_highlightRow < m_rows && m_highlightColumn < m_columns) {
        const QRect box(g.grid.left() + m_highlightColumn * g.cellWidth, g.grid.top() + m_highlightRow * g.cellHeight,
                        g.cellWidth, g.cellHeight);
        painter.setPen(QPen(kHighlight, 2.5));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(box.adjusted(1, 1, -2, -2));
    }

    // The colour scale.
    if (m_max >= m_min && std::any_of(m_cells.begin(), m_cells.end(), [](const Cell &c) { return c.count > 0; })) {
        QLinearGradient gradient(g.legend.topLeft(), g.legend.topRight());
        gradient.setColorAt(0.0, kLow);
        gradient.setColorAt(0.5, kMid);
        gradient.setColorAt(1.0, kHigh);
        painter.fillRect(g.legend, gradient);
        painter.setPen(muted);
        const QRect labels(g.legend.left(), g.legend.bottom() + 1, g.legend.width(), fm.height());
        painter.drawText(labels, Qt::AlignLeft | Qt::AlignTop,
                         QStringLiteral("%1%").arg(QString::number(m_min, 'f', 1)));
        painter.drawText(labels, Qt::AlignRight | Qt::AlignTop,
                         QStringLiteral("%1%").arg(QString::number(m_max, 'f', 1)));
        painter.drawText(labels.translated(0, fm.height()), Qt::AlignLeft | Qt::AlignTop,
                         tr("Hover a cell for its instruction."));
    }
}
