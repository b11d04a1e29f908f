#include "widgets/splitdialog.h"

#include "data/dataset.h"
#include "qtconvert.h"

#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <climits>

SplitDialog::SplitDialog(int totalRows, double valFraction, double testFraction, std::uint64_t seed, QWidget *parent)
    : QDialog(parent), m_total(totalRows)
{
    setObjectName(QStringLiteral("splitDialog"));
    setWindowTitle(tr("Split Rows"));
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("Pools all %1 of train, val and test, then deals them again at random "
                                "(the same seed always gives the same split).")
                                 .arg(countOf(totalRows, tr("row"), tr("rows"))),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto *form = new QFormLayout;
    auto percent = [this](const QString &name, double fraction) {
        auto *spin = new QDoubleSpinBox(this);
        spin->setObjectName(name);
        spin->setRange(0.0, 90.0);
        spin->setDecimals(1);
        spin->setSingleStep(5.0);
        spin->setSuffix(QStringLiteral(" %"));
        spin->setValue(fraction * 100.0);
        connect(spin, &QDoubleSpinBox::valueChanged, this, &SplitDialog::updatePreview);
        return spin;
    };
    m_val = percent(QStringLiteral("valPercent"), valFraction);
    m_test = percent(QStringLiteral("testPercent"), testFraction);
    m_seed = new QSpinBox(this);
    m_seed->setObjectName(QStringLiteral("splitSeed"));
    m_seed->setRange(0, INT_MAX);
    m_seed->setValue(static_cast<int>(std::min<std::uint64_t>(seed, INT_MAX)));
    connect(m_seed, &QSpinBox::valueChanged, this, &SplitDialog::updatePreview);
    form->addRow(tr("&Validation:"), m_val);
    form->addRow(tr("&Test:"), m_test);
    form->addRow(tr("&Seed:"), m_seed);
    layout->addLayout(form);

    m_preview = new QLabel(this);
    m_preview->setObjectName(QStringLiteral("splitPreview"));
    layout->addWidget(m_preview);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Split"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    updatePreview();
}

double SplitDialog::valFraction() const
{
    return m_val->value() / 100.0;
}

double SplitDialog::testFraction() const
{
    return m_test->value() / 100.0;
}

std::uint64_t SplitDialog::seed() const
{
    return static_cast<std::uint64_t>(m_seed->value());
}

void SplitDialog::updatePreview()
{
    auto *box = findChild<QDialogButtonBox *>();
    if (!box)
        return; // still being built
    auto *ok = box->button(QDialogButtonBox::Ok);
    if (valFraction() + testFraction() >= 0.95) {
        m_preview->setText(tr("Leave at least 5% of the rows for training."));
        if (ok)
            ok->setEnabled(false);
        return;
    }
    if (ok)
        ok->setEnabled(true);
    // Count with the engine itself on placeholder rows: the preview cannot
    // disagree with the split that follows.
    std::vector<prism::Example> rows(static_cast<std::size_t>(m_total));
    std::vector<prism::Example> train, val, test;
    prism::splitByFraction(rows, valFraction(), testFraction(), seed(), train, val, test);
    m_preview->setText(tr("Train %1 \u00b7 Val %2 \u00b7 Test %3").arg(train.size()).arg(val.size()).arg(test.size()));
}
