#pragma once

// SimLm's task skills (docs/SIMLM.md): how it answers enum, list, string,
// number, bool and reasoning output fields from the prompt alone.

#include "sim/sim_prompt.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace prism::sim {

// What the seeded draws of one call depend on.
struct DrawContext {
    std::string model;        // the noise pattern's model (sim-flaky draws as sim-small)
    std::int64_t seed = 0;    // request seed; absent = 0
    double temperature = 0.0; // > 0 mixes the rollout into every draw
    std::uint64_t rollout = 0;
    double noise = 0.35; // noise amplitude of the model
    bool largeProposer = false;

    bool hot() const { return temperature > 0.0; }
};

struct Answer {
    std::string field;
    FieldKind kind = FieldKind::String;
    std::string text;               // scalars; bools are "true"/"false"
    std::vector<std::string> items; // ListEnum and List answers
};

// One call's task answers. Built once per call; answer() each output field,
// then reasoning() accounts for the evidence used so far.
class TaskSkills {
public:
    TaskSkills(const Prompt &prompt, const DrawContext &context);

    Answer answer(const PromptField &field);
    std::string reasoning() const;

    // Exposed for tests and the docs: the cue words of option `index` of
    // `field` (instruction and field-description sentences that name it and
    // no other option, minus generic and excluded words).
    std::vector<std::string> cueWords(const PromptField &field, std::size_t index) const;
    // The option an instruction sentence names as the default, or -1.
    int defaultOption(const PromptField &field) const;

private:
    struct OptionScore {
        double demo = 0, instr = 0, name = 0, noise = 0;
        std::vector<std::string> cueHits;
        double total() const { return 1.0 * demo + 1.2 * instr + 0.6 * name + noise; }
        bool evidence() const { return demo > 0 || instr > 0 || name > 0; }
    };

    std::vector<std::vector<std::vector<std::string>>> optionRuns(const PromptField &field) const;
    std::vector<std::string> optionLabels(const PromptField &field) const;
    std::vector<std::string> demoLabels(const PromptField &field, const std::string &value) const;
    std::vector<OptionScore> scoreOptions(const PromptField &field);
    double noiseDraw(const std::string &field, const std::string &option) const;
    std::string nearestDemoNote(const PromptField &field) const;

    Answer answerChoice(const PromptField &field);
    Answer answerNumber(const PromptField &field);
    Answer answerString(const PromptField &field);

    const Prompt &m_prompt;
    DrawContext m_context;
    std::string m_inputText;             // x
    std::set<std::string> m_inputTokens; // tokens of x
    std::set<std::string> m_inputWords;  // all words of x, stopwords included
    std::vector<std::string> m_instructionSentences;
    std::set<std::string> m_excluded; // option and field-name words: never cue words
    std::vector<double> m_demoSims;   // sim(x, demo inputs) per demo
    std::vector<std::string> m_notes; // evidence, for reasoning()
};

} // namespace prism::sim
