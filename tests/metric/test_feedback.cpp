// The feedback of the built-in metrics: one sentence per field that says what
// was wrong, in the words people, reflection prompts and SimLm read
// ("expected X, got Y", "missing a, b; extra c", "correct").
#include "metric/builtin.h"

#include <gtest/gtest.h>

using namespace prism;

namespace {

Value list(std::initializer_list<Value> items)
{
    return Value(Value::List(items));
}

Program program()
{
    Predictor p;
    p.name = "answer";
    p.signature.inputs.push_back(Field{"question", Type::string(), "", ""});
    p.signature.outputs.push_back(Field{"severity", Type::enumOf({"low", "medium", "high"}), "", ""});
    p.signature.outputs.push_back(Field{"tags", Type::listOf(Type::string()), "", ""});
    p.signature.outputs.push_back(Field{"answer", Type::string(), "", ""});
    p.signature.outputs.push_back(Field{"total", Type::floating(), "", ""});
    Program out;
    out.predictors.push_back(p);
    return out;
}

Example example(const std::string &field, Value expected)
{
    Example e;
    e.values.set("question", "q");
    e.values.set(field, std::move(expected));
    e.inputKeys = {"question"};
    return e;
}

// The score and feedback of one field scored by one metric.
MetricResult scored(const FieldMetric &metric, Value expected, Value predicted)
{
    MetricSpec spec;
    spec.fields.push_back(metric);
    auto made = makeMetric(spec, program());
    EXPECT_TRUE(made.ok()) << made.error().message;
    Prediction p;
    if (!predicted.isNull())
        p.values.set(metric.field, std::move(predicted));
    auto r = made.value()->score(example(metric.field, std::move(expected)), p);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? r.value() : MetricResult{};
}

std::string feedback(const FieldMetric &metric, Value expected, Value predicted)
{
    return scored(metric, std::move(expected), std::move(predicted)).feedback;
}

FieldMetric on(const char *field, const char *metric, double tolerance = 0.0, std::string pattern = {})
{
    return FieldMetric{field, metric, 1.0, tolerance, std::move(pattern)};
}

} // namespace

TEST(MetricFeedback, ARightAnswerIsCorrect)
{
    EXPECT_EQ(feedback(on("severity", "exact"), "high", "high"), "severity: correct.");
    EXPECT_EQ(feedback(on("tags", "jaccard"), list({"a", "b"}), list({"b", "a"})), "tags: correct.");
    EXPECT_EQ(feedback(on("answer", "f1"), "The Eiffel Tower", "eiffel tower"), "answer: correct.");
    EXPECT_EQ(feedback(on("total", "numeric"), 48, "so the total is 48"), "total: correct.");
    EXPECT_EQ(feedback(on("answer", "regex", 0.0, "^\\d+$"), "x", "12"), "answer: correct.");
}

TEST(MetricFeedback, ExactNormalizedAndContainsSayExpectedAndGot)
{
    EXPECT_EQ(feedback(on("severity", "exact"), "medium", "low"), "severity: expected medium, got low.");
    EXPECT_EQ(feedback(on("answer", "normalized_exact"), "Paris", "Lyon"), "answer: expected Paris, got Lyon.");
    EXPECT_EQ(feedback(on("answer", "contains"), "Paris", "It is Lyon"), "answer: expected Paris, got It is Lyon.");
    // A field the answer lacks is "nothing"; an empty string is shown as "".
    EXPECT_EQ(feedback(on("severity", "exact"), "high", Value()), "severity: expected high, got nothing.");
    EXPECT_EQ(feedback(on("answer", "exact"), "Paris", ""), "answer: expected Paris, got \"\".");
}

TEST(MetricFeedback, RegexNamesThePattern)
{
    EXPECT_EQ(feedback(on("answer", "regex", 0.0, "^\\d+$"), "x", "twelve"),
              "answer: expected a match of /^\\d+$/, got twelve.");
}

