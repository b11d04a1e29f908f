// SimLm's reflection skill (../shared/SIMLM.md, "Reflection skill"): GEPA's raw
// reflection prompt as DSPy 3.3.1 sends it (tests/data/dspy-renderings/
// gepa_reflection_moderation.json), Prism's reflection signature, the edits each
// kind of feedback supports, and that what it writes is what the task skill reads.

#include "sim/sim_reflect.h"
#include "sim/sim_task.h"

#include "sim_chat_prompts.h"

#include <fstream>
#include <set>

using namespace prism;
using namespace simtest;

namespace {

nlohmann::json gepaFixture()
{
    std::ifstream in(std::string(PRISM_TEST_DATA_DIR) + "/dspy-renderings/gepa_reflection_moderation.json");
    EXPECT_TRUE(in.good());
    return nlohmann::json::parse(in);
}

ChatRequest gepaRequest(const std::string &content, std::int64_t seed = 0)
{
    ChatRequest r;
    r.messages = {{"user", content}};
    r.seed = seed;
    r.temperature = 1.0;
    return r;
}

// The fixture's answer_extraction: between the first and the last ```, without a language tag, stripped.
std::string extractGepaAnswer(const std::string &answer)
{
    const std::size_t first = answer.find("```");
    const std::size_t last = answer.rfind("```");
    if (first == std::string::npos)
        return trimmed(answer);
    if (first == last)
        return trimmed(answer.substr(answer.find('\n', first) + 1));
    const std::size_t bodyStart = answer.find('\n', first);
    return trimmed(answer.substr(bodyStart + 1, last - bodyStart - 1));
}

// GEPA's prompt around the given instruction and `# Example N` records.
std::string gepaPrompt(const std::string &instruction, const std::string &records)
{
    return "I provided an assistant with the following instructions to perform a task for me:\n```\n" + instruction
           + "\n```\n\nThe following are examples of different task inputs provided to the assistant along with the "
             "assistant's response for each of them, and some feedback on how the assistant's response could be "
             "better:\n```\n"
           + records
           + "\n```\n\nYour task is to write a new instruction for the assistant.\n\nProvide the new "
             "instructions within ``` blocks.";
}

std::string record(int n, const Values &inputs, const Values &outputs, const std::string &feedback)
{
    std::string s = "# Example " + std::to_string(n) + "\n## Inputs\n";
    for (const auto &[k, v] : inputs)
        s += "### " + k + "\n" + v + "\n\n";
    s += "## Generated Outputs\n";
    for (const auto &[k, v] : outputs)
        s += "### " + k + "\n" + v + "\n\n";
    return s + "## Feedback\n" + feedback + "\n\n\n\n";
}

std::string reflectGepa(const std::string &model, const std::string &instruction, const std::string &records,
                        std::int64_t seed)
{
    return extractGepaAnswer(completeText(model, gepaRequest(gepaPrompt(instruction, records), seed)));
}

// The words "Use L when the snippet mentions ..." lists, or empty when there is no such sentence.
std::vector<std::string> cueSentenceWords(const std::string &instruction, const std::string &label,
                                          const std::string &inputs = "snippet")
{
    const std::string marker = "Use " + label + " when the " + inputs + " mentions ";
    const std::size_t at = instruction.find(marker);
    if (at == std::string::npos)
        return {};
    const std::size_t end = instruction.find('.', at);
    return sim::tokens(instruction.substr(at + marker.size(), end - at - marker.size()));
}

const std::string kModerationRecords =
    record(1, {{"snippet", "Crawling back under your rock would do everyone a favor."}},
           {{"severity", "low"}, {"policy_violations", ""}},
           "severity: expected medium, got low. policy_violations: missing harassment.")
    + record(2, {{"snippet", "Have a wonderful weekend everyone!"}}, {{"severity", "low"}, {"policy_violations", ""}},
             "severity: correct. policy_violations: correct.");

} // namespace

