#include "widgets/splitdialog.h"

#include "data/stratify.h"
#include "qtconvert.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <climits>

SplitDialog::SplitDialog(const prism::StudyData &data, const std::vector<prism::Field> &outputs, double valFraction,
                         double testFraction, std::uint64_t seed, QWidget *parent)
    : QDialog(parent), m_data(data)
{
    setObjectName(QStringLiteral("splitDialog"));
    setWindowTitle(tr("Split Rows"));
    setMinimumWidth(fontMetrics().averageCharWidth() * 64);
    auto *layout = new QVBoxLayout(this);
    m_intro = new QLabel(this);
    m_intro->setWordWrap(true);
    layout->addWidget(m_intro);

    auto *form = new QFormLayout;
    auto *pool = new QHBoxLayout;
    m_poolVal = new QCheckBox(tr("Val (%1)").arg(data.val.examples.size()), this);
    m_poolVal->setObjectName(QStringLiteral("poolVal"));
    m_poolVal->setChecked(true);
    m_poolTest = new QCheckBox(tr("Test (%1)").arg(data.test.examples.size()), this);
    m_poolTest->setObjectName(QStringLiteral("poolTest"));
    // Test rows a study was already measured on stay put unless the user says
    // so; an empty test split has nothing to keep.
    m_poolTest->setChecked(data.test.examples.empty());
    pool->addWidget(new QLabel(tr("Train (%1)").arg(data.train.examples.size()), this));
    pool->addWidget(m_poolVal);
    pool->addWidget(m_poolTest);
    pool->addStretch(1);
    form->addRow(tr("Pool:"), pool);

    m_stratify = new QComboBox(this);
    m_stratify->setObjectName(QStringLiteral("stratifyBy"));
    m_stratify->addItem(tr("(nothing: one random split)"), QString());
    for (const auto &f : outputs) {
        const auto kind = f.type.kind();
        if (kind == prism::TypeKind::Enum || kind == prism::TypeKind::Bool || kind == prism::TypeKind::Int)
            m_stratify->addItem(toQ(f.name), toQ(f.name));
    }
    m_stratify->setCurrentIndex(m_stratify->count() > 1 ? 1 : 0);
    m_stratify->setToolTip(tr("Each value of this output keeps its share of the rows in every split."));
    form->addRow(tr("Stratify &by:"), m_stratify);

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
    m_preview->setWordWrap(true);
    layout->addWidget(m_preview);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Split"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    connect(m_poolVal, &QCheckBox::toggled, this, &SplitDialog::updatePreview);
    connect(m_poolTest, &QCheckBox::toggled, this, &SplitDialog::updatePreview);
    connect(m_stratify, &QComboBox::currentIndexChanged, this, &SplitDialog::updatePreview);
    updatePreview();
}

double SplitDialog::valFraction() const
{
    return poolsVal() ? m_val->value() / 100.0 : 0.0;
}

double SplitDialog::testFraction() const
{
    return poolsTest() ? m_test->value() / 100.0 : 0.0;
}

std::uint64_t SplitDialog::seed() const
{
    return static_cast<std::uint64_t>(m_seed->value());
}

bool SplitDialog::poolsVal() const
{
    return m_poolVal->isChecked();
}

bool SplitDialog::poolsTest() const
{
    return m_poolTest->isChecked();
}

std::string SplitDialog::stratifyField() const
{
    return toStd(m_stratify->currentData().toString());
}

int SplitDialog::pooledRows() const
{
    std::size_t n = m_data.train.examples.size();
    if (poolsVal())
        n += m_data.val.examples.size();
    if (poolsTest())
        n += m_data.test.examples.size();
    return static_cast<int>(n);
}

prism::StudyData SplitDialog::result() const
{
    std::vector<prism::Example> pooled = m_data.train.examples;
    if (poolsVal())
        pooled.insert(pooled.end(), m_data.val.examples.begin(), m_data.val.examples.end());
    if (poolsTest())
        pooled.insert(pooled.end(), m_data.test.examples.begin(), m_data.test.examples.end());
    prism::StudyData out = m_data;
    std::vector<prism::Example> train, val, test;
    const std::string field = stratifyField();
    if (field.empty())
        prism::splitByFraction(pooled, valFraction(), testFraction(), seed(), train, val, test);
    else
        prism::stratifiedSplit(
            pooled, [&field](const prism::Example &e) { return prism::stratumOf(e, field); }, valFraction(),
            testFraction(), seed(), train, val, test);
    out.train.examples = std::move(train);
    if (poolsVal())
        out.val.examples = std::move(val);
    if (poolsTest())
        out.test.examples = std::move(test);
    return out;
}

void SplitDialog::updatePreview()
{
    m_val->setEnabled(poolsVal());
    m_test->setEnabled(poolsTest());
    QStringList kept;
    if (!poolsVal() && !m_data.val.examples.empty())
        kept << tr("the %1 val rows").arg(m_data.val.examples.size());
    if (!poolsTest() && !m_data.test.examples.empty())
        kept << tr("the %1 test rows").arg(m_data.test.examples.size());
    m_intro->setText(tr("Pools %1, then deals them again at random (the same seed always gives the same split).")
                         .arg(countOf(pooledRows(), tr("row"), tr("rows")))
                     + (kept.isEmpty() ? QString() : tr(" Keeps %1 as they are.").arg(kept.join(tr(" and ")))));
    auto *box = findChild<QDialogButtonBox *>();
    if (!box)
        return; // still being built
    auto *ok = box->button(QDialogButtonBox::Ok);
    if (valFraction() + testFraction() >= 0.95) {
        m_preview->setText(tr("Leave at least 5% of the rows for training."));
        ok->setEnabled(false);
        return;
    }
    ok->setEnabled(true);
    // The preview is the split that follows, computed by the same code.
    const prism::StudyData after = result();
    m_preview->setText(tr("Train %1 \u00b7 Val %2 \u00b7 Test %3")
                           .arg(after.train.examples.size())
                           .arg(after.val.examples.size())
                           .arg(after.test.examples.size()));
}