TEST(MetricFeedback, JaccardNamesMissingAndExtraItems)
{
    const FieldMetric jaccard = on("tags", "jaccard");
    const Value expected = list({"harassment", "hate", "spam"});
    const MetricResult both = scored(jaccard, expected, list({"hate", "threat"}));
    EXPECT_DOUBLE_EQ(both.score, 0.25); // 1 shared of 4
    EXPECT_EQ(both.feedback, "tags: missing harassment, spam; extra threat.");
    EXPECT_EQ(feedback(jaccard, expected, list({"spam", "hate"})), "tags: missing harassment.");
    EXPECT_EQ(feedback(jaccard, list({"hate"}), list({"hate", "spam", "spam"})), "tags: extra spam.");
    // No answer: everything is missing and nothing was given.
    EXPECT_EQ(feedback(jaccard, list({"hate", "spam"}), list({})), "tags: missing hate, spam; got nothing.");
    EXPECT_EQ(feedback(jaccard, list({"hate"}), Value()), "tags: missing hate; got nothing.");
    // Two lists that differ only in their repeats are the same set.
    EXPECT_EQ(feedback(jaccard, list({"hate", "hate"}), list({"hate"})), "tags: correct.");
}

TEST(MetricFeedback, JaccardListsAtMostEightItems)
{
    Value::List many;
    for (int i = 0; i < 11; ++i)
        many.push_back(Value("t" + std::to_string(i)));
    EXPECT_EQ(feedback(on("tags", "jaccard"), Value(many), list({})),
              "tags: missing t0, t1, t2, t3, t4, t5, t6, t7 and 3 more; got nothing.");
}

TEST(MetricFeedback, TokenF1NamesMissingAndExtraWordsAndTheScore)
{
    const FieldMetric f1 = on("answer", "f1");
    // gold: capital of france is paris; answer: paris is big -> 2 shared words.
    const MetricResult r = scored(f1, "The capital of France is Paris.", "Paris is big");
    EXPECT_DOUBLE_EQ(r.score, 0.5);
    EXPECT_EQ(r.feedback, "answer: missing words capital, of, france; extra words big (f1 0.50).");
    // The words are the ones f1 compared: lowercase, no punctuation, no articles.
    EXPECT_EQ(feedback(f1, "Paris", "The city of PARIS!"), "answer: extra words city, of (f1 0.50).");
    EXPECT_EQ(feedback(f1, "Paris France", "Paris"), "answer: missing words france (f1 0.67).");
    // A word the label has twice and the answer once is missing once.
    EXPECT_EQ(feedback(f1, "no no", "no"), "answer: missing words no (f1 0.67).");
    EXPECT_EQ(feedback(f1, "Paris", Value()), "answer: missing words paris; got nothing (f1 0.00).");
    EXPECT_EQ(feedback(f1, "Paris", "Lyon"), "answer: missing words paris; extra words lyon (f1 0.00).");
}

TEST(MetricFeedback, NumericComparesTheNumbersItRead)
{
    const FieldMetric numeric = on("total", "numeric");
    EXPECT_EQ(feedback(numeric, 48, "so the total is 12"), "total: expected 48, got 12.");
    EXPECT_EQ(feedback(numeric, "1,234.5", 1234), "total: expected 1234.5, got 1234.");
    EXPECT_EQ(feedback(numeric, 48, "about a dozen"), "total: expected 48, got no number in about a dozen.");
    EXPECT_EQ(feedback(numeric, 48, Value()), "total: expected 48, got nothing.");
    // A tolerance is part of what was expected.
    EXPECT_EQ(feedback(on("total", "numeric", 0.5), 48, 49), "total: expected 48, got 49 (tolerance 0.5).");
    EXPECT_EQ(feedback(on("total", "numeric", 0.5), 48, 48.4), "total: correct.");
}

