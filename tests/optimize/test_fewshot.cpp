// LabeledFewShot, BootstrapFewShot, the seeded rng and the proposer's texts.
#include "fixture.h"

#include "adapter/chat_adapter.h"
#include "core/rng.h"
#include "optimize/bootstrap_fewshot.h"
#include "optimize/labeled_fewshot.h"
#include "optimize/proposer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

using namespace prism;
using namespace prism::test;

namespace {

const Example *findBySnippet(const std::vector<Example> &examples, const Value &snippet)
{
    for (const Example &e : examples)
        if (e.values.get("snippet") == snippet)
            return &e;
    return nullptr;
}

// The value of the first "[[ ## field ## ]]" block of a message.
std::string blockValue(const std::string &content, const std::string &field)
{
    const std::string marker = "[[ ## " + field + " ## ]]\n";
    const std::size_t at = content.find(marker);
    if (at == std::string::npos)
        return {};
    const std::size_t begin = at + marker.size();
    const std::size_t end = content.find("\n\n", begin);
    return content.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

} // namespace

// ---- rng ----------------------------------------------------------------

TEST(Rng, SameSeedSameDrawsAndSeedZeroIsASeed)
{
    Rng a(0), b(0), c(9);
    std::vector<std::uint64_t> x, y, z;
    for (int i = 0; i < 8; ++i) {
        x.push_back(a.next());
        y.push_back(b.next());
        z.push_back(c.next());
    }
    EXPECT_EQ(x, y);
    EXPECT_NE(x, z);
    EXPECT_NE(Rng::forStream(0, "minibatch", 1).next(), Rng::forStream(0, "minibatch", 2).next());
    EXPECT_NE(Rng::forStream(0, "minibatch", 1).next(), Rng::forStream(0, "demo-set", 1).next());
}

TEST(Rng, DrawsStayInRangeAndSamplesAreDistinct)
{
    Rng rng(42);
    std::set<int> seen;
    for (int i = 0; i < 2000; ++i) {
        const int v = rng.between(1, 4);
        ASSERT_GE(v, 1);
        ASSERT_LE(v, 4);
        seen.insert(v);
        const double u = rng.uniform();
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
    }
    EXPECT_EQ(seen.size(), 4u);
    const auto sample = rng.sample(10, 4);
    EXPECT_EQ(sample.size(), 4u);
    EXPECT_EQ(std::set<std::size_t>(sample.begin(), sample.end()).size(), 4u);
    EXPECT_EQ(rng.sample(3, 10).size(), 3u);
    auto perm = rng.permutation(12);
    std::sort(perm.begin(), perm.end());
    for (std::size_t i = 0; i < perm.size(); ++i)
        EXPECT_EQ(perm[i], i);
}

// ---- LabeledFewShot -----------------------------------------------------

TEST(LabeledFewShot, SamplesKLabeledDemosRestrictedToThePredictorsFields)
{
    Sample s = loadSample("moderation");
    std::vector<Example> train = s.data.train.examples;
    for (Example &e : train)
        e.values.set("note", "not a field of the signature");
    RecordingLm lm(*s.lm);
    OptimizeContext ctx = contextFor(s, lm, nullptr, 4);
    LabeledFewShot labeled(3, 0);
    auto r = labeled.compile(s.study.program, train, {}, ctx);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    const auto &demos = r->program.predictors[0].demos;
    ASSERT_EQ(demos.size(), 3u);
    std::set<std::string> snippets;
    for (const Demo &d : demos) {
        EXPECT_FALSE(d.augmented);
        EXPECT_FALSE(d.values.contains("note"));
        ASSERT_EQ(d.values.size(), 3u);
        EXPECT_EQ(d.values.items()[0].first, "snippet");
        const Example *source = findBySnippet(train, d.values.get("snippet"));
        ASSERT_NE(source, nullptr);
        EXPECT_EQ(d.values.get("severity"), source->values.get("severity"));
        EXPECT_EQ(d.values.get("policy_violations"), source->values.get("policy_violations"));
        snippets.insert(d.values.get("snippet").asString());
    }
    EXPECT_EQ(snippets.size(), 3u) << "sampled without replacement";
    EXPECT_EQ(lm.total(), 0) << "no valset: no call at all";
    EXPECT_TRUE(s.study.program.predictors[0].demos.empty()) << "the student is not mutated";

    // k larger than the trainset gives the whole trainset; the seed matters.
    LabeledFewShot all(100, 0);
    EXPECT_EQ(all.compile(s.study.program, train, {}, ctx)->program.predictors[0].demos.size(), train.size());
    LabeledFewShot other(3, 9);
    EXPECT_NE(other.compile(s.study.program, train, {}, ctx)->program.predictors[0].demos, demos);
    EXPECT_EQ(LabeledFewShot(3, 0).compile(s.study.program, train, {}, ctx)->program.predictors[0].demos, demos);
}

TEST(LabeledFewShot, ScoresStudentAndResultOnTheValset)
{
    Sample s = loadSample("moderation");
    RecordingLm lm(*s.lm);
    EventRecorder events;
    OptimizeContext ctx = contextFor(s, lm, &events, 4);
    const std::vector<Example> train(s.data.train.examples.begin(), s.data.train.examples.begin() + 20);
    const std::vector<Example> val(s.data.train.examples.begin() + 20, s.data.train.examples.end());
    auto r = LabeledFewShot(4, 0).compile(s.study.program, train, val, ctx);
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r->baselineScore && r->bestScore);
    EXPECT_EQ(lm.calls("evaluation"), 2 * static_cast<long long>(val.size()));
    EXPECT_EQ(r->stats.callsByRole["evaluation"].calls, 2 * static_cast<long long>(val.size()));
    const auto finished = events.of(EventType::TrialFinished);
    ASSERT_EQ(finished.size(), 2u);
    EXPECT_EQ(finished[0]["trial"], 1);
    EXPECT_EQ(finished[0]["score"].get<double>(), *r->baselineScore);
    EXPECT_EQ(finished[1]["score"].get<double>(), *r->bestScore);
}

