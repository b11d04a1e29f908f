#include "metric/builtin.h"

#include <gtest/gtest.h>

using namespace prism;

namespace {

Value list(std::initializer_list<Value> items)
{
    return Value(Value::List(items));
}

Program moderationProgram()
{
    Predictor p;
    p.name = "classify";
    p.signature.inputs.push_back(Field{"snippet", Type::string(), "", ""});
    p.signature.outputs.push_back(Field{"severity", Type::enumOf({"low", "medium", "high"}), "", ""});
    p.signature.outputs.push_back(
        Field{"policy_violations", Type::listOf(Type::enumOf({"harassment", "hate", "spam"})), "", ""});
    Program program;
    program.predictors.push_back(p);
    return program;
}

MetricSpec moderationSpec(double severityWeight = 1.0, double violationsWeight = 1.0)
{
    MetricSpec spec;
    spec.fields.push_back(FieldMetric{"severity", "exact", severityWeight, 0.0, {}});
    spec.fields.push_back(FieldMetric{"policy_violations", "jaccard", violationsWeight, 0.0, {}});
    return spec;
}

Example moderationExample(const char *severity, Value violations)
{
    Example e;
    e.values.set("snippet", "You are an idiot and a bigot.");
    e.values.set("severity", severity);
    e.values.set("policy_violations", std::move(violations));
    e.inputKeys = {"snippet"};
    return e;
}

Prediction prediction(Fields values)
{
    Prediction p;
    p.values = std::move(values);
    return p;
}

} // namespace

TEST(ExactMatch, TrimsStringsButKeepsCase)
{
    EXPECT_EQ(exactMatch("medium", "  medium\n"), 1.0);
    EXPECT_EQ(exactMatch("medium", "Medium"), 0.0);
    EXPECT_EQ(exactMatch("medium", "low"), 0.0);
}

TEST(ExactMatch, NumbersCompareByValueAcrossIntAndFloat)
{
    EXPECT_EQ(exactMatch(Value(3), Value(3.0)), 1.0);
    EXPECT_EQ(exactMatch(Value(3), Value(3.5)), 0.0);
    // A string is not a number: exact means the same kind of value.
    EXPECT_EQ(exactMatch(Value("3"), Value(3)), 0.0);
    EXPECT_EQ(exactMatch(Value(true), Value(true)), 1.0);
}

TEST(ExactMatch, ListsCompareAsSets)
{
    EXPECT_EQ(exactMatch(list({"a", "b"}), list({"b", "a", "a"})), 1.0);
    EXPECT_EQ(exactMatch(list({"a"}), list({"a", "b"})), 0.0);
    EXPECT_EQ(exactMatch(list({}), list({})), 1.0);
}

TEST(NormalizedExactMatch, IgnoresCasePunctuationArticlesAndSpaces)
{
    EXPECT_EQ(normalizedExactMatch("The Eiffel Tower!", "eiffel   tower"), 1.0);
    EXPECT_EQ(normalizedExactMatch("an apple", "Apple."), 1.0);
    EXPECT_EQ(normalizedExactMatch("don't", "dont"), 1.0);
    EXPECT_EQ(normalizedExactMatch("apple pie", "apple"), 0.0);
    // "theater" starts with "the" but is not the article.
    EXPECT_EQ(normalizedExactMatch("theater", "ater"), 0.0);
}

TEST(TokenF1, SquadStyle)
{
    // 2 common tokens; precision 2/4, recall 2/2 -> 2 * 0.5 * 1 / 1.5.
    EXPECT_NEAR(tokenF1("Maurice Koechlin", "Maurice Koechlin made them"), 2.0 / 3.0, 1e-12);
    // Counts clip: gold {x, y, y}, predicted {y, y, y}: 2 common, p = r = 2/3.
    EXPECT_NEAR(tokenF1("x y y", "y y y"), 2.0 / 3.0, 1e-12);
    EXPECT_EQ(tokenF1("Mara Lind", "mara lind."), 1.0);
    EXPECT_EQ(tokenF1("Mara Lind", "Gull Point"), 0.0);
}

TEST(TokenF1, EmptyOnBothSidesIsPerfect)
{
    EXPECT_EQ(tokenF1("", ""), 1.0);
    EXPECT_EQ(tokenF1("the", "a"), 1.0); // both normalize to nothing
    EXPECT_EQ(tokenF1("Mainz", ""), 0.0);
    EXPECT_EQ(tokenF1("", "Mainz"), 0.0);
}

TEST(SetJaccard, ListsAsSets)
{
    EXPECT_EQ(setJaccard(list({"harassment", "hate"}), list({"hate"})), 0.5);
    EXPECT_EQ(setJaccard(list({"a", "a"}), list({"a"})), 1.0);
    EXPECT_NEAR(setJaccard(list({"a", "b"}), list({"b", "c"})), 1.0 / 3.0, 1e-12);
    EXPECT_EQ(setJaccard(list({}), list({})), 1.0);
    EXPECT_EQ(setJaccard(list({}), list({"spam"})), 0.0);
}

