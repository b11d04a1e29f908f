#include "models/rowtablemodel.h"

#include "qtconvert.h"

#include "core/text.h"

#include <QBrush>
#include <QColor>
#include <QFont>

#include <algorithm>
#include <string_view>

namespace {

char foldAscii(char c)
{
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view trimmedView(std::string_view text)
{
    const auto space = [](char c) { return prism::kAsciiWhitespace.find(c) != std::string_view::npos; };
    while (!text.empty() && space(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && space(text.back()))
        text.remove_suffix(1);
    return text;
}

// The loader's rule (data/dataset.cpp): the trimmed text equals a value in any ASCII case.
// No allocation for text labels: the whole dataset is checked after each edit.
bool fitsEnum(const prism::Value &value, const prism::Type &type)
{
    if (value.isList())
        return false;
    std::string scalar;
    if (!value.isString())
        scalar = toStd(valueToText(value));
    const std::string_view text = trimmedView(value.isString() ? std::string_view(value.asString()) : scalar);
    for (const auto &allowed : type.enumValues())
        if (allowed.size() == text.size()
            && std::equal(allowed.begin(), allowed.end(), text.begin(),
                          [](char a, char b) { return foldAscii(a) == foldAscii(b); }))
            return true;
    return false;
}

// Cells whose label the current enum no longer has.
const QColor outsideEnumColor(255, 221, 153);

} // namespace

bool isOutsideEnum(const prism::Value &value, const prism::Type &type)
{
    if (value.isNull())
        return false;
    if (type.kind() == prism::TypeKind::Enum)
        return !fitsEnum(value, type);
    if (type.kind() == prism::TypeKind::List && type.element().kind() == prism::TypeKind::Enum && value.isList())
        return std::any_of(value.asList().begin(), value.asList().end(),
                           [&](const prism::Value &item) { return !fitsEnum(item, type.element()); });
    return false;
}

RowTableModel::RowTableModel(StudyDocument *document, QObject *parent)
    : QAbstractTableModel(parent), m_document(document)
{
    m_fields = m_document->dataFields();
    connect(m_document, &StudyDocument::studyChanged, this, &RowTableModel::refreshFields);
    connect(m_document, &StudyDocument::dataChanged, this, [this](Split split) {
        if (!sameSplit(split))
            return;
        beginResetModel();
        endResetModel();
    });
    connect(m_document, &StudyDocument::rowChanged, this, [this](Split split, int row) {
        if (sameSplit(split) && !m_fields.empty())
            emit dataChanged(index(row, 0), index(row, columnCount() - 1));
    });
    connect(m_document, &StudyDocument::rowsAboutToBeInserted, this, [this](Split split, int row, int count) {
        if (sameSplit(split))
            beginInsertRows({}, row, row + count - 1);
    });
    connect(m_document, &StudyDocument::rowsInserted, this, [this](Split split, int, int) {
        if (sameSplit(split))
            endInsertRows();
    });
    connect(m_document, &StudyDocument::rowsAboutToBeRemoved, this, [this](Split split, int row, int count) {
        if (sameSplit(split))
            beginRemoveRows({}, row, row + count - 1);
    });
    connect(m_document, &StudyDocument::rowsRemoved, this, [this](Split split, int, int) {
        if (sameSplit(split))
            endRemoveRows();
    });
}

void RowTableModel::setSplit(Split split)
{
    if (split == m_split)
        return;
    beginResetModel();
    m_split = split;
    endResetModel();
}

void RowTableModel::refreshFields()
{
    auto fields = m_document->dataFields();
    if (fields == m_fields)
        return;
    beginResetModel();
    m_fields = std::move(fields);
    endResetModel();
}

int RowTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_document->rowCount(m_split);
}

int RowTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_fields.size());
}

