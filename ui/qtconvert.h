#pragma once

#include "core/result.h"
#include "core/signature.h"
#include "core/value.h"

#include <QString>
#include <QVariant>

#include <string>

// Conversions between Qt and engine types, at the edge of the UI. Parsing of
// cell text goes through the engine's own loader rules (data/dataset.h).

inline QString toQ(const std::string &text)
{
    return QString::fromStdString(text);
}

inline std::string toStd(const QString &text)
{
    return text.toStdString();
}

// The text a cell shows and edits: strings as they are, numbers in shortest
// form, bools true/false, lists as "a; b", null as "".
QString valueToText(const prism::Value &value);

// For sorting and for QVariant-based code: string, qint64, double, bool or a
// QVariantList; null is an invalid QVariant.
QVariant valueToVariant(const prism::Value &value);
prism::Value valueFromVariant(const QVariant &variant);

// Converts edited text to a value of the field's type with the rules the
// dataset loaders use (enum spelling, "yes"/"1" for bools, lists split on
// ';'). Empty text is a null value. The error says what was expected.
prism::Result<prism::Value> valueFromText(const QString &text, const prism::Field &field);

// "1 row", "12 rows", "1,024 rows": English plurals without a translation
// file (tr's %n would show "row(s)" untranslated).
QString countOf(long long n, const QString &singular, const QString &plural);

// "str", "enum[low,medium,high]", "list[str]".
QString typeText(const prism::Type &type);