TEST(SimReflectRecords, ReadsGepaMarkdownRecords)
{
    const nlohmann::json j = gepaFixture();
    const std::string content = j.at("messages").at(0).at("content");
    const auto request = sim::readGepaReflection({{"user", content}});
    ASSERT_TRUE(request.has_value());
    EXPECT_EQ(request->instruction, j.at("current_instruction").get<std::string>());
    const std::vector<sim::FeedbackRecord> records = sim::parseFeedbackRecords(request->records);
    ASSERT_EQ(records.size(), j.at("records").size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        const nlohmann::json &want = j.at("records").at(i);
        EXPECT_EQ(*records[i].inputs.find("snippet"), want.at("Inputs").at("snippet").get<std::string>());
        EXPECT_EQ(*records[i].outputs.find("severity"), want.at("Generated Outputs").at("severity").get<std::string>());
        EXPECT_EQ(*records[i].outputs.find("policy_violations"), ""); // GEPA renders [] as nothing
        EXPECT_EQ(records[i].feedback, want.at("Feedback").get<std::string>());
    }
}

TEST(SimReflect, ReplaysGepasReferencePromptForBothModels)
{
    const nlohmann::json j = gepaFixture();
    const std::string content = j.at("messages").at(0).at("content");
    const std::string current = j.at("current_instruction");
    // Words of the examples that failed for want of harassment (1 and 3).
    std::set<std::string> failingWords;
    for (int i : {0, 2})
        for (const std::string &t : sim::tokens(j.at("records").at(i).at("Inputs").at("snippet").get<std::string>()))
            failingWords.insert(t);
    for (const std::string model : {"sim-small", "sim-large"}) {
        int withHarassment = 0;
        for (std::int64_t seed = 0; seed < 10; ++seed) {
            const std::string answer = completeText(model, gepaRequest(content, seed));
            ASSERT_TRUE(sim::startsWith(answer, "```\n") && sim::endsWith(answer, "\n```")) << answer;
            EXPECT_EQ(answer.find("[[ ##"), std::string::npos);
            const std::string instruction = extractGepaAnswer(answer);
            EXPECT_TRUE(sim::startsWith(instruction, current)) << instruction;
            const std::vector<std::string> cues = cueSentenceWords(instruction, "harassment");
            if (cues.empty())
                continue;
            ++withHarassment;
            EXPECT_EQ(cues.size(), model == "sim-small" ? 2u : 4u) << instruction;
            for (const std::string &w : cues)
                EXPECT_TRUE(failingWords.count(w)) << w << " in " << instruction;
            // "everyone" is also in the example that is rightly not harassment.
            EXPECT_EQ(std::count(cues.begin(), cues.end(), "everyone"), 0);
            // The task skill reads the new sentence: a snippet with a cue word is tagged harassment.
            const PromptSpec task = moderation(instruction, "Well, " + cues.back() + " again.", true);
            EXPECT_NE(answerOf(model, task, "policy_violations").find("harassment"), std::string::npos) << instruction;
        }
        EXPECT_GE(withHarassment, model == "sim-small" ? 5 : 8) << model;
    }
}

TEST(SimReflect, SameRequestSameAnswerAndSeedsDiffer)
{
    const std::string content = gepaFixture().at("messages").at(0).at("content");
    std::set<std::string> answers;
    for (std::int64_t seed = 0; seed < 8; ++seed) {
        const std::string a = completeText("sim-small", gepaRequest(content, seed));
        EXPECT_EQ(a, completeText("sim-small", gepaRequest(content, seed)));
        answers.insert(a);
    }
    EXPECT_GT(answers.size(), 1u);
}

TEST(SimReflect, TheLargeModelKeepsMoreEdits)
{
    const std::string content = gepaFixture().at("messages").at(0).at("content");
    std::size_t small = 0, large = 0;
    for (std::int64_t seed = 0; seed < 30; ++seed) {
        small += extractGepaAnswer(completeText("sim-small", gepaRequest(content, seed))).size();
        large += extractGepaAnswer(completeText("sim-large", gepaRequest(content, seed))).size();
    }
    EXPECT_GT(large, small);
}

