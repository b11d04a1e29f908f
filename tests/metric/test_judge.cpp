// LLM-as-judge metrics (study metric kind "judge"): what the judge is shown,
// the cheaper metric that decides first, the memo that judges one answer once,
// the verdict's feedback, and SimLm judging through Prism's judge signature.
#include "adapter/adapter.h"
#include "core/json.h"
#include "core/study.h"
#include "eval/lm_judge.h"
#include "metric/builtin.h"
#include "metric/judge.h"
#include "sim/simlm.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

using namespace prism;

namespace {

Program qaProgram()
{
    Predictor p;
    p.name = "answer";
    p.signature.instruction = "Answer the question.";
    p.signature.inputs.push_back(stringField("question", ""));
    p.signature.outputs.push_back(stringField("answer", ""));
    Program program;
    program.predictors.push_back(p);
    return program;
}

Example qaExample(const std::string &question, const std::string &answer)
{
    Example e;
    e.values.set("question", question);
    e.values.set("answer", answer);
    e.inputKeys = {"question"};
    return e;
}

Prediction said(const std::string &answer)
{
    Prediction p;
    p.values.set("answer", answer);
    return p;
}

MetricSpec judgeSpec(std::string reference = "answer")
{
    MetricSpec spec;
    spec.kind = "judge";
    spec.judge.rubric = "The answer must name the city.";
    spec.judge.referenceField = std::move(reference);
    spec.judge.passThreshold = 0.6;
    return spec;
}

// Scores by a fixed table of responses, counting calls and keeping requests.
class TableJudge final : public Judge {
public:
    Result<JudgeVerdict> judge(const JudgeRequest &request) const override
    {
        std::lock_guard lock(m_mutex);
        m_requests.push_back(request);
        if (request.response == "answer: Lyon")
            return Error::make(ErrorKind::Server, "judge endpoint down");
        const bool paris = request.response.find("Paris") != std::string::npos;
        return JudgeVerdict{paris ? 0.9 : 0.2, paris ? "names Paris." : "names another city."};
    }
    std::string describe() const override { return "table judge"; }
    std::vector<JudgeRequest> requests() const
    {
        std::lock_guard lock(m_mutex);
        return m_requests;
    }

private:
    mutable std::mutex m_mutex;
    mutable std::vector<JudgeRequest> m_requests;
};

} // namespace

TEST(JudgeMetric, ShowsTheJudgeInputsResponseReferenceAndRubric)
{
    auto judge = std::make_shared<TableJudge>();
    auto metric = makeMetric(judgeSpec(), qaProgram(), judge);
    ASSERT_TRUE(metric.ok()) << metric.error().message;
    auto scored = (*metric)->score(qaExample("Where is the Louvre?", "Paris"), said("It is in Paris."));
    ASSERT_TRUE(scored.ok()) << scored.error().message;
    EXPECT_DOUBLE_EQ(scored->score, 0.9);
    EXPECT_EQ(scored->feedback, "pass (judge 0.90, passes at 0.60): names Paris.");
    ASSERT_EQ(judge->requests().size(), 1u);
    const JudgeRequest request = judge->requests().front();
    EXPECT_EQ(request.rubric, "The answer must name the city.");
    EXPECT_EQ(request.inputs, "question: Where is the Louvre?");
    EXPECT_EQ(request.response, "answer: It is in Paris.");
    ASSERT_TRUE(request.reference.has_value());
    EXPECT_EQ(*request.reference, "Paris");

    auto low = (*metric)->score(qaExample("Where is the Louvre?", "Paris"), said("Rome"));
    ASSERT_TRUE(low.ok());
    EXPECT_DOUBLE_EQ(low->score, 0.2);
    EXPECT_EQ(low->feedback, "fail (judge 0.20, passes at 0.60): names another city.");
}

