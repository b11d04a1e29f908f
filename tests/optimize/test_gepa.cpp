// GEPA on the moderation sample with SimLm as the task model and a scripted
// reflection model (the instructions a reflection returns are fixed here, so
// these tests check GEPA's loop, not a model's reflection): acceptance on the
// minibatch, the budget, determinism, the settings rules, the events.
#include "fixture.h"

#include "core/study.h"
#include "optimize/gepa.h"
#include "optimize/presets.h"
#include "optimize/reflection.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

using namespace prism;
using namespace prism::test;

namespace {

// Answers reflection requests with the next instruction of a script (the
// ChatAdapter's wire format); every other request goes to the task model.
class ScriptedReflector final : public Lm {
public:
    ScriptedReflector(Lm &task, std::vector<std::string> script) : m_task(task), m_script(std::move(script)) {}

    Result<ChatResponse> complete(const ChatRequest &request) override
    {
        if (request.role != "reflection")
            return m_task.complete(request);
        std::lock_guard lock(m_mutex);
        ChatResponse response;
        const std::string &text = m_script[m_calls++ % m_script.size()];
        response.choices.push_back("[[ ## new_instruction ## ]]\n" + text + "\n\n[[ ## completed ## ]]");
        response.usage.calls = 1;
        m_prompts.push_back(request.messages);
        return response;
    }
    std::string describe() const override { return "scripted-reflector"; }