TEST(SimReflect, PrismSignatureFormAnswersTheNewInstructionField)
{
    PromptSpec p;
    p.inputs = {{"current_instruction"}, {"examples_with_feedback"}};
    p.outputs = {{"new_instruction"}};
    p.instruction = "Improve the instruction from the examples and their feedback.";
    p.current = {{"current_instruction", "Classify the snippet for moderation."},
                 {"examples_with_feedback", kModerationRecords}};
    int withCue = 0;
    for (std::int64_t seed = 0; seed < 6; ++seed) {
        const Parsed parsed = parseAnswer(completeText("sim-large", request(p, seed)));
        EXPECT_TRUE(parsed.completed);
        const std::string instruction = parsed.fields.at("new_instruction");
        EXPECT_TRUE(sim::startsWith(instruction, "Classify the snippet for moderation.")) << instruction;
        // Both requests read the same records the same way.
        EXPECT_EQ(instruction, sim::reflect({"Classify the snippet for moderation.", kModerationRecords},
                                            {"sim-large", seed, 0.0, 0, 0.15, true}));
        withCue += !cueSentenceWords(instruction, "medium").empty();
    }
    EXPECT_GE(withCue, 4);
}

TEST(SimReflect, ACueSentenceItWritesIsReadByTheTaskSkill)
{
    const std::string records = record(1, {{"snippet", "Crawling back under your rock would do everyone a favor."}},
                                       {{"severity", "low"}}, "severity: expected medium, got low (0)")
                                + record(2, {{"snippet", "Have a wonderful weekend everyone!"}}, {{"severity", "low"}},
                                         "severity: expected low, got low (1)");
    std::string instruction;
    for (std::int64_t seed = 0; seed < 10 && cueSentenceWords(instruction, "medium").empty(); ++seed)
        instruction = reflectGepa("sim-small", "Classify the snippet for moderation.", records, seed);
    const std::vector<std::string> cues = cueSentenceWords(instruction, "medium");
    ASSERT_EQ(cues.size(), 2u) << instruction;

    // The task prompt with the new instruction: the cue word turns a snippet medium.
    const PromptSpec before = moderation("Classify the snippet for moderation.", "Look at that " + cues[0] + " there.");
    const PromptSpec after = moderation(instruction, "Look at that " + cues[0] + " there.");
    Result<sim::Prompt> prompt = sim::readPrompt(render(after), ResponseFormat::Text);
    ASSERT_TRUE(prompt.ok());
    sim::TaskSkills task(*prompt, sim::DrawContext{});
    const std::vector<std::string> read = task.cueWords(prompt->outputs[0], 1); // medium
    EXPECT_EQ(read, cues);
    EXPECT_NE(answerOf("sim-small", before, "severity"), "medium");
    EXPECT_EQ(answerOf("sim-small", after, "severity"), "medium");
}

TEST(SimReflect, JoinsTheLabelsCueSentenceAndDropsMisleadingCues)
{
    const std::string current = "Classify the snippet. Use medium when the snippet mentions idiot. Use low when the "
                                "snippet mentions rock or weekend.";
    const std::string records =
        record(1, {{"snippet", "Crawling back under your rock would do everyone a favor."}}, {{"severity", "low"}},
               "severity: expected medium, got low.")
        + record(2, {{"snippet", "Have a wonderful weekend everyone!"}}, {{"severity", "low"}}, "severity: correct.");
    bool joined = false, dropped = false;
    for (std::int64_t seed = 0; seed < 10; ++seed) {
        const std::string out = reflectGepa("sim-large", current, records, seed);
        EXPECT_TRUE(sim::startsWith(out, "Classify the snippet.")) << out;
        const std::vector<std::string> medium = cueSentenceWords(out, "medium");
        ASSERT_FALSE(medium.empty()) << out; // the sentence is kept, maybe extended
        EXPECT_EQ(medium.front(), "idiot");
        joined = joined || medium.size() > 1;
        const std::vector<std::string> low = cueSentenceWords(out, "low");
        dropped = dropped || (low == std::vector<std::string>{"weekend"});
        EXPECT_TRUE(low.empty() || low.back() == "weekend") << out;
        EXPECT_EQ(std::count(low.begin(), low.end(), "crawling"), 0);
    }
    EXPECT_TRUE(joined);
    EXPECT_TRUE(dropped);
}