QVariant RowTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= columnCount())
        return {};
    const auto &example = m_document->examples(m_split)[static_cast<std::size_t>(index.row())];
    const prism::Field &field = m_fields[static_cast<std::size_t>(index.column())];
    switch (role) {
    case Qt::DisplayRole: {
        const prism::Value *value = example.values.find(field.name);
        if (!value)
            return {};
        // An empty list is a real label ("no violations"), not a missing one.
        if (value->isList() && value->asList().empty())
            return tr("(none)");
        QString text = valueToText(*value);
        // One line per cell keeps rows a fixed height; the tooltip has it all.
        const qsizetype newline = text.indexOf(QLatin1Char('\n'));
        if (newline >= 0)
            text = text.left(newline) + QStringLiteral(" \u2026");
        return text;
    }
    case Qt::EditRole: {
        const prism::Value *value = example.values.find(field.name);
        return value ? valueToText(*value) : QString();
    }
    case Qt::ToolTipRole: {
        const prism::Value *value = example.values.find(field.name);
        if (!value)
            return tr("No value");
        const QString text = valueToText(*value);
        if (isOutsideEnum(*value, field.type))
            return tr("\"%1\" is not one of the values of %2 (%3): this row will not load when the study is "
                      "opened again. Choose a value, or add it to the enum on the Program page.")
                .arg(text.left(200), toQ(field.name), typeText(field.type));
        return text.size() > 2000 ? text.left(2000) + QStringLiteral("\u2026") : text;
    }
    case Qt::ForegroundRole: {
        const prism::Value *value = example.values.find(field.name);
        if (value && value->isList() && value->asList().empty())
            return QBrush(QColor(130, 130, 130));
        return {};
    }
    case Qt::BackgroundRole: {
        // A missing value stands out: the evaluator cannot score such a row.
        const prism::Value *value = example.values.find(field.name);
        if (!value)
            return QBrush(QColor(253, 236, 230));
        if (isOutsideEnum(*value, field.type))
            return QBrush(outsideEnumColor);
        return {};
    }
    default: return {};
    }
}

QVariant RowTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Vertical) {
        if (role == Qt::DisplayRole)
            return section + 1;
        return {};
    }
    if (section < 0 || section >= columnCount())
        return {};
    const prism::Field &field = m_fields[static_cast<std::size_t>(section)];
    const bool input = m_document->isInputField(field.name);
    switch (role) {
    case Qt::DisplayRole: return toQ(field.name);
    case Qt::ToolTipRole: {
        QString tip =
            tr("%1 \u2014 %2, %3").arg(toQ(field.name), input ? tr("input") : tr("output"), typeText(field.type));
        if (!field.description.empty())
            tip += QLatin1Char('\n') + toQ(field.description);
        if (field.type.kind() == prism::TypeKind::List)
            tip += QLatin1Char('\n') + tr("Edit a list as \"a; b\".");
        return tip;
    }
    case Qt::FontRole: {
        if (input)
            return {};
        QFont font;
        font.setItalic(true);
        return font;
    }
    default: return {};
    }
}

Qt::ItemFlags RowTableModel::flags(const QModelIndex &index) const
{
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsSelectable | Qt::ItemIsEnabled | Qt::ItemIsEditable;
}

bool RowTableModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::EditRole || !index.isValid() || index.row() >= rowCount() || index.column() >= columnCount())
        return false;
    const prism::Field &field = m_fields[static_cast<std::size_t>(index.column())];
    auto converted = valueFromText(value.toString(), field);
    if (!converted) {
        emit editRejected(
            tr("Row %1, %2: %3").arg(index.row() + 1).arg(toQ(field.name), toQ(converted.error().message)));
        return false;
    }
    prism::Example example = m_document->examples(m_split)[static_cast<std::size_t>(index.row())];
    if (converted.value().isNull())
        example.values.erase(field.name);
    else
        example.values.set(field.name, converted.value());
    m_document->setRow(m_split, index.row(), example,
                       tr("Edit %1 in row %2").arg(toQ(field.name)).arg(index.row() + 1));
    return true;
}
