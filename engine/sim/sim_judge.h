#pragma once

// SimLm's judge skill (docs/SIMLM.md, "Judge skill"): LLM-as-judge metric
// signatures. A score-like number output (score, rating, grade, recall,
// precision, ...) with a reference-like and a response-like input, or a rubric,
// is answered with token recall / precision / F1 of the response against the
// reference items, mapped to the field's range, plus the model's noise.

#include "sim/sim_task.h"

#include <set>
#include <string>
#include <vector>

namespace prism::sim {

class JudgeSkills {
public:
    JudgeSkills(const Prompt &prompt, const DrawContext &context);

    // Does the prompt ask for a judgement SimLm can give?
    bool recognized() const { return m_recognized; }
    // Score-like numeric outputs and reason-like string outputs are the judge's.
    bool handles(const PromptField &field) const;
    Answer answer(const PromptField &field) const;

    // Exposed for tests: the items the response is checked against, and which it has.
    const std::vector<std::string> &items() const { return m_items; }
    const std::vector<bool> &matched() const { return m_matched; }
    double recall() const;
    double precision() const;

private:
    bool isScoreField(const PromptField &field) const;
    bool isReasonField(const PromptField &field) const;
    void readItems();
    std::string reasoning() const;

    const Prompt &m_prompt;
    DrawContext m_context;
    bool m_recognized = false;
    std::string m_reference;          // the reference-like input's value ("" with a rubric only)
    std::string m_response;           // the response-like input's value
    std::vector<std::string> m_items; // reference tokens, then rubric phrases
    std::vector<bool> m_matched;
    std::set<std::string> m_itemTokens; // every token of every item
};

} // namespace prism::sim