TEST(SimReflect, CueSentencesNameTheRecordsInputFields)
{
    const std::string records = record(1, {{"question", "Is the comet bright?"}, {"context", "A comet passed."}},
                                       {{"verdict", "no"}}, "verdict: expected yes, got no.")
                                + record(2, {{"question", "Is the moon red?"}, {"context", "The moon rose."}},
                                         {{"verdict", "no"}}, "verdict: correct.");
    bool found = false;
    for (std::int64_t seed = 0; seed < 10 && !found; ++seed) {
        const std::string out = reflectGepa("sim-large", "Answer the question.", records, seed);
        EXPECT_EQ(out.find("snippet"), std::string::npos) << out;
        found = out.find("Answer yes when the question or context mentions ") != std::string::npos;
    }
    EXPECT_TRUE(found);
}

TEST(SimReflect, UninformativeFeedbackOnlyRemovesCuesOfZeroScoreOutputs)
{
    const std::string current = "Classify the snippet. Use high when the snippet mentions rock or knife.";
    const std::string records = record(1, {{"snippet", "Crawling back under your rock would do everyone a favor."}},
                                       {{"severity", "high"}}, "This trajectory got a score of 0.0.")
                                + record(2, {{"snippet", "Have a wonderful weekend everyone!"}}, {{"severity", "low"}},
                                         "This trajectory got a score of 1.0.");
    int removed = 0;
    for (std::int64_t seed = 0; seed < 10; ++seed) {
        const std::string out = reflectGepa("sim-large", current, records, seed);
        EXPECT_EQ(sim::splitSentences(out).size(), 2u) << out; // nothing added
        if (out == "Classify the snippet. Use high when the snippet mentions knife.")
            ++removed;
        else
            EXPECT_EQ(out, current);
    }
    EXPECT_GE(removed, 7);
}

TEST(SimReflect, ParseFailuresAskToFollowTheFormat)
{
    const std::string records =
        record(1, {{"snippet", "Crawling back under your rock."}}, {},
               "Your output failed to parse. Follow this structure:\n[[ ## severity ## ]]\n{severity}")
        + record(2, {{"snippet", "Hello."}}, {{"severity", "low"}}, "The answer could not be parsed.");
    int asked = 0;
    for (std::int64_t seed = 0; seed < 10; ++seed) {
        const std::string out = reflectGepa("sim-small", "Classify the snippet.", records, seed);
        if (out == "Classify the snippet. Follow the output format exactly.")
            ++asked;
        else
            EXPECT_EQ(out, "Classify the snippet.");
    }
    EXPECT_GE(asked, 4);
}

TEST(SimReflect, WrongNumbersAndLongAnswersGetTheirSentences)
{
    const std::string math =
        record(1, {{"problem", "Tom has 7 plus 5 apples."}}, {{"answer", "7"}}, "answer: expected 12, got 7.");
    const std::string qa =
        record(1, {{"question", "Where is the tower?"}}, {{"answer", "The tall tower stands in the city of Paris"}},
               "answer: expected Paris, got The tall tower stands in the city of Paris (f1 0.20)");
    int calculate = 0, shortAnswer = 0;
    for (std::int64_t seed = 0; seed < 10; ++seed) {
        calculate +=
            reflectGepa("sim-large", "Solve it.", math, seed) == "Solve it. Calculate the answer step by step.";
        shortAnswer += reflectGepa("sim-large", "Answer it.", qa, seed)
                       == "Answer it. Answer with only the few words that answer the question.";
    }
    EXPECT_GE(calculate, 7);
    EXPECT_GE(shortAnswer, 7);
    // Already there: not added twice.
    EXPECT_EQ(reflectGepa("sim-large", "Solve it. Calculate the answer step by step.", math, 0),
              "Solve it. Calculate the answer step by step.");
}

