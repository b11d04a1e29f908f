#pragma once

#include <QChartView>
#include <QImage>
#include <QList>
#include <QPointF>
#include <QTimer>

class QLineSeries;
class QScatterSeries;
class QValueAxis;

// Every trial's score of a run: minibatch trials as dots, full evaluations as
// diamonds, the best full-evaluation score so far as a step line (and the
// best minibatch score as a dashed one). Points are buffered and pushed to
// the series with replace() at most ten times a second (or on flush()), never
// appended one by one, so a run with 10,000 trials stays smooth.
class TrialChart final : public QChartView {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrialChart)

public:
    explicit TrialChart(QWidget *parent = nullptr);

    void clear();
    // x = trial number, y = score in percent. Shown at the next refresh.
    void addMinibatchScore(int trial, double score);
    void addFullEvalScore(int trial, double score);
    void addBestFull(int trial, double score);
    void addBestMinibatch(int trial, double score);
    // Widens the x axis to a trial that has no point (a failed trial).
    void noteTrial(int trial);
    // The last trial number the run plans: the axis covers it from the start, so it
    // does not rescale as the run reaches its end. 0 = unknown. clear() resets it.
    void setPlannedLastTrial(int trial);
    // Pushes the buffers to the series now.
    void flush();

    // What the series hold (after the last refresh).
    int minibatchPointCount() const;
    int fullEvalPointCount() const;
    QList<QPointF> fullEvalPoints() const;
    QList<QPointF> bestFullLine() const;
    QList<QPointF> bestMinibatchLine() const;
    double xMax() const;
    double xTickInterval() const;
    double yMin() const;
    double yMax() const;

    // The chart alone at the given size (for Export's PNG).
    QImage renderImage(const QSize &size);

private:
    void resizeEvent(QResizeEvent *event) override;
    void scheduleRefresh();
    void refresh();
    // Appends a scored point to points and widens the score range.
    void addScore(QList<QPointF> &points, int trial, double score);
    static QList<QPointF> stepLine(const QList<QPointF> &steps, double lastX);

    QLineSeries *m_minibatchSeries = nullptr;
    QScatterSeries *m_fullSeries = nullptr;
    QLineSeries *m_bestFullSeries = nullptr;
    QLineSeries *m_bestMinibatchSeries = nullptr;
    QValueAxis *m_xAxis = nullptr;
    QValueAxis *m_yAxis = nullptr;

    QList<QPointF> m_minibatch;
    QList<QPointF> m_full;
    QList<QPointF> m_bestFull; // the steps: (trial, new best)
    QList<QPointF> m_bestMinibatch;
    int m_lastTrial = 0;
    int m_plannedLastTrial = 0;
    double m_minScore = 0.0;
    double m_maxScore = 0.0;
    bool m_hasScore = false;
    bool m_dirty = false;
    QTimer m_refreshTimer;
};
