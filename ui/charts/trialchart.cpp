#include "charts/trialchart.h"

#include <QChart>
#include <QGraphicsScene>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPainter>
#include <QPen>
#include <QScatterSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace {

constexpr int kRefreshMs = 100; // ten redraws a second at most

const QColor kMinibatch(0x3a, 0x6e, 0xc8);
const QColor kFull(0xe0, 0x7b, 0x00);
const QColor kBestFull(0x2e, 0x7d, 0x32);

// The trial axis: a bound that is a whole number of ticks of 1, 2 or 5 x 10^k trials,
// at most ten ticks, at least 0-10. Trials are whole numbers, so every tick label is one
// (a tick count over a bound such as 12 put labels at multiples of 1.2, shown rounded).
struct TrialAxis {
    int max = 10;
    int interval = 1;
};

TrialAxis trialAxisFor(int lastTrial)
{
    const int last = std::max(10, lastTrial);
    for (int magnitude = 1;; magnitude *= 10) {
        for (const int step : {1, 2, 5}) {
            const int interval = step * magnitude;
            const int ticks = (last + interval - 1) / interval;
            if (ticks <= 10)
                return TrialAxis{ticks * interval, interval};
        }
    }
}

} // namespace

namespace {

// A filled circle of the given diameter (in device-independent pixels).
QImage dotImage(const QColor &color, int diameter, qreal dpr)
{
    QImage image(QSize(diameter, diameter) * dpr, QImage::Format_ARGB32_Premultiplied);
    image.setDevicePixelRatio(dpr);
    image.fill(Qt::transparent);
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(Qt::NoPen);
    painter.setBrush(color);
    painter.drawEllipse(QRectF(0.5, 0.5, diameter - 1.0, diameter - 1.0));
    return image;
}

} // namespace

TrialChart::TrialChart(QWidget *parent) : QChartView(parent)
{
    setObjectName(QStringLiteral("trialChart"));
    setRenderHint(QPainter::Antialiasing);
    setMinimumSize(320, 190); // small enough that the tables below get room in a 1024x640 window

    auto *chart = new QChart;
    chart->setTitle(tr("Trial scores"));
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setAnimationOptions(QChart::NoAnimation);

    // Minibatch trials can number in the thousands: a line series without a
    // line, its points drawn as a light marker (one image painted per point by
    // the series item). A QScatterSeries keeps one QGraphicsItem per point,
    // which makes replace() with 10,000 points stall the UI thread.
    m_minibatchSeries = new QLineSeries(chart);
    m_minibatchSeries->setName(tr("Minibatch"));
    QColor dot = kMinibatch;
    dot.setAlpha(150);
    m_minibatchSeries->setColor(dot);
    m_minibatchSeries->setPen(QPen(Qt::NoPen));
    m_minibatchSeries->setMarkerSize(7.0);
    m_minibatchSeries->setLightMarker(dotImage(dot, 7, devicePixelRatioF()));

    m_fullSeries = new QScatterSeries(chart);
    m_fullSeries->setName(tr("Full eval"));
    m_fullSeries->setMarkerShape(QScatterSeries::MarkerShapeRotatedRectangle);
    m_fullSeries->setMarkerSize(13.0);
    m_fullSeries->setColor(kFull);
    m_fullSeries->setBorderColor(kFull.darker(160));

    m_bestFullSeries = new QLineSeries(chart);
    m_bestFullSeries->setName(tr("Best full eval"));
    m_bestFullSeries->setPen(QPen(kBestFull, 2.5));

    m_bestMinibatchSeries = new QLineSeries(chart);
    m_bestMinibatchSeries->setName(tr("Best minibatch"));
    QPen dashed(kMinibatch, 1.5, Qt::DashLine);
    m_bestMinibatchSeries->setPen(dashed);

    // Lines under the markers.
    chart->addSeries(m_bestMinibatchSeries);
    chart->addSeries(m_bestFullSeries);
    chart->addSeries(m_minibatchSeries);
    chart->addSeries(m_fullSeries);

    m_xAxis = new QValueAxis(chart);
    m_xAxis->setTitleText(tr("Trial"));
    m_xAxis->setLabelFormat(QStringLiteral("%d"));
    m_xAxis->setTickType(QValueAxis::TicksDynamic);
    m_xAxis->setTickAnchor(0.0);
    m_yAxis = new QValueAxis(chart);
    m_yAxis->setTitleText(tr("Score (%)"));
    m_yAxis->setLabelFormat(QStringLiteral("%.0f"));
    chart->addAxis(m_xAxis, Qt::AlignBottom);
    chart->addAxis(m_yAxis, Qt::AlignLeft);
    for (QAbstractSeries *s : chart->series()) {
        s->attachAxis(m_xAxis);
        s->attachAxis(m_yAxis);
    }
    // QChartView starts with a chart of its own and setChart() only releases
    // it: delete it, or every TrialChart leaks one.
    QChart *initial = this->chart();
    setChart(chart);
    delete initial;
    // The line series has no pen: give its legend entry the dot's colour.
    for (QLegendMarker *marker : chart->legend()->markers(m_minibatchSeries)) {
        marker->setBrush(dot);
        marker->setPen(QPen(dot.darker(120)));
    }

    m_refreshTimer.setSingleShot(true);
    m_refreshTimer.setInterval(kRefreshMs);
    connect(&m_refreshTimer, &QTimer::timeout, this, &TrialChart::refresh);
    clear();
}

