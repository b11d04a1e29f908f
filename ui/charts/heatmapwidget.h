#pragma once

#include <QColor>
#include <QImage>
#include <QStringList>
#include <QWidget>

#include <vector>

// Instruction x demo-set grid of one predictor: each cell coloured by the
// mean score of the trials that used that pair, with the mean and the number
// of trials written in it; hovering a cell shows the instruction's text.
// Painted (no Qt Charts), sized from the font.
class HeatmapWidget final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HeatmapWidget)

public:
    struct Cell {
        double mean = 0.0; // percent
        int count = 0;     // trials with a score
        int failed = 0;    // trials that failed (no score); count = failed = 0: not tried
    };

    explicit HeatmapWidget(QWidget *parent = nullptr);

    // cells are row-major, rows x columns. rowTexts: the full instruction of
    // each row (tooltips); columnLabels: a short name per column.
    void setGrid(int rows, int columns, std::vector<Cell> cells, QStringList rowTexts, QStringList columnLabels);
    void clear();
    // A cell drawn with a frame (the best configuration); -1 for none.
    void setHighlight(int row, int column);

    int rows() const { return m_rows; }
    int columns() const { return m_columns; }
    Cell cell(int row, int column) const;
    // The tooltip text for a point in widget coordinates; empty outside cells.
    QString toolTipAt(const QPoint &pos) const;

    QImage renderImage(const QSize &size);
    // The grid's colour scale: 0 the lowest score shown, 1 the highest (the
    // GEPA frontier grid colours its scores with it too).
    static QColor scaleColor(double fraction);

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;
    bool event(QEvent *event) override;

private:
    struct Geometry {
        QRect grid;
        int cellWidth = 0;
        int cellHeight = 0;
        int rowLabelWidth = 0;
        QRect legend;
    };
    Geometry geometryFor(const QSize &size) const;
    void paint(QPainter &painter, const QSize &size) const;
    QColor colorFor(double mean) const;
    bool cellAt(const QPoint &pos, int *row, int *column) const;

    int m_rows = 0;
    int m_columns = 0;
    std::vector<Cell> m_cells;
    QStringList m_rowTexts;
    QStringList m_columnLabels;
    double m_min = 0.0;
    double m_max = 0.0;
    int m_highlightRow = -1;
    int m_highlightColumn = -1;
};
