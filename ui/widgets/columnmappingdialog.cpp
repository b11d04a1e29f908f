#include "widgets/columnmappingdialog.h"

#include "qtconvert.h"

#include "data/schema_guess.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QRadioButton>
#include <QTableWidget>
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
    m_layout = layout;
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
    m_target = target;
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
    if (m_preview && missing.isEmpty())
        updatePreview();
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

namespace {

constexpr int kPreviewRows = 20;

} // namespace

void ColumnMappingDialog::setPreview(const prism::RawTable &table, const prism::Program &program,
                                     const std::string &sourceName)
{
    if (m_preview)
        return;
    m_table = table;
    m_program = program;
    m_sourceName = sourceName;
    m_layout->insertWidget(m_layout->indexOf(m_hint), buildPreview());

    m_routeAll = new QRadioButton(tr("All rows into the split above"), this);
    m_routeAll->setObjectName(QStringLiteral("routeAll"));
    m_routeByColumn = new QRadioButton(tr("By the column"), this);
    m_routeByColumn->setObjectName(QStringLiteral("routeByColumn"));
    m_splitColumn = new QComboBox(this);
    m_splitColumn->setObjectName(QStringLiteral("splitColumn"));
    for (const auto &c : table.columns)
        m_splitColumn->addItem(toQ(c), toQ(c));
    auto *route = new QWidget(this);
    auto *routeLayout = new QHBoxLayout(route);
    routeLayout->setContentsMargins(0, 0, 0, 0);
    routeLayout->addWidget(m_routeAll);
    routeLayout->addWidget(m_routeByColumn);
    routeLayout->addWidget(m_splitColumn);
    routeLayout->addStretch(1);
    m_target->insertRow(1, tr("Route:"), route);
    if (const auto found = prism::detectSplitColumn(table)) {
        m_splitColumn->setCurrentIndex(m_splitColumn->findData(toQ(found->column)));
        m_routeByColumn->setChecked(true);
    } else {
        m_routeAll->setChecked(true);
    }
    auto update = [this] {
        m_split->setEnabled(m_routeAll->isChecked());
        m_splitColumn->setEnabled(m_routeByColumn->isChecked());
        validate();
    };
    connect(m_routeByColumn, &QRadioButton::toggled, this, update);
    connect(m_splitColumn, &QComboBox::currentIndexChanged, this, update);
    connect(m_skip, &QCheckBox::toggled, this, &ColumnMappingDialog::validate);
    update();
}

QWidget *ColumnMappingDialog::buildPreview()
{
    auto *box = new QGroupBox(tr("Preview"), this);
    auto *layout = new QVBoxLayout(box);
    m_preview = new QTableWidget(box);
    m_preview->setObjectName(QStringLiteral("importPreview"));
    m_preview->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_preview->setWordWrap(false);
    const int shown = std::min<int>(kPreviewRows, static_cast<int>(m_table.rows.size()));
    m_preview->setRowCount(shown);
    m_preview->setColumnCount(static_cast<int>(m_table.columns.size()));
    QStringList headers, lines;
    for (const auto &c : m_table.columns)
        headers << toQ(c);
    m_preview->setHorizontalHeaderLabels(headers);
    for (int r = 0; r < shown; ++r) {
        const auto row = static_cast<std::size_t>(r);
        lines << QString::number(row < m_table.lineNumbers.size() ? m_table.lineNumbers[row] : r + 1);
        for (std::size_t c = 0; c < m_table.columns.size(); ++c) {
            const prism::Value *v = m_table.rows[row].find(m_table.columns[c]);
            m_preview->setItem(r, static_cast<int>(c), new QTableWidgetItem(v ? valueToText(*v).left(200) : QString()));
        }
    }
    m_preview->setVerticalHeaderLabels(lines);
    m_preview->resizeColumnsToContents();
    for (int c = 0; c < m_preview->columnCount(); ++c)
        m_preview->setColumnWidth(c, std::min(m_preview->columnWidth(c), fontMetrics().averageCharWidth() * 36));
    m_preview->setMinimumHeight(fontMetrics().height() * 6);
    m_preview->setMaximumHeight(fontMetrics().height() * 12);
    layout->addWidget(m_preview);
    m_skip = new QCheckBox(box);
    m_skip->setObjectName(QStringLiteral("skipBadRows"));
    layout->addWidget(m_skip);
    return box;
}

// The rows that do not fit with the current mapping, counted by the engine's
// own mapping: red cells in the preview, the count on the skip box.
void ColumnMappingDialog::updatePreview()
{
    prism::DatasetSource source;
    source.columns = mapping();
    const auto rows = prism::mapRowsLenient(m_table, source, m_program, m_sourceName);
    m_problems = rows ? rows->problems : std::vector<prism::RowProblem>{};
    for (int r = 0; r < m_preview->rowCount(); ++r)
        for (int c = 0; c < m_preview->columnCount(); ++c) {
            QTableWidgetItem *item = m_preview->item(r, c);
            item->setBackground(QBrush());
            item->setToolTip(QString());
        }
    const auto columns = mapping();
    const auto columnIndex = [this, &columns](const std::string &field) {
        const auto it = columns.find(field);
        const auto at = it == columns.end() ? m_table.columns.end()
                                            : std::find(m_table.columns.begin(), m_table.columns.end(), it->second);
        return at == m_table.columns.end() ? -1 : static_cast<int>(at - m_table.columns.begin());
    };
    QStringList lines;
    for (const auto &p : m_problems) {
        lines << QString::number(p.line);
        const int column = columnIndex(p.field);
        if (static_cast<int>(p.row) < m_preview->rowCount() && column >= 0) {
            QTableWidgetItem *item = m_preview->item(static_cast<int>(p.row), column);
            item->setBackground(QColor(0xf8, 0xd7, 0xd3));
            item->setToolTip(toQ(p.message));
        }
    }
    const int bad = static_cast<int>(m_problems.size());
    m_skip->setVisible(bad > 0);
    if (bad > 0) {
        const QStringList shown = lines.mid(0, 8);
        m_skip->setText(tr("Skip the %1 that do not fit (line %2%3)")
                            .arg(countOf(bad, tr("row"), tr("rows")), shown.join(QStringLiteral(", ")),
                                 lines.size() > shown.size() ? QStringLiteral(", \u2026") : QString()));
    }
    if (m_routeByColumn->isChecked()) {
        auto splits = prism::splitsFromColumn(m_table, toStd(splitColumn()), m_sourceName);
        if (!splits) {
            m_hint->setText(toQ(splits.error().message));
            m_hint->setVisible(true);
            m_buttons->button(QDialogButtonBox::Ok)->setEnabled(false);
        }
    }
}

bool ColumnMappingDialog::skipBadRows() const
{
    return m_skip && !m_problems.empty() && m_skip->isChecked();
}

QString ColumnMappingDialog::splitColumn() const
{
    return m_routeByColumn && m_routeByColumn->isChecked() ? m_splitColumn->currentData().toString() : QString();
}