TEST(SetJaccard, ScalarsAreOneElementSets)
{
    EXPECT_EQ(setJaccard(Value("a"), list({"a", "b"})), 0.5);
    EXPECT_EQ(setJaccard(Value("a"), Value("a")), 1.0);
    EXPECT_EQ(setJaccard(Value("a"), Value("b")), 0.0);
}

TEST(NumericMatch, ParsesNumbersFromStrings)
{
    EXPECT_EQ(numericMatch(Value(42), Value("42"), 0.0), 1.0);
    EXPECT_EQ(numericMatch(Value(-2), Value(" -2 "), 0.0), 1.0);
    EXPECT_EQ(numericMatch(Value(1234), Value("1,234"), 0.0), 1.0);
    EXPECT_EQ(numericMatch(Value(42), Value("So the total is 42."), 0.0), 1.0);
    // The last number of a text is its answer, not the first.
    EXPECT_EQ(numericMatch(Value(5), Value("3 apples plus 2 apples make 5"), 0.0), 1.0);
    EXPECT_EQ(numericMatch(Value(3), Value("3 apples plus 2 apples make 5"), 0.0), 0.0);
    EXPECT_EQ(numericMatch(Value(42), Value("no number here"), 0.0), 0.0);
    EXPECT_EQ(numericMatch(Value(1), Value(true), 0.0), 0.0);
}

TEST(NumericMatch, Tolerance)
{
    EXPECT_EQ(numericMatch(Value(3), Value(3.04), 0.05), 1.0);
    EXPECT_EQ(numericMatch(Value(3), Value(3.04), 0.01), 0.0);
    EXPECT_EQ(numericMatch(Value(3), Value(3.0), 0.0), 1.0);
    // Floating-point noise is not a wrong answer.
    EXPECT_EQ(numericMatch(Value(0.3), Value(0.1 + 0.2), 0.0), 1.0);
}

TEST(ContainsMatch, NormalizedWholeTokens)
{
    EXPECT_EQ(containsMatch("Mara Lind", "It was built by Mara Lind in 1874."), 1.0);
    EXPECT_EQ(containsMatch("Paris", "paris, France"), 1.0);
    EXPECT_EQ(containsMatch("cat", "concatenate"), 0.0);
    EXPECT_EQ(containsMatch("Mara Lind", "Mara built it"), 0.0);
    // A blank label does not make every answer right.
    EXPECT_EQ(containsMatch("", "anything"), 0.0);
}

TEST(RegexMatch, SearchesAndRejectsBadPatterns)
{
    auto yes = regexMatch("^\\d{4}$", "1874");
    ASSERT_TRUE(yes.ok());
    EXPECT_EQ(yes.value(), 1.0);
    auto no = regexMatch("^\\d{4}$", "year 1874");
    ASSERT_TRUE(no.ok());
    EXPECT_EQ(no.value(), 0.0);
    auto inside = regexMatch("\\d{4}", "year 1874");
    ASSERT_TRUE(inside.ok());
    EXPECT_EQ(inside.value(), 1.0);

    auto bad = regexMatch("(unclosed", "x");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().kind, ErrorKind::Config);
    EXPECT_NE(bad.error().message.find("(unclosed"), std::string::npos);
}

TEST(CompositeMetric, ModerationAveragesSeverityExactAndViolationsJaccard)
{
    auto metric = makeMetric(moderationSpec(), moderationProgram());
    ASSERT_TRUE(metric.ok()) << metric.error().message;
    const Example e = moderationExample("medium", list({"harassment", "hate"}));

    // severity 0, violations 1/2 -> (0 + 0.5) / 2.
    auto partly = metric.value()->score(e, prediction({{"severity", "low"}, {"policy_violations", list({"hate"})}}));
    ASSERT_TRUE(partly.ok()) << partly.error().message;
    EXPECT_DOUBLE_EQ(partly->score, 0.25);
    EXPECT_EQ(partly->feedback, "severity: expected medium, got low. policy_violations: missing harassment.");

    auto right = metric.value()->score(
        e, prediction({{"severity", "medium"}, {"policy_violations", list({"hate", "harassment"})}}));
    ASSERT_TRUE(right.ok());
    EXPECT_DOUBLE_EQ(right->score, 1.0);
    EXPECT_EQ(right->feedback, "severity: correct. policy_violations: correct.");
}