TEST(SimReflect, ListFeedbackMissingAndExtraLabels)
{
    const std::string records = record(1, {{"snippet", "I will hunt you down."}}, {{"policy_violations", "['spam']"}},
                                       "policy_violations: missing violence; extra spam.")
                                + record(2, {{"snippet", "Buy cheap pills now."}}, {{"policy_violations", "['spam']"}},
                                         "policy_violations: correct.");
    bool found = false;
    for (std::int64_t seed = 0; seed < 10 && !found; ++seed) {
        const std::vector<std::string> cues =
            cueSentenceWords(reflectGepa("sim-small", "Tag the snippet.", records, seed), "violence");
        // "will" is a stopword, so "hunt" is the one word the example offers.
        found = cues == std::vector<std::string>{"hunt"};
        EXPECT_TRUE(cues.empty() || found);
    }
    EXPECT_TRUE(found);
}

// A pipeline's second stage shows only its own output (severity) while the metric's feedback
// goes on about the first stage's field: the severity clause ends at the next "field:".
TEST(SimReflect, FeedbackOnAnotherStagesFieldEndsTheClause)
{
    const std::string rate =
        record(1, {{"snippet", "Nobody on this team can stand working with you."}, {"policy_violations", "[]"}},
               {{"reasoning", "severity low: no evidence, the first option."}, {"severity", "low"}},
               "severity: expected medium, got low. policy_violations: missing harassment; got nothing.")
        + record(2, {{"snippet", "Have a wonderful weekend everyone!"}, {"policy_violations", "[]"}},
                 {{"reasoning", "severity low: no evidence, the first option."}, {"severity", "low"}},
                 "severity: correct. policy_violations: correct.");
    bool cue = false;
    for (std::int64_t seed = 0; seed < 10; ++seed) {
        const std::string answer = reflectGepa("sim-large", "Rate the severity.", rate, seed);
        EXPECT_EQ(answer.find("few words"), std::string::npos) << "a label read as a long answer: " << answer;
        cue = cue || !cueSentenceWords(answer, "medium", "snippet or policy_violations").empty();
    }
    EXPECT_TRUE(cue) << "no reflection added a cue for the expected severity";
}

TEST(SimReflect, ReadsTheBuiltInMetricsFeedbackWording)
{
    // Token F1's "extra words" on a free-text answer: the answer is too long.
    const std::string qa =
        record(1, {{"question", "Where is the tower?"}}, {{"answer", "The tall tower stands in the city of Paris"}},
               "answer: extra words the, tall, tower, stands, in, city, of (f1 0.20).")
        + record(2, {{"question", "Who built it?"}}, {{"answer", "It was built by Gustave Eiffel in 1889"}},
                 "answer: missing words gustave; extra words it, was, built, by, in, 1889 (f1 0.25).");
    int shortAnswer = 0;
    for (std::int64_t seed = 0; seed < 10; ++seed)
        shortAnswer += reflectGepa("sim-large", "Answer it.", qa, seed)
                       == "Answer it. Answer with only the few words that answer the question.";
    EXPECT_GE(shortAnswer, 7);
    // Jaccard's "missing L; got nothing": the label is L, not "L; got nothing".
    const std::string list = record(1, {{"snippet", "I will hunt you down."}}, {{"policy_violations", "[]"}},
                                    "severity: correct. policy_violations: missing violence; got nothing.");
    bool found = false;
    for (std::int64_t seed = 0; seed < 10 && !found; ++seed) {
        const std::string answer = reflectGepa("sim-small", "Tag the snippet.", list, seed);
        EXPECT_EQ(answer.find("got nothing"), std::string::npos) << answer;
        found = cueSentenceWords(answer, "violence") == std::vector<std::string>{"hunt"};
    }
    EXPECT_TRUE(found);
}
