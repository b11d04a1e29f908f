#pragma once

#include <QDialog>

#include <cstdint>

class QDoubleSpinBox;
class QLabel;
class QSpinBox;

// "Split…": pools every row and deals them again into train / val / test by
// fractions with a seed (the engine's splitByFraction, so the same seed
// gives the same split as a study file's val_fraction/test_fraction).
class SplitDialog final : public QDialog {
    Q_OBJECT

public:
    SplitDialog(int totalRows, double valFraction, double testFraction, std::uint64_t seed, QWidget *parent = nullptr);

    double valFraction() const;
    double testFraction() const;
    std::uint64_t seed() const;

private:
    void updatePreview();

    int m_total;
    QDoubleSpinBox *m_val = nullptr;
    QDoubleSpinBox *m_test = nullptr;
    QSpinBox *m_seed = nullptr;
    QLabel *m_preview = nullptr;
};
