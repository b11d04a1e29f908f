#pragma once

#include <QRegularExpression>
#include <QSyntaxHighlighter>
#include <QTextCharFormat>

#include <vector>

class QTextDocument;

// JavaScript colouring for the metric editor: keywords, literals, strings
// (single, double and back-quoted on one line), numbers, comments (line and
// block comments across lines) and the standard library's global names.
class JsHighlighter final : public QSyntaxHighlighter {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JsHighlighter)

public:
    explicit JsHighlighter(QTextDocument *document);

    // The formats, for tests and for a theme to adjust.
    enum class Role {
        Keyword,
        Literal,
        Builtin,
        Number,
        String,
        Comment,
    };
    QTextCharFormat format(Role role) const;

protected:
    void highlightBlock(const QString &text) override;

private:
    struct Rule {
        QRegularExpression pattern;
        Role role;
    };
    std::vector<Rule> m_rules;
    QTextCharFormat m_formats[6];
};