TEST(CompositeMetric, WeightsAreNormalized)
{
    auto metric = makeMetric(moderationSpec(3.0, 1.0), moderationProgram());
    ASSERT_TRUE(metric.ok());
    const Example e = moderationExample("medium", list({"harassment", "hate"}));
    // 0.75 * severity + 0.25 * jaccard(0.5).
    auto wrongSeverity =
        metric.value()->score(e, prediction({{"severity", "low"}, {"policy_violations", list({"hate"})}}));
    ASSERT_TRUE(wrongSeverity.ok());
    EXPECT_DOUBLE_EQ(wrongSeverity->score, 0.125);
    auto rightSeverity =
        metric.value()->score(e, prediction({{"severity", "medium"}, {"policy_violations", list({"hate"})}}));
    ASSERT_TRUE(rightSeverity.ok());
    EXPECT_DOUBLE_EQ(rightSeverity->score, 0.875);

    // A zero weight removes a field from the score.
    auto severityOnly = makeMetric(moderationSpec(1.0, 0.0), moderationProgram());
    ASSERT_TRUE(severityOnly.ok());
    auto s = severityOnly.value()->score(e, prediction({{"severity", "medium"}, {"policy_violations", list({})}}));
    ASSERT_TRUE(s.ok());
    EXPECT_DOUBLE_EQ(s->score, 1.0);
}

TEST(CompositeMetric, MissingPredictedFieldScoresZeroAndSaysSo)
{
    auto metric = makeMetric(moderationSpec(), moderationProgram());
    ASSERT_TRUE(metric.ok());
    const Example e = moderationExample("high", list({"hate"}));
    auto r = metric.value()->score(e, prediction({{"policy_violations", list({"hate"})}}));
    ASSERT_TRUE(r.ok());
    EXPECT_DOUBLE_EQ(r->score, 0.5);
    EXPECT_EQ(r->feedback, "severity: expected high, got nothing. policy_violations: correct.");
}

TEST(CompositeMetric, PredictionErrorIsAnErrorNotAZero)
{
    auto metric = makeMetric(moderationSpec(), moderationProgram());
    ASSERT_TRUE(metric.ok());
    Prediction failed;
    failed.error = Error::make(ErrorKind::Parse, "no severity in the answer");
    auto r = metric.value()->score(moderationExample("low", list({})), failed);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::Parse);
}

TEST(CompositeMetric, ExampleWithoutLabelIsAnError)
{
    auto metric = makeMetric(moderationSpec(), moderationProgram());
    ASSERT_TRUE(metric.ok());
    Example e = moderationExample("low", list({}));
    e.values.erase("severity");
    auto r = metric.value()->score(e, prediction({{"severity", "low"}, {"policy_violations", list({})}}));
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("severity"), std::string::npos);
}

TEST(MakeMetric, RejectsBadSpecs)
{
    const Program program = moderationProgram();

    MetricSpec zero = moderationSpec(0.0, 0.0);
    auto r1 = makeMetric(zero, program);
    ASSERT_FALSE(r1.ok());
    EXPECT_EQ(r1.error().kind, ErrorKind::Config);

    MetricSpec unknown = moderationSpec();
    unknown.fields[0].metric = "bleu";
    auto r2 = makeMetric(unknown, program);
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(r2.error().kind, ErrorKind::Config);
    EXPECT_NE(r2.error().message.find("bleu"), std::string::npos);
    for (const char *name : {"exact", "normalized_exact", "f1", "jaccard", "numeric", "contains", "regex"})
        EXPECT_NE(r2.error().message.find(name), std::string::npos) << name;

    MetricSpec notOutput = moderationSpec();
    notOutput.fields[0].field = "snippet"; // an input, not an output
    auto r3 = makeMetric(notOutput, program);
    ASSERT_FALSE(r3.ok());
    EXPECT_NE(r3.error().message.find("'snippet'"), std::string::npos);

    MetricSpec badRegex;
    badRegex.fields.push_back(FieldMetric{"severity", "regex", 1.0, 0.0, "[a-"});
    auto r4 = makeMetric(badRegex, program);
    ASSERT_FALSE(r4.ok());
    EXPECT_EQ(r4.error().kind, ErrorKind::Config);

    MetricSpec script;
    script.kind = "script";
    script.script = "function metric(example, pred, trace) { return 1; }";
    auto r5 = makeMetric(script, program);
    ASSERT_FALSE(r5.ok());
    EXPECT_EQ(r5.error().kind, ErrorKind::Config);
    EXPECT_NE(r5.error().message.find("prism_scripting"), std::string::npos);

    MetricSpec negative = moderationSpec(-1.0, 1.0);
    EXPECT_FALSE(makeMetric(negative, program).ok());
}

TEST(MakeMetric, RegexFieldScoresAgainstPattern)
{
    MetricSpec spec;
    spec.fields.push_back(FieldMetric{"severity", "regex", 1.0, 0.0, "^(medium|high)$"});
    auto metric = makeMetric(spec, moderationProgram());
    ASSERT_TRUE(metric.ok());
    const Example e = moderationExample("medium", list({}));
    auto high = metric.value()->score(e, prediction({{"severity", "high"}}));
    ASSERT_TRUE(high.ok());
    EXPECT_EQ(high->score, 1.0);
    auto low = metric.value()->score(e, prediction({{"severity", "low"}}));
    ASSERT_TRUE(low.ok());
    EXPECT_EQ(low->score, 0.0);
}
