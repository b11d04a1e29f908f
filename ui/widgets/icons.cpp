#include "widgets/icons.h"

#include <QApplication>
#include <QIconEngine>
#include <QPainter>
#include <QPainterPath>
#include <QPalette>
#include <QPixmap>

namespace {

class StudioIconEngine final : public QIconEngine {
public:
    explicit StudioIconEngine(QString name) : m_name(std::move(name)) {}

    QIconEngine *clone() const override { return new StudioIconEngine(m_name); }
    QString key() const override { return QStringLiteral("prism-studio"); }

    QPixmap pixmap(const QSize &size, QIcon::Mode mode, QIcon::State state) override
    {
        return scaledPixmap(size, mode, state, 1.0);
    }

    QPixmap scaledPixmap(const QSize &size, QIcon::Mode mode, QIcon::State state, qreal scale) override
    {
        QPixmap pm(size * scale);
        pm.setDevicePixelRatio(scale);
        pm.fill(Qt::transparent);
        QPainter p(&pm);
        paint(&p, QRect(QPoint(0, 0), size), mode, state);
        return pm;
    }

    void paint(QPainter *p, const QRect &rect, QIcon::Mode mode, QIcon::State) override
    {
        p->save();
        p->setRenderHint(QPainter::Antialiasing);
        // Draw in a 24x24 design grid, scaled to the rect.
        const qreal side = std::min(rect.width(), rect.height());
        p->translate(rect.x() + (rect.width() - side) / 2.0, rect.y() + (rect.height() - side) / 2.0);
        p->scale(side / 24.0, side / 24.0);
        QColor ink = mode == QIcon::Disabled   ? QColor(160, 160, 160)
                     : mode == QIcon::Selected ? QColor(255, 255, 255)
                                               : QColor(52, 84, 140);
        QPen pen(ink, 1.8, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
        p->setPen(pen);
        p->setBrush(Qt::NoBrush);
        drawGlyph(p, ink);
        p->restore();
    }

private:
    void drawGlyph(QPainter *p, const QColor &ink) const
    {
        if (m_name == QLatin1String("dataset")) {
            p->drawRoundedRect(QRectF(3, 4, 18, 16), 2, 2);
            p->drawLine(QPointF(3, 9), QPointF(21, 9));
            p->drawLine(QPointF(3, 14.5), QPointF(21, 14.5));
            p->drawLine(QPointF(9, 4), QPointF(9, 20));
        } else if (m_name == QLatin1String("signature")) {
            p->drawLine(QPointF(4, 6), QPointF(20, 6));
            p->drawLine(QPointF(4, 11), QPointF(16, 11));
            p->drawLine(QPointF(4, 16), QPointF(12, 16));
            QPainterPath pen;
            pen.moveTo(14, 20);
            pen.lineTo(21, 13);
            p->drawPath(pen);
        } else if (m_name == QLatin1String("metric")) {
            p->drawEllipse(QPointF(12, 12), 8.5, 8.5);
            p->drawEllipse(QPointF(12, 12), 4.5, 4.5);
            p->setBrush(ink);
            p->drawEllipse(QPointF(12, 12), 1.2, 1.2);
        } else if (m_name == QLatin1String("models")) {
            p->drawRoundedRect(QRectF(6, 6, 12, 12), 2, 2);
            for (qreal t : {9.0, 12.0, 15.0}) {
                p->drawLine(QPointF(t, 2.5), QPointF(t, 6));
                p->drawLine(QPointF(t, 18), QPointF(t, 21.5));
                p->drawLine(QPointF(2.5, t), QPointF(6, t));
                p->drawLine(QPointF(18, t), QPointF(21.5, t));
            }
        } else if (m_name == QLatin1String("run")) {
            QPainterPath tri;
            tri.moveTo(7, 4.5);
            tri.lineTo(19.5, 12);
            tri.lineTo(7, 19.5);
            tri.closeSubpath();
            p->drawPath(tri);
        } else if (m_name == QLatin1String("monitor")) {
            p->drawLine(QPointF(3.5, 3.5), QPointF(3.5, 20.5));
            p->drawLine(QPointF(3.5, 20.5), QPointF(20.5, 20.5));
            QPainterPath line;
            line.moveTo(6, 16);
            line.lineTo(10, 11);
            line.lineTo(14, 13.5);
            line.lineTo(20, 6);
            p->drawPath(line);
        } else if (m_name == QLatin1String("compare")) {
            p->drawRect(QRectF(4.5, 9, 5, 11));
            p->drawRect(QRectF(14.5, 4, 5, 16));
        } else if (m_name == QLatin1String("grid")) {
            p->drawRect(QRectF(3.5, 3.5, 17, 17));
            p->drawLine(QPointF(9.5, 3.5), QPointF(9.5, 20.5));
            p->drawLine(QPointF(15, 3.5), QPointF(15, 20.5));
            p->drawLine(QPointF(3.5, 9.5), QPointF(20.5, 9.5));
            p->drawLine(QPointF(3.5, 15), QPointF(20.5, 15));
        } else if (m_name == QLatin1String("playground")) {
            // A speech bubble: one input, one answer.
            QPainterPath bubble;
            bubble.addRoundedRect(QRectF(3, 4, 18, 12), 3, 3);
            p->drawPath(bubble);
            p->drawLine(QPointF(8, 16), QPointF(7, 20.5));
            p->drawLine(QPointF(7, 20.5), QPointF(12, 16));
            p->drawLine(QPointF(7, 10), QPointF(17, 10));
        } else if (m_name == QLatin1String("history")) {
            p->drawEllipse(QPointF(12, 12), 8.5, 8.5);
            p->drawLine(QPointF(12, 7), QPointF(12, 12));
            p->drawLine(QPointF(12, 12), QPointF(15.5, 14.5));
        } else if (m_name == QLatin1String("export")) {
            p->drawLine(QPointF(4, 13), QPointF(4, 20));
            p->drawLine(QPointF(4, 20), QPointF(20, 20));
            p->drawLine(QPointF(20, 20), QPointF(20, 13));
            p->drawLine(QPointF(12, 4), QPointF(12, 15));
            p->drawLine(QPointF(8, 8), QPointF(12, 4));
            p->drawLine(QPointF(16, 8), QPointF(12, 4));
        } else if (m_name == QLatin1String("app")) {
            QPainterPath prism;
            prism.moveTo(12, 2.5);
            prism.lineTo(21.5, 20);
            prism.lineTo(2.5, 20);
            prism.closeSubpath();
            p->setBrush(QColor(230, 238, 250));
            p->drawPath(prism);
            p->setPen(QPen(QColor(220, 90, 60), 1.6, Qt::SolidLine, Qt::RoundCap));
            p->drawLine(QPointF(12, 11), QPointF(22, 8));
            p->setPen(QPen(QColor(60, 160, 90), 1.6, Qt::SolidLine, Qt::RoundCap));
            p->drawLine(QPointF(12, 11), QPointF(22.5, 11.5));
            p->setPen(QPen(ink, 1.6, Qt::SolidLine, Qt::RoundCap));
            p->drawLine(QPointF(0.5, 13), QPointF(12, 11));
        } else {
            QFont font = QApplication::font();
            font.setPixelSize(16);
            font.setBold(true);
            p->setFont(font);
            p->drawText(QRectF(0, 0, 24, 24), Qt::AlignCenter, m_name.left(1).toUpper());
        }
    }

    QString m_name;
};

} // namespace

QIcon studioIcon(const QString &name)
{
    return QIcon(new StudioIconEngine(name));
}
