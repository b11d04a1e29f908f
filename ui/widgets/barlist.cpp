#include "widgets/barlist.h"

#include <QPaintEvent>
#include <QPainter>

#include <algorithm>

BarListWidget::BarListWidget(QWidget *parent) : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

void BarListWidget::setBars(std::vector<Bar> bars, long long total)
{
    m_bars = std::move(bars);
    m_total = total;
    QStringList lines;
    for (const auto &bar : m_bars)
        lines << QStringLiteral("%1: %2").arg(bar.label).arg(bar.count);
    setAccessibleDescription(lines.join(QLatin1String(", ")));
    updateGeometry();
    update();
}

int BarListWidget::rowHeight() const
{
    return fontMetrics().height() * 3 / 2;
}

int BarListWidget::labelWidth() const
{
    int widest = 0;
    for (const auto &bar : m_bars)
        widest = std::max(widest, fontMetrics().horizontalAdvance(bar.label));
    // Long labels are elided rather than squeezing the bars away; a little slack
    // keeps fractional glyph widths from eliding labels that fit.
    return std::min(widest + fontMetrics().averageCharWidth(), fontMetrics().averageCharWidth() * 18);
}

QSize BarListWidget::sizeHint() const
{
    const int unit = fontMetrics().averageCharWidth();
    return {labelWidth() + unit * 30, rowHeight() * static_cast<int>(std::max<std::size_t>(m_bars.size(), 1))};
}

QSize BarListWidget::minimumSizeHint() const
{
    const int unit = fontMetrics().averageCharWidth();
    return {unit * 24, rowHeight() * static_cast<int>(std::max<std::size_t>(m_bars.size(), 1))};
}

void BarListWidget::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QFontMetrics fm = fontMetrics();
    const int h = rowHeight();
    const int gap = fm.averageCharWidth();
    const int labelW = labelWidth();
    long long maxCount = 1;
    for (const auto &bar : m_bars)
        maxCount = std::max(maxCount, bar.count);
    const QString widestCount = QStringLiteral("%1 (100%)").arg(maxCount);
    const int countW = fm.horizontalAdvance(widestCount);
    const int barX = labelW + gap;
    const int barW = std::max(gap * 4, width() - barX - gap - countW);

    if (m_bars.empty()) {
        p.setPen(palette().color(QPalette::Disabled, QPalette::WindowText));
        p.drawText(rect(), Qt::AlignLeft | Qt::AlignVCenter, tr("No values"));
        return;
    }
    for (std::size_t i = 0; i < m_bars.size(); ++i) {
        const auto &bar = m_bars[i];
        const int y = static_cast<int>(i) * h;
        const QRect labelRect(0, y, labelW, h);
        p.setPen(palette().color(QPalette::WindowText));
        p.drawText(labelRect, Qt::AlignRight | Qt::AlignVCenter, fm.elidedText(bar.label, Qt::ElideMiddle, labelW));
        const QRectF track(barX, y + h * 0.2, barW, h * 0.6);
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(232, 236, 242));
        p.drawRoundedRect(track, 3, 3);
        if (bar.count > 0) {
            QRectF fill = track;
            fill.setWidth(
                std::max(2.0, track.width() * static_cast<double>(bar.count) / static_cast<double>(maxCount)));
            p.setBrush(QColor(74, 118, 196));
            p.drawRoundedRect(fill, 3, 3);
        }
        const int percent =
            m_total > 0
                ? static_cast<int>(std::lround(100.0 * static_cast<double>(bar.count) / static_cast<double>(m_total)))
                : 0;
        p.setPen(palette().color(QPalette::WindowText));
        p.drawText(QRect(barX + barW + gap, y, countW, h), Qt::AlignLeft | Qt::AlignVCenter,
                   QStringLiteral("%1 (%2%)").arg(bar.count).arg(percent));
    }
}