// ---- BootstrapFewShot ---------------------------------------------------

namespace {

struct BootstrapRun {
    OptimizeResult result;
    std::vector<ChatRequest> requests;
    std::string transcript;
};

BootstrapRun runBootstrap(const Sample &s, BootstrapSettings settings, int threads)
{
    RecordingLm lm(*s.lm);
    EventRecorder events;
    OptimizeContext ctx = contextFor(s, lm, &events, threads);
    BootstrapFewShot bootstrap(settings);
    auto r = bootstrap.compile(s.study.program, s.data.train.examples, {}, ctx);
    EXPECT_TRUE(r.ok()) << r.error().describe();
    return {r.ok() ? *r : OptimizeResult{}, lm.requests(), events.transcript()};
}

} // namespace

TEST(BootstrapFewShot, BootstrappedDemosFirstAreCorrectTracesThenLabeledOnes)
{
    Sample s = loadSample("moderation");
    BootstrapSettings settings;
    settings.maxBootstrappedDemos = 3;
    settings.maxLabeledDemos = 6;
    const BootstrapRun run = runBootstrap(s, settings, 8);
    const auto &demos = run.result.program.predictors[0].demos;
    const auto firstLabeled = std::find_if(demos.begin(), demos.end(), [](const Demo &d) { return !d.augmented; });
    const auto augmented = static_cast<std::size_t>(firstLabeled - demos.begin());
    EXPECT_TRUE(std::all_of(firstLabeled, demos.end(), [](const Demo &d) { return !d.augmented; }))
        << "bootstrapped demos come first";
    ASSERT_GE(augmented, 1u);
    EXPECT_LE(augmented, 3u);
    EXPECT_EQ(demos.size(), 6u) << "labeled demos fill up to max_labeled_demos";

    std::set<std::string> snippets;
    for (std::size_t i = 0; i < demos.size(); ++i) {
        const Example *source = findBySnippet(s.data.train.examples, demos[i].values.get("snippet"));
        ASSERT_NE(source, nullptr);
        snippets.insert(source->values.get("snippet").asString());
        // Without a threshold only a fully correct trace counts: its outputs are the labels.
        EXPECT_EQ(demos[i].values.get("severity"), source->values.get("severity"));
        if (i < augmented) {
            const Value::List want = source->values.get("policy_violations").asList();
            const Value::List got = demos[i].values.get("policy_violations").asList();
            EXPECT_EQ(std::set<std::string>(), [&] {
                std::set<std::string> diff;
                for (const Value &v : want)
                    if (std::find(got.begin(), got.end(), v) == got.end())
                        diff.insert(v.asString());
                for (const Value &v : got)
                    if (std::find(want.begin(), want.end(), v) == want.end())
                        diff.insert(v.asString());
                return diff;
            }());
        }
    }
    EXPECT_EQ(snippets.size(), demos.size()) << "labeled demos come from examples without an accepted trace";

    // The traces are the first successes in trainset order.
    std::size_t lastIndex = 0;
    for (std::size_t i = 0; i < augmented; ++i) {
        const Example *source = findBySnippet(s.data.train.examples, demos[i].values.get("snippet"));
        const auto index = static_cast<std::size_t>(source - s.data.train.examples.data());
        if (i > 0) {
            EXPECT_GT(index, lastIndex);
        }
        lastIndex = index;
    }
}

