#include "widgets/jshighlighter.h"

#include <QColor>
#include <QFont>
#include <QStringList>

#include <algorithm>

namespace {

enum BlockState {
    Normal = 0,
    InBlockComment = 1,
};

QRegularExpression wordsPattern(const QStringList &words)
{
    return QRegularExpression(QStringLiteral("\\b(?:%1)\\b").arg(words.join(QLatin1Char('|'))));
}

} // namespace

JsHighlighter::JsHighlighter(QTextDocument *document) : QSyntaxHighlighter(document)
{
    // Colours readable on light and dark backgrounds alike.
    m_formats[int(Role::Keyword)].setForeground(QColor(0x1f, 0x6f, 0xc5));
    m_formats[int(Role::Keyword)].setFontWeight(QFont::Bold);
    m_formats[int(Role::Literal)].setForeground(QColor(0xa3, 0x4b, 0xc9));
    m_formats[int(Role::Builtin)].setForeground(QColor(0x16, 0x8a, 0x8a));
    m_formats[int(Role::Number)].setForeground(QColor(0xc0, 0x6a, 0x00));
    m_formats[int(Role::String)].setForeground(QColor(0x3a, 0x8f, 0x2e));
    m_formats[int(Role::Comment)].setForeground(QColor(0x80, 0x80, 0x80));
    m_formats[int(Role::Comment)].setFontItalic(true);

    const QStringList keywords = {
        QStringLiteral("break"),    QStringLiteral("case"),     QStringLiteral("catch"),   QStringLiteral("class"),
        QStringLiteral("const"),    QStringLiteral("continue"), QStringLiteral("default"), QStringLiteral("delete"),
        QStringLiteral("do"),       QStringLiteral("else"),     QStringLiteral("finally"), QStringLiteral("for"),
        QStringLiteral("function"), QStringLiteral("if"),       QStringLiteral("in"),      QStringLiteral("instanceof"),
        QStringLiteral("let"),      QStringLiteral("new"),      QStringLiteral("of"),      QStringLiteral("return"),
        QStringLiteral("switch"),   QStringLiteral("this"),     QStringLiteral("throw"),   QStringLiteral("try"),
        QStringLiteral("typeof"),   QStringLiteral("var"),      QStringLiteral("void"),    QStringLiteral("while"),
    };
    const QStringList literals = {QStringLiteral("true"),      QStringLiteral("false"), QStringLiteral("null"),
                                  QStringLiteral("undefined"), QStringLiteral("NaN"),   QStringLiteral("Infinity")};
    const QStringList builtins = {QStringLiteral("Math"),       QStringLiteral("JSON"),    QStringLiteral("Object"),
                                  QStringLiteral("Array"),      QStringLiteral("String"),  QStringLiteral("Number"),
                                  QStringLiteral("Set"),        QStringLiteral("Map"),     QStringLiteral("RegExp"),
                                  QStringLiteral("Error"),      QStringLiteral("Boolean"), QStringLiteral("parseInt"),
                                  QStringLiteral("parseFloat"), QStringLiteral("isNaN"),   QStringLiteral("isFinite")};
    m_rules.push_back({wordsPattern(keywords), Role::Keyword});
    m_rules.push_back({wordsPattern(literals), Role::Literal});
    m_rules.push_back({wordsPattern(builtins), Role::Builtin});
    m_rules.push_back({QRegularExpression(QStringLiteral(
                           "\\b(?:0[xX][0-9a-fA-F]+|\\d+(?:\\.\\d*)?(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?)\\b")),
                       Role::Number});
}

QTextCharFormat JsHighlighter::format(Role role) const
{
    return m_formats[int(role)];
}

void JsHighlighter::highlightBlock(const QString &text)
{
    for (const Rule &rule : m_rules) {
        auto it = rule.pattern.globalMatch(text);
        while (it.hasNext()) {
            const auto match = it.next();
            setFormat(int(match.capturedStart()), int(match.capturedLength()), m_formats[int(rule.role)]);
        }
    }

    // Strings and comments win over the word rules, and hide each other: scan
    // once, left to right, so "//" inside a string and quotes inside a comment
    // are left alone.
    const QTextCharFormat &stringFormat = m_formats[int(Role::String)];
    const QTextCharFormat &commentFormat = m_formats[int(Role::Comment)];
    const int n = int(text.size());
    int i = 0;
    setCurrentBlockState(Normal);
    if (previousBlockState() == InBlockComment) {
        const int end = int(text.indexOf(QStringLiteral("*/")));
        if (end < 0) {
            setFormat(0, n, commentFormat);
            setCurrentBlockState(InBlockComment);
            return;
        }
        setFormat(0, end + 2, commentFormat);
        i = end + 2;
    }
    while (i < n) {
        const QChar c = text.at(i);
        if (c == QLatin1Char('/') && i + 1 < n && text.at(i + 1) == QLatin1Char('/')) {
            setFormat(i, n - i, commentFormat);
            return;
        }
        if (c == QLatin1Char('/') && i + 1 < n && text.at(i + 1) == QLatin1Char('*')) {
            const int end = int(text.indexOf(QStringLiteral("*/"), i + 2));
            if (end < 0) {
                setFormat(i, n - i, commentFormat);
                setCurrentBlockState(InBlockComment);
                return;
            }
            setFormat(i, end + 2 - i, commentFormat);
            i = end + 2;
            continue;
        }
        if (c == QLatin1Char('"') || c == QLatin1Char('\'') || c == QLatin1Char('`')) {
            int j = i + 1;
            while (j < n && text.at(j) != c)
                j += text.at(j) == QLatin1Char('\\') ? 2 : 1;
            const int end = std::min(j + 1, n);
            setFormat(i, end - i, stringFormat);
            i = end;
            continue;
        }
        ++i;
    }
}