TEST(JudgeMetric, JudgesOneAnswerOnceAndKeepsErrorsAsErrors)
{
    auto judge = std::make_shared<TableJudge>();
    auto metric = makeMetric(judgeSpec(), qaProgram(), judge);
    ASSERT_TRUE(metric.ok());
    const Example example = qaExample("Where is the Louvre?", "Paris");
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE((*metric)->score(example, said("Paris")).ok());
    EXPECT_EQ(judge->requests().size(), 1u) << "the same (rubric, inputs, response, reference) is judged once";
    EXPECT_EQ(dynamic_cast<const JudgeMetric &>(**metric).judgeCalls(), 1);
    // Another reference is another judgement.
    ASSERT_TRUE((*metric)->score(qaExample("Where is the Louvre?", "Paris, France"), said("Paris")).ok());
    EXPECT_EQ(judge->requests().size(), 2u);

    // A failed judge call is the example's error, never a score of 0, and is not memoized.
    for (int i = 0; i < 2; ++i) {
        auto failed = (*metric)->score(example, said("Lyon"));
        ASSERT_FALSE(failed.ok());
        EXPECT_EQ(failed.error().kind, ErrorKind::Server);
    }
    EXPECT_EQ(judge->requests().size(), 4u);

    auto missing = (*metric)->score(qaExample("Where is the Louvre?", ""), said("Paris"));
    EXPECT_TRUE(missing.ok()) << "an empty label is still a label";
    Example unlabeled = qaExample("Where is the Louvre?", "Paris");
    unlabeled.values.erase("answer");
    auto noLabel = (*metric)->score(unlabeled, said("Paris"));
    ASSERT_FALSE(noLabel.ok());
    EXPECT_EQ(noLabel.error().kind, ErrorKind::Data);
    EXPECT_NE(noLabel.error().message.find("'answer'"), std::string::npos) << noLabel.error().message;
}

TEST(JudgeMetric, TheCheaperMetricDecidesWhatItCan)
{
    auto judge = std::make_shared<TableJudge>();
    MetricSpec spec = judgeSpec();
    spec.fields.push_back(FieldMetric{"answer", "normalized_exact", 1.0, 0.0, {}});
    auto metric = makeMetric(spec, qaProgram(), judge);
    ASSERT_TRUE(metric.ok()) << metric.error().message;
    const Example example = qaExample("Where is the Louvre?", "Paris");

    auto exact = (*metric)->score(example, said("paris"));
    ASSERT_TRUE(exact.ok());
    EXPECT_DOUBLE_EQ(exact->score, 1.0);
    EXPECT_EQ(exact->feedback.rfind("pass without the judge", 0), 0u) << exact->feedback;
    EXPECT_TRUE(judge->requests().empty()) << "a perfect cheap score needs no judge";

    // "pass" (the default): a cheap miss may still be a paraphrase, so the judge decides.
    auto paraphrase = (*metric)->score(example, said("In Paris."));
    ASSERT_TRUE(paraphrase.ok());
    EXPECT_DOUBLE_EQ(paraphrase->score, 0.9);
    EXPECT_EQ(judge->requests().size(), 1u);

    spec.judge.cheapDecides = "pass_and_fail";
    auto strict = makeMetric(spec, qaProgram(), judge);
    ASSERT_TRUE(strict.ok());
    auto miss = (*strict)->score(example, said("In Paris."));
    ASSERT_TRUE(miss.ok());
    EXPECT_DOUBLE_EQ(miss->score, 0.0);
    EXPECT_EQ(miss->feedback.rfind("fail without the judge", 0), 0u) << miss->feedback;
    EXPECT_EQ(judge->requests().size(), 1u);
}

TEST(JudgeMetric, NeedsItsJudgeModel)
{
    auto metric = makeMetric(judgeSpec(), qaProgram(), nullptr);
    ASSERT_FALSE(metric.ok());
    EXPECT_EQ(metric.error().kind, ErrorKind::Config);
    EXPECT_NE(metric.error().message.find("judge"), std::string::npos);
    // Other metrics ignore a judge they are given.
    MetricSpec composite;
    composite.fields.push_back(FieldMetric{"answer", "exact", 1.0, 0.0, {}});
    EXPECT_TRUE(makeMetric(composite, qaProgram(), std::make_shared<TableJudge>()).ok());
    EXPECT_EQ(makeLmJudge(composite, std::make_shared<SimLm>(), AdapterKind::Chat, ModelConfig{}), nullptr);
}