TEST(BootstrapFewShot, TheExampleIsNeverAmongItsOwnTeacherDemos)
{
    Sample s = loadSample("moderation");
    BootstrapSettings settings;
    settings.maxBootstrappedDemos = 30; // walk the whole trainset
    settings.maxLabeledDemos = 16;      // the teacher holds about half of it
    const BootstrapRun run = runBootstrap(s, settings, 8);
    int requests = 0;
    int teacherDemos = 0;
    for (const ChatRequest &request : run.requests) {
        ASSERT_EQ(request.role, "bootstrap");
        ++requests;
        const std::string own = blockValue(request.messages.back().content, "snippet");
        ASSERT_FALSE(own.empty());
        for (std::size_t m = 1; m + 1 < request.messages.size(); ++m) {
            if (request.messages[m].role != "user")
                continue;
            ++teacherDemos;
            EXPECT_NE(blockValue(request.messages[m].content, "snippet"), own);
        }
    }
    EXPECT_EQ(requests, static_cast<int>(s.data.train.examples.size())) << "one trace per example";
    // 16 demos, minus the example itself for the 16 examples that are demos.
    EXPECT_EQ(teacherDemos, 30 * 16 - 16);
}

TEST(BootstrapFewShot, SameDemosAndEventsWithOneOrEightThreads)
{
    Sample s = loadSample("math");
    BootstrapSettings settings;
    settings.maxBootstrappedDemos = 4;
    settings.maxLabeledDemos = 4;
    settings.maxRounds = 2;
    const BootstrapRun one = runBootstrap(s, settings, 1);
    const BootstrapRun eight = runBootstrap(s, settings, 8);
    EXPECT_EQ(one.result.program, eight.result.program);
    EXPECT_EQ(one.transcript, eight.transcript);
    EXPECT_EQ(one.requests.size(), eight.requests.size());
    EXPECT_EQ(one.result.stats.callsByRole.at("bootstrap").calls, static_cast<long long>(one.requests.size()));
}

TEST(BootstrapFewShot, LaterRoundsRetryFailuresAtTemperatureOneWithTheirRollout)
{
    Sample s = loadSample("math"); // the student answers the first number: most traces fail
    BootstrapSettings settings;
    settings.maxBootstrappedDemos = 2;
    settings.maxLabeledDemos = 0;
    settings.maxRounds = 3;
    const BootstrapRun run = runBootstrap(s, settings, 4);
    std::map<std::string, std::vector<std::uint64_t>> roundsOf;
    for (const ChatRequest &r : run.requests) {
        EXPECT_EQ(r.role, "bootstrap");
        EXPECT_EQ(r.temperature, r.rollout == 0 ? 0.0 : 1.0);
        roundsOf[blockValue(r.messages.back().content, "problem")].push_back(r.rollout);
    }
    bool retried = false;
    for (const auto &[problem, rounds] : roundsOf) {
        std::vector<std::uint64_t> sorted = rounds;
        std::sort(sorted.begin(), sorted.end());
        for (std::size_t i = 0; i < sorted.size(); ++i)
            EXPECT_EQ(sorted[i], i) << "rounds 0, 1, 2... each once: " << problem;
        retried = retried || sorted.size() > 1;
    }
    EXPECT_TRUE(retried);
}

TEST(BootstrapFewShot, AThresholdAcceptsPartialCredit)
{
    Sample s = loadSample("moderation");
    BootstrapSettings strict;
    strict.maxBootstrappedDemos = 30;
    strict.maxLabeledDemos = 0;
    BootstrapSettings lenient = strict;
    lenient.metricThreshold = 0.5;
    auto count = [](const OptimizeResult &r) {
        const auto &d = r.program.predictors[0].demos;
        return std::count_if(d.begin(), d.end(), [](const Demo &x) { return x.augmented; });
    };
    const auto strictCount = count(runBootstrap(s, strict, 8).result);
    const auto lenientCount = count(runBootstrap(s, lenient, 8).result);
    EXPECT_GT(lenientCount, strictCount);
}

// ---- proposer texts -----------------------------------------------------

TEST(Proposer, StripPrefixAsDspy)
{
    EXPECT_EQ(stripPrefix("Proposed Instruction: Classify the text."), "Classify the text.");
    EXPECT_EQ(stripPrefix("  **Instruction:** do it"), "** do it");
    EXPECT_EQ(stripPrefix("\"Quoted instruction.\""), "Quoted instruction.");
    EXPECT_EQ(stripPrefix("one two three four five six: stays"), "one two three four five six: stays");
    EXPECT_EQ(stripPrefix("No label here, just text."), "No label here, just text.");
    EXPECT_EQ(stripPrefix("Task: classify"), "classify") << "DSPy's side effect, kept";
}

