#include "compare/worddiff.h"

#include <vector>

namespace {

struct Token {
    QString word; // what is matched
    QString text; // the word and the whitespace after it
};

// The code point at i, and how many QChars it takes (a surrogate pair is two).
char32_t codePointAt(const QString &text, int i, int *length)
{
    const QChar c = text.at(i);
    if (c.isHighSurrogate() && i + 1 < text.size() && text.at(i + 1).isLowSurrogate()) {
        *length = 2;
        return QChar::surrogateToUcs4(c, text.at(i + 1));
    }
    *length = 1;
    return c.unicode();
}

bool isWordCodePoint(char32_t u)
{
    // Combining marks (an accent written apart, Devanagari vowel signs) belong to their word.
    return QChar::isLetterOrNumber(u) || QChar::isMark(u) || u == U'_';
}

// An apostrophe inside a word ("don't") is part of it.
bool isInnerApostrophe(const QString &text, int i)
{
    const QChar c = text.at(i);
    return (c == QLatin1Char('\'') || c == QChar(0x2019)) && i > 0 && i + 1 < text.size()
           && text.at(i - 1).isLetterOrNumber() && text.at(i + 1).isLetterOrNumber();
}

// Where the token that starts at `start` ends: a word (letters, digits and
// their marks), or one other character (a whole emoji, with the marks after it).
int tokenEnd(const QString &text, int start)
{
    int length = 1;
    const bool word = isWordCodePoint(codePointAt(text, start, &length));
    int end = start + length;
    while (end < text.size()) {
        const char32_t next = codePointAt(text, end, &length);
        if (!(QChar::isMark(next) || (word && (isWordCodePoint(next) || isInnerApostrophe(text, end)))))
            break;
        end += length;
    }
    return end;
}

// Words and single punctuation marks, each with the whitespace after it:
// "snippet." and "snippet," share the word.
std::vector<Token> tokenize(const QString &text)
{
    std::vector<Token> tokens;
    int i = 0;
    // Leading whitespace belongs to an empty first token, so nothing is lost.
    while (i < text.size() && text.at(i).isSpace())
        ++i;
    if (i > 0)
        tokens.push_back(Token{QString(), text.left(i)});
    int start = i;
    while (start < text.size()) {
        const int end = tokenEnd(text, start);
        int next = end;
        while (next < text.size() && text.at(next).isSpace())
            ++next;
        tokens.push_back(Token{text.mid(start, end - start), text.mid(start, next - start)});
        start = next;
    }
    return tokens;
}

void append(QList<DiffSegment> &out, DiffSegment::Kind kind, const QString &text)
{
    if (text.isEmpty())
        return;
    if (!out.isEmpty() && out.last().kind == kind)
        out.last().text += text;
    else
        out.append(DiffSegment{kind, text});
}

} // namespace

QList<DiffSegment> diffWords(const QString &before, const QString &after, int maxWords)
{
    const std::vector<Token> a = tokenize(before);
    const std::vector<Token> b = tokenize(after);
    QList<DiffSegment> out;
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    if (n > static_cast<std::size_t>(maxWords) || m > static_cast<std::size_t>(maxWords)) {
        if (before == after) {
            append(out, DiffSegment::Kind::Same, before);
        } else {
            append(out, DiffSegment::Kind::Removed, before);
            append(out, DiffSegment::Kind::Added, after);
        }
        return out;
    }
    // lcs[i][j] = length of the LCS of a[i..] and b[j..], so the walk below
    // goes front to back and emits segments in reading order.
    std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
    for (std::size_t i = n; i-- > 0;)
        for (std::size_t j = m; j-- > 0;)
            lcs[i][j] = a[i].word == b[j].word ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < n && j < m) {
        if (a[i].word == b[j].word) {
            // The text of the second side keeps its own spacing.
            append(out, DiffSegment::Kind::Same, b[j].text);
            ++i;
            ++j;
        } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
            append(out, DiffSegment::Kind::Removed, a[i++].text);
        } else {
            append(out, DiffSegment::Kind::Added, b[j++].text);
        }
    }
    while (i < n)
        append(out, DiffSegment::Kind::Removed, a[i++].text);
    while (j < m)
        append(out, DiffSegment::Kind::Added, b[j++].text);
    return out;
}

namespace {

QString segmentHtml(const DiffSegment &s)
{
    QString text = s.text.toHtmlEscaped();
    text.replace(QLatin1Char('\n'), QStringLiteral("<br>"));
    switch (s.kind) {
    case DiffSegment::Kind::Same: return text;
    case DiffSegment::Kind::Removed:
        return QStringLiteral("<span style=\"background:#f9d7d3;color:#8a1c12;text-decoration:line-through\">%1</span>")
            .arg(text);
    case DiffSegment::Kind::Added:
        return QStringLiteral("<span style=\"background:#d3efd6;color:#1b5e20\">%1</span>").arg(text);
    }
    return text;
}

} // namespace

QString diffSideHtml(const QList<DiffSegment> &segments, DiffSegment::Kind side)
{
    QString html;
    for (const DiffSegment &s : segments)
        if (s.kind == DiffSegment::Kind::Same || s.kind == side)
            html += segmentHtml(s);
    return html;
}

QString diffUnifiedHtml(const QList<DiffSegment> &segments)
{
    QString html;
    for (const DiffSegment &s : segments)
        html += segmentHtml(s);
    return html;
}
