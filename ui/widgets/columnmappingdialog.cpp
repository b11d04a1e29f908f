#include "widgets/columnmappingdialog.h"

#include "qtconvert.h"

#include <QButtonGroup>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QRadioButton>
#include <QVBoxLayout>

namespace {

QString squashed(const QString &name)
{
    QString out;
    for (QChar c : name)
        if (c.isLetterOrNumber())
            out += c.toLower();
    return out;
}

} // namespace

const char *ColumnMappingDialog::unmappedColumn()
{
    return "\x1f(not imported)";
}

QString ColumnMappingDialog::bestColumn(const QString &field, const QStringList &columns)
{
    if (columns.contains(field))
        return field;
    for (const QString &c : columns)
        if (c.compare(field, Qt::CaseInsensitive) == 0)
            return c;
    // "Policy Violations" or "policy-violations" for policy_violations.
    for (const QString &c : columns)
        if (squashed(c) == squashed(field))
            return c;
    return {};
}

ColumnMappingDialog::ColumnMappingDialog(std::vector<FieldSlot> fieldSlots, const QStringList &columns,
                                         const QString &fileName, int rowCount, Split split, QWidget *parent)
    : QDialog(parent), m_slots(std::move(fieldSlots))
{
    setObjectName(QStringLiteral("columnMappingDialog"));
    setWindowTitle(tr("Import %1").arg(fileName));
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("%1 in <b>%2</b>. Choose the column that holds each field.")
                                 .arg(countOf(rowCount, tr("row"), tr("rows")), fileName.toHtmlEscaped()),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto *fieldsBox = new QGroupBox(tr("Columns"), this);
    auto *form = new QFormLayout(fieldsBox);
    for (const auto &slot : m_slots) {
        auto *combo = new QComboBox(fieldsBox);
        combo->setObjectName(QStringLiteral("column_") + toQ(slot.field.name));
        combo->addItem(slot.required ? tr("(choose a column)") : tr("(not imported)"), QString());
        for (const QString &c : columns)
            combo->addItem(c, c);
        const QString best = bestColumn(toQ(slot.field.name), columns);
        if (!best.isEmpty())
            combo->setCurrentIndex(combo->findData(best));
        connect(combo, &QComboBox::currentIndexChanged, this, &ColumnMappingDialog::validate);
        const QString role = slot.input ? tr("input") : slot.required ? tr("label") : tr("optional");
        auto *label =
            new QLabel(QStringLiteral("<b>%1</b> <span style='color:gray'>(%2, %3)</span>")
                           .arg(toQ(slot.field.name).toHtmlEscaped(), role, typeText(slot.field.type).toHtmlEscaped()),
                       fieldsBox);
        label->setBuddy(combo);
        if (!slot.field.description.empty())
            label->setToolTip(toQ(slot.field.description));
        form->addRow(label, combo);
        m_combos.push_back(combo);
    }
    layout->addWidget(fieldsBox);

    auto *targetBox = new QGroupBox(tr("Destination"), this);
    auto *target = new QFormLayout(targetBox);
    m_split = new QComboBox(targetBox);
    m_split->setObjectName(QStringLiteral("importSplit"));
    for (Split s : allSplits)
        m_split->addItem(splitTitle(s), static_cast<int>(s));
    m_split->setCurrentIndex(static_cast<int>(split));
    target->addRow(tr("Split:"), m_split);
    auto *modeRow = new QWidget(targetBox);
    auto *modeLayout = new QHBoxLayout(modeRow);
    modeLayout->setContentsMargins(0, 0, 0, 0);
    m_append = new QRadioButton(tr("Add to the split"), modeRow);
    m_append->setObjectName(QStringLiteral("importAppend"));
    m_replace = new QRadioButton(tr("Replace its rows"), modeRow);
    m_replace->setObjectName(QStringLiteral("importReplace"));
    m_append->setChecked(true);
    modeLayout->addWidget(m_append);
    modeLayout->addWidget(m_replace);
    modeLayout->addStretch(1);
    target->addRow(tr("Rows:"), modeRow);
    layout->addWidget(targetBox);

    m_hint = new QLabel(this);
    m_hint->setWordWrap(true);
    m_hint->setStyleSheet(QStringLiteral("color: #a02010;"));
    layout->addWidget(m_hint);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Import"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(m_buttons);
    validate();
}

void ColumnMappingDialog::validate()
{
    QStringList missing;
    for (std::size_t i = 0; i < m_slots.size(); ++i)
        if (m_slots[i].required && m_combos[i]->currentData().toString().isEmpty())
            missing << toQ(m_slots[i].field.name);
    m_hint->setText(missing.isEmpty() ? QString()
                                      : tr("Choose a column for: %1").arg(missing.join(QStringLiteral(", "))));
    m_hint->setVisible(!missing.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(missing.isEmpty());
}

std::map<std::string, std::string> ColumnMappingDialog::mapping() const
{
    std::map<std::string, std::string> out;
    for (std::size_t i = 0; i < m_slots.size(); ++i) {
        const QString column = m_combos[i]->currentData().toString();
        out[m_slots[i].field.name] = column.isEmpty() ? std::string(unmappedColumn()) : toStd(column);
    }
    return out;
}

Split ColumnMappingDialog::split() const
{
    return static_cast<Split>(m_split->currentData().toInt());
}

bool ColumnMappingDialog::replaceSplit() const
{
    return m_replace->isChecked();
}

QComboBox *ColumnMappingDialog::comboFor(const QString &field) const
{
    for (std::size_t i = 0; i < m_slots.size(); ++i)
        if (toQ(m_slots[i].field.name) == field)
            return m_combos[i];
    return nullptr;
}
