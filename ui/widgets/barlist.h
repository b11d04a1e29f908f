#pragma once

#include <QString>
#include <QWidget>

#include <vector>

// A list of labelled horizontal bars with counts: "high ███████ 12 (40%)".
// Painted, sized from the font, so it stays legible at any scale.
class BarListWidget final : public QWidget {
    Q_OBJECT

public:
    struct Bar {
        QString label;
        long long count = 0;
    };

    explicit BarListWidget(QWidget *parent = nullptr);

    // total = the denominator of the percentages (rows in the split).
    void setBars(std::vector<Bar> bars, long long total);
    const std::vector<Bar> &bars() const { return m_bars; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    int rowHeight() const;
    int labelWidth() const;

    std::vector<Bar> m_bars;
    long long m_total = 0;
};