TEST(MetricFeedback, CompositeWritesOneSentencePerFieldInSpecOrder)
{
    MetricSpec spec;
    spec.fields.push_back(on("severity", "exact"));
    spec.fields.push_back(on("tags", "jaccard"));
    spec.fields.push_back(on("total", "numeric"));
    auto metric = makeMetric(spec, program());
    ASSERT_TRUE(metric.ok()) << metric.error().message;
    Example e = example("severity", "medium");
    e.values.set("tags", list({"harassment", "hate"}));
    e.values.set("total", 3);
    Prediction p;
    p.values.set("severity", "low");
    p.values.set("tags", list({"hate"}));
    p.values.set("total", 3);
    auto r = metric.value()->score(e, p);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->feedback, "severity: expected medium, got low. tags: missing harassment. total: correct.");

    // scoreFields gives each field's sentence on its own (the trace view's rows).
    auto fields = scoreFields(spec, program(), e, p);
    ASSERT_TRUE(fields.ok()) << fields.error().message;
    ASSERT_EQ(fields->size(), 3u);
    EXPECT_EQ((*fields)[0].feedback, "severity: expected medium, got low.");
    EXPECT_EQ((*fields)[1].feedback, "tags: missing harassment.");
    EXPECT_EQ((*fields)[2].feedback, "total: correct.");
}

TEST(MetricFeedback, UnicodeValuesAreShownWholeOrCutOnACharacter)
{
    EXPECT_EQ(feedback(on("answer", "exact"), "Zürich", "Zurich"), "answer: expected Zürich, got Zurich.");
    EXPECT_EQ(feedback(on("tags", "jaccard"), list({"日本", "中国"}), list({"日本", "한국"})),
              "tags: missing 中国; extra 한국.");
    EXPECT_EQ(feedback(on("answer", "f1"), "München Köln", "Köln"), "answer: missing words münchen (f1 0.67).");

    // 1 + 30 three-byte characters: the 60-byte cut falls inside the 20th, so
    // the shown value keeps 19 of them and never half a character.
    std::string longValue = "a";
    for (int i = 0; i < 30; ++i)
        longValue += "日";
    std::string kept = "a";
    for (int i = 0; i < 19; ++i)
        kept += "日";
    EXPECT_EQ(feedback(on("answer", "exact"), "x", Value(longValue)), "answer: expected x, got " + kept + "....");
    // Line breaks in an answer do not break the feedback's line.
    EXPECT_EQ(feedback(on("answer", "exact"), "x", "two\nlines"), "answer: expected x, got two lines.");
}

// Feedback says "correct" exactly when the field scored 1, for every metric:
// the differences are computed with the normalization the scores use.
TEST(MetricFeedback, SaysCorrectExactlyWhenTheScoreIsOne)
{
    struct Case {
        FieldMetric metric;
        Value expected;
        Value predicted;
    };
    const std::vector<Case> cases = {
        {on("severity", "exact"), "high", " high "},
        {on("severity", "exact"), "high", "High"},
        {on("answer", "normalized_exact"), "The Paris!", "paris"},
        {on("answer", "normalized_exact"), "Paris", "Paris France"},
        {on("answer", "contains"), "Paris", "it is paris."},
        {on("answer", "contains"), "cat", "concatenate"},
        {on("answer", "f1"), "a b c", "c b a"},
        {on("answer", "f1"), "b b", "b"},
        {on("answer", "f1"), "", ""},
        {on("tags", "jaccard"), list({1, 2}), list({2.0, 1})},
        {on("tags", "jaccard"), list({}), list({})},
        {on("tags", "jaccard"), list({"x"}), list({"x "})},
        {on("tags", "jaccard"), list({"x"}), list({"X"})},
        {on("total", "numeric"), 0.3, "0.1 plus 0.2 is 0.30000000000000004"},
        {on("total", "numeric", 1.0), 10, 11},
        {on("total", "numeric", 1.0), 10, 11.5},
        {on("answer", "regex", 0.0, "b+"), "x", "abba"},
        {on("answer", "regex", 0.0, "^b+$"), "x", "abba"},
    };
    for (const Case &c : cases) {
        const MetricResult r = scored(c.metric, c.expected, c.predicted);
        const bool correct = r.feedback == c.metric.field + ": correct.";
        EXPECT_EQ(correct, r.score >= 1.0) << c.metric.metric << ": " << r.score << " but " << r.feedback;
        EXPECT_EQ(r.feedback.back(), '.') << r.feedback;
    }
}