void TrialChart::clear()
{
    m_refreshTimer.stop();
    m_minibatch.clear();
    m_full.clear();
    m_bestFull.clear();
    m_bestMinibatch.clear();
    m_lastTrial = 0;
    m_plannedLastTrial = 0;
    m_hasScore = false;
    m_minScore = m_maxScore = 0.0;
    m_dirty = true;
    refresh();
}

void TrialChart::noteTrial(int trial)
{
    if (trial > m_lastTrial) {
        m_lastTrial = trial;
        scheduleRefresh();
    }
}

void TrialChart::setPlannedLastTrial(int trial)
{
    if (trial == m_plannedLastTrial)
        return;
    m_plannedLastTrial = trial;
    m_dirty = true;
    scheduleRefresh();
}

double TrialChart::xTickInterval() const
{
    return m_xAxis->tickInterval();
}

void TrialChart::addScore(QList<QPointF> &points, int trial, double score)
{
    points.append(QPointF(trial, score));
    if (!m_hasScore) {
        m_minScore = m_maxScore = score;
        m_hasScore = true;
    }
    m_minScore = std::min(m_minScore, score);
    m_maxScore = std::max(m_maxScore, score);
    noteTrial(trial);
    scheduleRefresh();
}

void TrialChart::addMinibatchScore(int trial, double score)
{
    addScore(m_minibatch, trial, score);
}

void TrialChart::addFullEvalScore(int trial, double score)
{
    addScore(m_full, trial, score);
}

void TrialChart::addBestFull(int trial, double score)
{
    m_bestFull.append(QPointF(trial, score));
    noteTrial(trial);
    scheduleRefresh();
}

void TrialChart::addBestMinibatch(int trial, double score)
{
    m_bestMinibatch.append(QPointF(trial, score));
    noteTrial(trial);
    scheduleRefresh();
}

void TrialChart::scheduleRefresh()
{
    m_dirty = true;
    if (!m_refreshTimer.isActive())
        m_refreshTimer.start();
}

void TrialChart::flush()
{
    m_refreshTimer.stop();
    refresh();
}

QList<QPointF> TrialChart::stepLine(const QList<QPointF> &steps, double lastX)
{
    QList<QPointF> line;
    line.reserve(steps.size() * 2 + 1);
    for (const QPointF &p : steps) {
        if (!line.isEmpty())
            line.append(QPointF(p.x(), line.last().y()));
        line.append(p);
    }
    if (!line.isEmpty() && lastX > line.last().x())
        line.append(QPointF(lastX, line.last().y()));
    return line;
}

void TrialChart::refresh()
{
    if (!m_dirty)
        return;
    m_dirty = false;
    m_minibatchSeries->replace(m_minibatch);
    m_fullSeries->replace(m_full);
    m_bestFullSeries->replace(stepLine(m_bestFull, m_lastTrial));
    m_bestMinibatchSeries->replace(stepLine(m_bestMinibatch, m_lastTrial));

    const TrialAxis axis = trialAxisFor(std::max(m_lastTrial, m_plannedLastTrial));
    m_xAxis->setRange(0.0, axis.max);
    m_xAxis->setTickInterval(axis.interval);
    double lo = 0.0;
    double hi = 100.0;
    if (m_hasScore) {
        lo = std::max(0.0, std::floor((m_minScore - 5.0) / 10.0) * 10.0);
        hi = std::min(100.0, std::ceil((m_maxScore + 5.0) / 10.0) * 10.0);
        if (hi - lo < 20.0)
            lo = std::max(0.0, hi - 20.0);
        if (hi - lo < 20.0)
            hi = std::min(100.0, lo + 20.0);
    }
    // Gridlines every 10 points while there is room; in a short chart (a
    // small window) every 20 or 50, so the labels are not elided to "...".
    const double plotHeight = chart()->plotArea().height();
    const double minGap = fontMetrics().height() * 1.6;
    double step = 10.0;
    for (double wider : {20.0, 50.0})
        if (plotHeight > 0.0 && plotHeight / ((hi - lo) / step) < minGap) {
            step = wider;
            lo = std::floor(lo / step) * step;
            hi = std::min(100.0, std::ceil(hi / step) * step);
        }
    m_yAxis->setRange(lo, hi);
    m_yAxis->setTickCount(static_cast<int>(std::lround((hi - lo) / step)) + 1);
}

void TrialChart::resizeEvent(QResizeEvent *event)
{
    QChartView::resizeEvent(event);
    scheduleRefresh(); // the gridline spacing follows the height
}

int TrialChart::minibatchPointCount() const
{
    return static_cast<int>(m_minibatchSeries->count());
}

int TrialChart::fullEvalPointCount() const
{
    return static_cast<int>(m_fullSeries->count());
}

QList<QPointF> TrialChart::fullEvalPoints() const
{
    return m_fullSeries->points();
}

QList<QPointF> TrialChart::bestFullLine() const
{
    return m_bestFullSeries->points();
}

QList<QPointF> TrialChart::bestMinibatchLine() const
{
    return m_bestMinibatchSeries->points();
}

double TrialChart::xMax() const
{
    return m_xAxis->max();
}

double TrialChart::yMin() const
{
    return m_yAxis->min();
}

double TrialChart::yMax() const
{
    return m_yAxis->max();
}

QImage TrialChart::renderImage(const QSize &size)
{
    flush();
    QImage image(size, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::white);
    // Lay the chart out at the image's size, paint its scene, then give it
    // back the view's size: the widget on screen is not resized.
    QChart *c = chart();
    const QSizeF old = c->size();
    c->resize(QSizeF(size));
    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing);
    scene()->render(&painter, QRectF(QPointF(0, 0), QSizeF(size)), QRectF(c->pos(), QSizeF(size)));
    painter.end();
    c->resize(old);
    return image;
}