TEST(Proposer, ExamplesReprIsDspysRepr)
{
    Example e;
    e.values.set("question", "What is 25 plus 49?");
    e.values.set("answer", "74");
    e.inputKeys = {"question"};
    EXPECT_EQ(examplesRepr({e}, 0, 1),
              "[Example({'question': 'What is 25 plus 49?', 'answer': '74'}) (input_keys={'question'})]");
    Example m;
    m.values.set("snippet", "don't\nstop");
    m.values.set("severity", "low");
    m.values.set("policy_violations", Value(Value::List{Value("spam"), Value("other")}));
    m.values.set("n", 3);
    m.values.set("x", 2.0);
    m.values.set("ok", true);
    m.inputKeys = {"snippet", "n"};
    EXPECT_EQ(examplesRepr({e, m}, 1, 5),
              "[Example({'snippet': \"don't\\nstop\", 'severity': 'low', 'policy_violations': ['spam', 'other'], "
              "'n': 3, 'x': 2.0, 'ok': True}) (input_keys={'n', 'snippet'})]");
}

TEST(Proposer, InstructionSignatureHasDspysFieldsInOrder)
{
    const Signature all = instructionSignature(true, true, true);
    std::vector<std::string> names;
    for (const Field &f : all.inputs)
        names.push_back(f.name);
    EXPECT_EQ(names, (std::vector<std::string>{"dataset_description", "program_code", "program_description", "module",
                                               "module_description", "task_demos", "basic_instruction", "tip"}));
    ASSERT_EQ(all.outputs.size(), 1u);
    EXPECT_EQ(all.outputs[0].name, "proposed_instruction");
    const Signature bare = instructionSignature(false, false, false);
    ASSERT_EQ(bare.inputs.size(), 2u);
    EXPECT_EQ(bare.inputs[0].name, "task_demos");

    // Rendered by the ChatAdapter as DSPy renders it (§2.9).
    const ChatAdapter chat;
    const auto messages = chat.format(all, {}, Fields{{"task_demos", "No task demos provided."}});
    EXPECT_NE(messages[0].content.find("Your input fields are:\n1. `dataset_description` (str): A description of the "
                                       "dataset that we are using.\n2. `program_code` (str): "),
              std::string::npos);
    EXPECT_NE(
        messages[0].content.find("In adhering to this structure, your objective is: \n        Use the information "
                                 "below to learn about a task"),
        std::string::npos);
}

TEST(Proposer, TaskDemosPreferBootstrappedDemosAndSkipSetZero)
{
    Sample s = loadSample("moderation");
    const Predictor &p = s.study.program.predictors[0];
    Demo labeled{Fields{{"snippet", "a"}, {"severity", "low"}, {"policy_violations", Value(Value::List{})}}, false};
    Demo boot{Fields{{"snippet", "b"}, {"severity", "high"}, {"policy_violations", Value(Value::List{Value("hate")})}},
              true};
    const std::vector<std::vector<Demo>> sets = {{}, {labeled}, {boot, labeled}};
    EXPECT_EQ(taskDemosText(p, sets, 0), "No task demos provided.");
    EXPECT_EQ(taskDemosText(p, sets, 2, 3), "Snippet: b\nSeverity: high\nPolicy Violations: ['hate']\n\n"
                                            "Snippet: a\nSeverity: low\nPolicy Violations: []\n\n");
    EXPECT_EQ(taskDemosText(p, sets, 1, 1), "Snippet: a\nSeverity: low\nPolicy Violations: []\n\n");
}

TEST(BootstrapFewShot, ChainOfThoughtTracesKeepTheirReasoning)
{
    Sample s = loadSample("moderation");
    s.study.program.predictors[0].kind = PredictorKind::ChainOfThought;
    BootstrapSettings settings;
    settings.maxBootstrappedDemos = 2;
    settings.maxLabeledDemos = 4;
    const BootstrapRun run = runBootstrap(s, settings, 4);
    const auto &demos = run.result.program.predictors[0].demos;
    ASSERT_EQ(demos.size(), 4u);
    int augmented = 0;
    for (const Demo &d : demos) {
        if (d.augmented) {
            ++augmented;
            ASSERT_TRUE(d.values.contains("reasoning"));
            // inputs, then the outputs in the effective signature's order: reasoning first.
            EXPECT_EQ(d.values.items()[0].first, "snippet");
            EXPECT_EQ(d.values.items()[1].first, "reasoning");
        } else {
            EXPECT_FALSE(d.values.contains("reasoning")) << "labeled data has no reasoning";
        }
    }
    EXPECT_EQ(augmented, 2);
}
