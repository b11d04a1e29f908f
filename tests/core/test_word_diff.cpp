// wordDiff: the Monitor's instruction diff from a GEPA parent to its child.
#include "core/word_diff.h"

#include <gtest/gtest.h>

using namespace prism;
using Kind = WordDiffPiece::Kind;

TEST(WordDiff, InsertedAndRemovedWordsAreMarkedInPlace)
{
    const auto pieces = wordDiff("Classify the snippet for moderation.", "Classify each snippet for spam moderation.");
    const std::vector<WordDiffPiece> expected = {
        {Kind::Same, "Classify"},    {Kind::Removed, "the"}, {Kind::Added, "each"},
        {Kind::Same, "snippet for"}, {Kind::Added, "spam"},  {Kind::Same, "moderation."},
    };
    EXPECT_EQ(pieces, expected);
}

TEST(WordDiff, EqualTextsAreOneSamePieceWhateverTheSpacing)
{
    const auto pieces = wordDiff("Answer  the\nquestion.", " Answer the question. ");
    ASSERT_EQ(pieces.size(), 1u);
    EXPECT_EQ(pieces[0], (WordDiffPiece{Kind::Same, "Answer the question."}));
}

TEST(WordDiff, EmptySidesAreAllAddedOrAllRemoved)
{
    EXPECT_EQ(wordDiff("", "Use spam."), (std::vector<WordDiffPiece>{{Kind::Added, "Use spam."}}));
    EXPECT_EQ(wordDiff("Use spam.", "  "), (std::vector<WordDiffPiece>{{Kind::Removed, "Use spam."}}));
    EXPECT_TRUE(wordDiff("", "").empty());
}

TEST(WordDiff, KeepsTheLongestCommonSubsequence)
{
    // "a b c d" -> "b d e": b and d are kept; a and c removed; e added.
    const auto pieces = wordDiff("a b c d", "b d e");
    const std::vector<WordDiffPiece> expected = {
        {Kind::Removed, "a"}, {Kind::Same, "b"}, {Kind::Removed, "c"}, {Kind::Same, "d"}, {Kind::Added, "e"}};
    EXPECT_EQ(pieces, expected);
}

TEST(WordDiff, ReplayingThePiecesGivesBothTexts)
{
    const std::string before = "Use harassment when the snippet mentions idiot or loser. Use low otherwise.";
    const std::string after = "Use harassment and medium when the snippet mentions idiot, loser or shut. Use low.";
    std::string left;
    std::string right;
    for (const auto &p : wordDiff(before, after)) {
        if (p.kind != Kind::Added)
            left += (left.empty() ? "" : " ") + p.text;
        if (p.kind != Kind::Removed)
            right += (right.empty() ? "" : " ") + p.text;
    }
    EXPECT_EQ(left, before);
    EXPECT_EQ(right, after);
}

TEST(WordDiff, VeryLongTextsFallBackToOneRemovalAndOneAddition)
{
    std::string before = "start";
    std::string after = "start";
    for (std::size_t i = 0; i <= kWordDiffMaxWords; ++i) {
        before += " x" + std::to_string(i);
        after += " y" + std::to_string(i);
    }
    before += " end";
    after += " end";
    const auto pieces = wordDiff(before, after);
    ASSERT_EQ(pieces.size(), 4u);
    EXPECT_EQ(pieces[0], (WordDiffPiece{Kind::Same, "start"}));
    EXPECT_EQ(pieces[1].kind, Kind::Removed);
    EXPECT_EQ(pieces[2].kind, Kind::Added);
    EXPECT_EQ(pieces[3], (WordDiffPiece{Kind::Same, "end"}));
}