    int calls() const
    {
        std::lock_guard lock(m_mutex);
        return static_cast<int>(m_calls);
    }
    std::vector<std::vector<ChatMessage>> prompts() const
    {
        std::lock_guard lock(m_mutex);
        return m_prompts;
    }

private:
    Lm &m_task;
    std::vector<std::string> m_script;
    mutable std::mutex m_mutex;
    std::size_t m_calls = 0;
    std::vector<std::vector<ChatMessage>> m_prompts;
};

// Instructions a reflection could write for the moderation task: two carry
// cues from the trainset, one is the original again, one misleads.
const std::vector<std::string> kScript = {
    "Classify the snippet for moderation. Use harassment when the snippet mentions idiot, loser, shut or "
    "embarrass. Use medium when the snippet mentions idiot, loser or embarrass.",
    "Classify the snippet for moderation. Use spam for every snippet.",
    "Classify the snippet for moderation. Use violence and high when the snippet mentions hurt, bullet, break "
    "or end. Use harassment when the snippet mentions idiot, loser, shut or embarrass.",
    "Classify the snippet for moderation.",
};

struct GepaRunResult {
    Result<OptimizeResult> result = Error::make(ErrorKind::Internal, "not run");
    std::vector<RecordedEvent> events;
    std::string transcript;
    int reflections = 0;
    long long taskRuns = 0; // evaluation and minibatch calls
};

OptimizerConfig gepaConfig()
{
    OptimizerConfig c;
    c.name = "gepa";
    c.autoMode.clear();
    c.gepa.maxMetricCalls = 200;
    return c;
}

GepaRunResult runGepa(const OptimizerConfig &config, int threads = 8, std::vector<std::string> script = kScript)
{
    Sample s = loadSample("moderation");
    RecordingLm task(*s.lm);
    ScriptedReflector reflector(task, std::move(script));
    EventRecorder events;
    OptimizeContext ctx = contextFor(s, reflector, &events, threads);
    ctx.reflectionLm = &reflector;
    Gepa gepa(config);
    GepaRunResult out;
    out.result = gepa.compile(s.study.program, s.data.train.examples, s.data.val.examples, ctx);
    out.events = events.events();
    out.transcript = events.transcript();
    out.reflections = reflector.calls();
    out.taskRuns = task.calls("evaluation") + task.calls("minibatch");
    return out;
}

std::vector<CandidateProposedEvent> proposalsOf(const GepaRunResult &run)
{
    std::vector<CandidateProposedEvent> out;
    for (const RecordedEvent &e : run.events)
        if (e.type == EventType::CandidateProposed) {
            auto decoded = payloadFromJson(EventType::CandidateProposed, e.payload, 1);
            EXPECT_TRUE(decoded) << (decoded ? "" : decoded.error().message);
            if (decoded)
                out.push_back(std::get<CandidateProposedEvent>(decoded.value()));
        }
    return out;
}

double sumOf(const std::vector<std::optional<double>> &scores)
{
    double sum = 0.0;
    for (const auto &s : scores)
        sum += s.value_or(0.0);
    return sum;
}

TEST(Gepa, KeepsAChildOnlyWhenItBeatsItsParentOnTheMinibatchAndThenScoresItOnValidation)
{
    const GepaRunResult run = runGepa(gepaConfig());
    ASSERT_TRUE(run.result) << run.result.error().message;
    const auto proposals = proposalsOf(run);
    ASSERT_FALSE(proposals.empty());
    int accepted = 0;
    std::set<int> trials;
    for (const RecordedEvent &e : run.events)
        if (e.type == EventType::FullEvalFinished)
            trials.insert(e.payload["trial"].get<int>());
    for (const CandidateProposedEvent &p : proposals) {
        if (p.kind != "reflection" || p.childScores.empty())
            continue;
        ASSERT_EQ(p.parentScores.size(), p.minibatch.size());
        ASSERT_EQ(p.childScores.size(), p.minibatch.size());
        EXPECT_EQ(p.accepted, sumOf(p.childScores) > sumOf(p.parentScores)) << p.verdict;
        if (p.accepted) {
            ++accepted;
            ASSERT_TRUE(p.trial && p.candidate);
            EXPECT_TRUE(trials.count(*p.trial)) << "accepted candidate " << *p.candidate << " was not fully evaluated";
        } else {
            EXPECT_FALSE(p.candidate);
        }
    }
    // The cue-carrying instructions win on some minibatch; "spam for everything" never does.
    EXPECT_GT(accepted, 0);
    for (const CandidateProposedEvent &p : proposals)
        for (const PredictorProposal &pp : p.proposals) {
            if (pp.answer.find("spam for every") != std::string::npos) {
                EXPECT_FALSE(p.accepted);
            }
        }
    // Each reflection read the parent's outputs and the metric's feedback on its minibatch, then
    // up to 5 earlier failures of the parent on other training rows.
    for (const CandidateProposedEvent &p : proposals)
        for (const PredictorProposal &pp : p.proposals) {
            ASSERT_GE(pp.records.size(), p.minibatch.size());
            EXPECT_LE(pp.records.size(), p.minibatch.size() + 5);
            for (std::size_t k = 0; k < pp.records.size(); ++k) {
                const ReflectionRecord &r = pp.records[k];
                if (k < p.minibatch.size())
                    EXPECT_EQ(r.example, p.minibatch[k]);
                else
                    EXPECT_TRUE(r.score.value_or(0.0) < 1.0) << "an earlier row shown must be a failure";
                EXPECT_TRUE(r.inputs.contains("snippet"));
                EXPECT_TRUE(r.outputs.contains("severity"));
                EXPECT_FALSE(r.feedback.empty());
            }
        }
    EXPECT_GE(run.result->bestScore.value(), run.result->baselineScore.value());
}

TEST(Gepa, NeverSpendsMoreMetricCallsThanItsBudget)
{
    for (const int budget : {20, 45, 90}) {
        OptimizerConfig config = gepaConfig();
        config.gepa.maxMetricCalls = budget;
        const GepaRunResult run = runGepa(config);
        ASSERT_TRUE(run.result) << run.result.error().message;
        // One predictor, Predict, SimLm answers parse: one task call per program run.
        EXPECT_LE(run.taskRuns, budget) << "budget " << budget;
        for (const CandidateProposedEvent &p : proposalsOf(run)) {
            EXPECT_LE(p.metricCalls, budget);
            EXPECT_EQ(p.maxMetricCalls, budget);
        }
    }
}

TEST(Gepa, AReflectionCapStopsTheRunAtThatManyCalls)
{
    OptimizerConfig config = gepaConfig();
    config.gepa.maxReflectionCalls = 2;
    const GepaRunResult run = runGepa(config);
    ASSERT_TRUE(run.result);
    EXPECT_EQ(run.reflections, 2);
    const auto &notes = run.result->stats.notes;
    EXPECT_TRUE(std::any_of(notes.begin(), notes.end(), [](const std::string &n) {
        return n.find("reflection-call budget") != std::string::npos;
    }));
}

TEST(Gepa, TheSameRunOnOneThreadAndOnEightGivesTheSameEventsAndProgram)
{
    const GepaRunResult one = runGepa(gepaConfig(), 1);
    const GepaRunResult eight = runGepa(gepaConfig(), 8);
    ASSERT_TRUE(one.result && eight.result);
    EXPECT_EQ(one.transcript, eight.transcript);
    EXPECT_EQ(one.result->program, eight.result->program);
}

TEST(Gepa, CurrentBestSelectionAlwaysReflectsOnTheBestCandidate)
{
    OptimizerConfig config = gepaConfig();
    config.gepa.candidateSelection = GepaSelection::CurrentBest;
    config.gepa.useMerge = false;
    const GepaRunResult run = runGepa(config);
    ASSERT_TRUE(run.result);
    // Replay the pool: the parent of every reflection is the best so far (the latest on a tie,
    // except that a tie with the student keeps the student).
    std::vector<double> scores;
    std::map<int, double> trialScore;
    for (const RecordedEvent &e : run.events)
        if (e.type == EventType::FullEvalFinished)
            trialScore[e.payload["trial"].get<int>()] = e.payload["score"].get<double>();
    scores.push_back(trialScore.at(1));
    for (const CandidateProposedEvent &p : proposalsOf(run)) {
        std::size_t best = 0;
        for (std::size_t i = 1; i < scores.size(); ++i)
            if (scores[i] > scores[best] || (best != 0 && scores[i] == scores[best]))
                best = i;
        EXPECT_EQ(p.parents, std::vector<int>{static_cast<int>(best)}) << "iteration " << p.iteration;
        if (p.accepted)
            scores.push_back(trialScore.at(*p.trial));
    }
}

TEST(Gepa, SettingsNeedExactlyOneBudget)
{
    OptimizerConfig none = gepaConfig();
    none.gepa.maxMetricCalls.reset();
    const auto noBudget = validateOptimizerSettings(none, 1);
    ASSERT_FALSE(noBudget);
    EXPECT_NE(noBudget.error().message.find("gepa needs a budget"), std::string::npos) << noBudget.error().message;

    OptimizerConfig two = gepaConfig();
    two.autoMode = "light";
    const auto twoBudgets = validateOptimizerSettings(two, 1);
    ASSERT_FALSE(twoBudgets);
    EXPECT_NE(twoBudgets.error().message.find("max_metric_calls is set together with auto = light"), std::string::npos)
        << twoBudgets.error().message;

    OptimizerConfig bad = gepaConfig();
    bad.gepa.reflectionMinibatchSize = 0;
    EXPECT_FALSE(validateOptimizerSettings(bad, 1));
    EXPECT_TRUE(validateOptimizerSettings(gepaConfig(), 1));
}

TEST(Gepa, AutoBudgetIsDspysFormula)
{
    // dspy.GEPA.auto_budget(num_preds, num_candidates, valset_size) with its defaults, worked by hand:
    // light, 1 predictor, 15 rows: trials = int(max(4 log2 6, 9)) = 10; 15 + 30 + 350 + 3 x 15 = 440.
    EXPECT_EQ(gepaAutoBudget(1, 6, 15), 440);
    // medium, 2 predictors, 300 rows: trials = int(max(8 log2 12, 18)) = 28; 300 + 60 + 980 + 6 x 300 = 3140.
    EXPECT_EQ(gepaAutoBudget(2, 12, 300), 3140);
    // heavy, 1 predictor, 25 rows: trials = int(max(4 log2 18, 27)) = 27; 25 + 90 + 945 + 6 x 25 = 1210.
    EXPECT_EQ(gepaAutoBudget(1, 18, 25), 1210);
    OptimizerConfig c = gepaConfig();
    c.gepa.maxMetricCalls.reset();
    c.gepa.maxFullEvals = 3;
    EXPECT_EQ(gepaBudget(c, 1, 15, 15).maxMetricCalls, 90);
}

TEST(Gepa, ItsEventsRoundTripThroughTheCodec)
{
    CandidateProposedEvent e;
    e.iteration = 4;
    e.kind = "reflection";
    e.parents = {2};
    e.candidate = 3;
    e.config = {ConfigChoice{"classify", 5, std::nullopt}};
    e.configKey = "classify:i5";
    PredictorProposal p;
    p.predictor = "classify";
    p.records = {ReflectionRecord{7, Fields{{"snippet", "Shut up, loser"}}, Fields{{"severity", "low"}},
                                  "severity: expected medium, got low.", 0.5}};
    p.answer = "Classify. Use medium when the snippet mentions loser.";
    p.instruction = 5;
    e.proposals = {p, PredictorProposal{"other", {}, "", std::nullopt, std::string("the reflection failed")}};
    e.minibatch = {7, 1, 3};
    e.parentScores = {0.5, std::nullopt, 1.0};
    e.childScores = {1.0, 0.0, 1.0};
    e.accepted = true;
    e.verdict = "minibatch 1.5/3 -> 2/3";
    e.trial = 9;
    e.metricCalls = 120;
    e.maxMetricCalls = 440;
    const auto decoded = decodePayload(EventType::CandidateProposed, encodePayload(e), 12);
    ASSERT_TRUE(decoded) << decoded.error().message;
    EXPECT_EQ(std::get<CandidateProposedEvent>(decoded.value()), e);
    // A damaged payload names the event and the key.
    const auto bad =
        decodePayload(EventType::CandidateProposed, R"({"iteration": 1, "kind": "merge", "parents": [0, "x"]})", 12);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("parents[1]"), std::string::npos) << bad.error().message;
}