// SimLm's judge skill reads Prism's judge signature as the ChatAdapter renders
// it: a response that covers the reference scores above one that does not,
// and the reason names what matched.
TEST(JudgeMetric, SimLmJudgesThroughThePrismJudgeSignature)
{
    auto lm = std::make_shared<SimLm>("sim-small");
    auto judge = makeLmJudge(judgeSpec(), lm, AdapterKind::Chat, ModelConfig{});
    ASSERT_NE(judge, nullptr);
    auto metric = makeMetric(judgeSpec(), qaProgram(), judge);
    ASSERT_TRUE(metric.ok());
    const Example example = qaExample("Where is the Louvre?", "Paris, France");
    auto good = (*metric)->score(example, said("Paris, France."));
    auto bad = (*metric)->score(example, said("It is in Rome."));
    ASSERT_TRUE(good.ok()) << good.error().message;
    ASSERT_TRUE(bad.ok()) << bad.error().message;
    EXPECT_GT(good->score, bad->score);
    EXPECT_GE(good->score, 0.6) << good->feedback;
    EXPECT_LT(bad->score, 0.6) << bad->feedback;
    EXPECT_EQ(good->feedback.rfind("pass (judge ", 0), 0u) << good->feedback;
    EXPECT_EQ(bad->feedback.rfind("fail (judge ", 0), 0u) << bad->feedback;
    EXPECT_GT(bad->feedback.size(), std::string("fail (judge 0.00, passes at 0.60)").size())
        << "the judge's reason is the feedback: " << bad->feedback;
}

TEST(JudgeMetric, StudyFormatKeepsTheJudgeAndNamesBadSettings)
{
    const std::string base = R"({"prism_study": 1, "name": "j", "data": {"train": {"path": "train.jsonl"}},
      "program": {"predictors": [{"name": "answer", "signature": {"instruction": "Answer.",
        "inputs": [{"name": "question"}], "outputs": [{"name": "answer"}]}}]},
      "models": {"task": {"provider": "simlm", "model": "sim-small"},
                 "judge": {"provider": "simlm", "model": "sim-large"}},
      "metric": )";
    auto study = studyFromJsonText(base + R"({"kind": "judge", "fields": [{"field": "answer", "metric": "exact"}],
        "judge": {"rubric": "Names the city.", "reference_field": "answer", "pass_threshold": 0.7,
                  "cheap_decides": "pass_and_fail"}}})",
                                   "j.prism.json");
    ASSERT_TRUE(study.ok()) << study.error().message;
    EXPECT_EQ(study->metric.kind, "judge");
    EXPECT_EQ(study->metric.judge.rubric, "Names the city.");
    EXPECT_EQ(study->metric.judge.referenceField, "answer");
    EXPECT_DOUBLE_EQ(study->metric.judge.passThreshold, 0.7);
    EXPECT_EQ(study->metric.judge.cheapDecides, "pass_and_fail");
    ASSERT_EQ(study->metric.fields.size(), 1u);
    EXPECT_EQ(study->judgeModel.model, "sim-large");
    auto again = studyFromJsonText(studyToJsonText(*study), "again.prism.json");
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->metric, study->metric);
    EXPECT_EQ(again->judgeModel, study->judgeModel);

    auto expectError = [&](const std::string &metric, const std::string &needle) {
        auto bad = studyFromJsonText(base + metric + "}", "bad.prism.json");
        ASSERT_FALSE(bad.ok()) << metric;
        EXPECT_NE(bad.error().message.find(needle), std::string::npos) << bad.error().message;
    };
    expectError(R"({"kind": "judge"})", "metric.judge");
    expectError(R"({"kind": "judge", "judge": {"rubric": "  "}})", "rubric");
    expectError(R"({"kind": "judge", "judge": {"rubric": "x", "reference_field": "answr"}})", "answr");
    expectError(R"({"kind": "judge", "judge": {"rubric": "x", "pass_threshold": 1.5}})", "pass_threshold");
    expectError(R"({"kind": "judge", "judge": {"rubric": "x", "cheap_decides": "always"}})", "cheap_decides");
}
