#include "qtconvert.h"

#include "core/program.h"
#include "data/dataset.h"

#include <QLocale>
#include <QStringList>

QString valueToText(const prism::Value &value)
{
    if (value.isNull())
        return {};
    if (value.isString())
        return toQ(value.asString());
    if (value.isList()) {
        QStringList parts;
        for (const auto &item : value.asList())
            parts << valueToText(item);
        return parts.join(QStringLiteral("; "));
    }
    return toQ(value.toText());
}

QVariant valueToVariant(const prism::Value &value)
{
    if (value.isString())
        return toQ(value.asString());
    if (value.isInt())
        return QVariant::fromValue<qint64>(value.asInt());
    if (value.isFloat())
        return value.asNumber();
    if (value.isBool())
        return value.asBool();
    if (value.isList()) {
        QVariantList list;
        for (const auto &item : value.asList())
            list << valueToVariant(item);
        return list;
    }
    return {};
}

prism::Value valueFromVariant(const QVariant &variant)
{
    switch (variant.typeId()) {
    case QMetaType::UnknownType: return {};
    case QMetaType::Bool: return prism::Value(variant.toBool());
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::UInt:
    case QMetaType::ULongLong: return prism::Value(static_cast<std::int64_t>(variant.toLongLong()));
    case QMetaType::Double:
    case QMetaType::Float: return prism::Value(variant.toDouble());
    case QMetaType::QVariantList:
    case QMetaType::QStringList: {
        prism::Value::List list;
        for (const QVariant &item : variant.toList())
            list.push_back(valueFromVariant(item));
        return prism::Value(std::move(list));
    }
    default: return prism::Value(toStd(variant.toString()));
    }
}

prism::Result<prism::Value> valueFromText(const QString &text, const prism::Field &field)
{
    // An empty list is a real label (no violations); other empty cells are missing values.
    if (text.trimmed().isEmpty())
        return field.type.kind() == prism::TypeKind::List ? prism::Value(prism::Value::List{}) : prism::Value();
    // A one-field program and a one-cell table: mapRows applies the loaders'
    // conversion rules, so a cell accepts exactly what an imported file may hold.
    prism::Predictor predictor;
    predictor.signature.outputs.push_back(field);
    prism::Program program;
    program.predictors.push_back(predictor);
    prism::RawTable table;
    table.columns = {field.name};
    table.rows.push_back(prism::Fields{{field.name, prism::Value(toStd(text))}});
    prism::DatasetSource source;
    auto mapped = prism::mapRows(table, source, program, "cell");
    if (!mapped) {
        // "cell: row 1: field 'x': why" -> "why"; the table says which cell.
        std::string message = mapped.error().message;
        const std::string marker = "field '" + field.name + "': ";
        if (const auto at = message.find(marker); at != std::string::npos)
            message = message.substr(at + marker.size());
        return prism::Error::make(mapped.error().kind, message);
    }
    const prism::Value *value = mapped.value().front().values.find(field.name);
    return value ? *value : prism::Value();
}

QString countOf(long long n, const QString &singular, const QString &plural)
{
    return QLocale().toString(n) + QLatin1Char(' ') + (n == 1 ? singular : plural);
}

QString typeText(const prism::Type &type)
{
    return toQ(type.shortName());
}
