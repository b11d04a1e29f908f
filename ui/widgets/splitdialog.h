#pragma once

#include "data/dataset.h"

#include <QDialog>

#include <cstdint>
#include <string>
#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSpinBox;

// "Split…": pools the train rows, and the val and test rows the user picks
// (by default train and val, so the test rows the study was measured on stay
// where they are), and deals them again into the pooled splits by fractions
// with a seed. Unstratified, this is the engine's splitByFraction (the same
// seed gives the same split as a study file's val_fraction/test_fraction);
// stratified by an output, each label keeps its share in every split.
class SplitDialog final : public QDialog {
    Q_OBJECT

public:
    SplitDialog(const prism::StudyData &data, const std::vector<prism::Field> &outputs, double valFraction,
                double testFraction, std::uint64_t seed, QWidget *parent = nullptr);

    double valFraction() const;
    double testFraction() const;
    std::uint64_t seed() const;
    bool poolsVal() const;
    bool poolsTest() const;
    std::string stratifyField() const; // empty: not stratified
    int pooledRows() const;

    // The splits after dealing: the data given, with the pooled splits replaced.
    prism::StudyData result() const;

private:
    void updatePreview();

    prism::StudyData m_data;
    QCheckBox *m_poolVal = nullptr;
    QCheckBox *m_poolTest = nullptr;
    QComboBox *m_stratify = nullptr;
    QDoubleSpinBox *m_val = nullptr;
    QDoubleSpinBox *m_test = nullptr;
    QSpinBox *m_seed = nullptr;
    QLabel *m_intro = nullptr;
    QLabel *m_preview = nullptr;
};