TEST(GepaReflection, TheAnswerIsTheFencedBlockOrTheWholeText)
{
    EXPECT_EQ(instructionFromAnswer("  Do X.\n"), "Do X.");
    EXPECT_EQ(instructionFromAnswer("Here it is:\n```\nDo X.\nThen Y.\n```\nGood luck"), "Do X.\nThen Y.");
    EXPECT_EQ(instructionFromAnswer("```text\nDo X.\n```"), "Do X.");
    EXPECT_EQ(instructionFromAnswer("```\nDo X. (unclosed)"), "Do X. (unclosed)");
    EXPECT_EQ(defaultFeedback(0.0), "This trajectory got a score of 0.0.");
    EXPECT_EQ(defaultFeedback(0.5), "This trajectory got a score of 0.5.");
}

TEST(GepaReflection, RecordsAreLaidOutAsGepaShowsThem)
{
    const std::string text = renderReflectionRecords(
        {ReflectionRecord{0, Fields{{"snippet", "Have a nice day"}},
                          Fields{{"severity", "low"}, {"policy_violations", Value(Value::List{Value("spam")})}},
                          "severity: correct.", 1.0}});
    EXPECT_EQ(text,
              "# Example 1\n## Inputs\n### snippet\nHave a nice day\n\n## Generated Outputs\n### severity\nlow\n\n"
              "### policy_violations\nspam\n\n## Feedback\nseverity: correct.");
    const Signature s = reflectionSignature();
    ASSERT_EQ(s.inputs.size(), 2u);
    EXPECT_EQ(s.inputs[0].name, "current_instruction");
    EXPECT_EQ(s.inputs[1].name, "examples_with_feedback");
    ASSERT_EQ(s.outputs.size(), 1u);
    EXPECT_EQ(s.outputs[0].name, "new_instruction");
}

} // namespace
