#pragma once

// A word-level diff of two texts, for the Compare page's prompt diff and the
// Monitor's GEPA iterations: which words of the instruction one side removed
// and the other added.
#include <QList>
#include <QString>

struct DiffSegment {
    enum class Kind {
        Same,    // in both texts
        Removed, // only in the first text
        Added,   // only in the second text
    };
    Kind kind = Kind::Same;
    QString text; // words with the whitespace that follows them, as in the source

    bool operator==(const DiffSegment &other) const = default;
};

// The segments of a longest-common-subsequence diff over words (runs of
// letters and digits) and punctuation marks, each on its own, so "snippet."
// and "snippet," differ only in the mark; whitespace stays attached to the
// token before it and is ignored when matching. Concatenating the Same and Added segments gives
// `after` back; Same and Removed give `before` up to whitespace (a Same
// segment carries the spacing of `after`). Adjacent segments of one kind
// are merged. Texts longer than maxWords words each are reported as one
// Removed and one Added segment (the quadratic table would be too large).
QList<DiffSegment> diffWords(const QString &before, const QString &after, int maxWords = 4000);

// The segments as HTML for one side: side Removed shows the first text with
// its removed words marked, side Added the second text with its added words
// marked. Text is HTML-escaped, newlines become <br>.
QString diffSideHtml(const QList<DiffSegment> &segments, DiffSegment::Kind side);

// Both texts in one, for a change from the first to the second: removed
// words struck through in red, added words in green, both in reading order.
QString diffUnifiedHtml(const QList<DiffSegment> &segments);
