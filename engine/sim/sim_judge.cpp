#include "sim/sim_judge.h"

#include "sim/sim_text.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>

namespace prism::sim {

namespace {

bool nameHasWord(const std::string &name, std::initializer_list<const char *> candidates)
{
    for (const std::string &w : words(name))
        for (const char *c : candidates)
            if (w == c)
                return true;
    return false;
}

bool isReferenceName(const std::string &name)
{
    return nameHasWord(name, {"gold", "reference", "expected", "truth", "ground"});
}

bool isResponseName(const std::string &name)
{
    return nameHasWord(name, {"response", "answer", "prediction", "predicted", "output"});
}

bool isRubricName(const std::string &name)
{
    return nameHasWord(name, {"rubric", "criteria", "criterion"});
}

// "must mention X" (or must include / must contain / should mention) phrases, X up to , . ; or a line end.
std::vector<std::string> rubricPhrases(const std::string &text)
{
    static const char *const kMarkers[] = {"must mention ", "must include ", "must contain ", "should mention "};
    const std::string lower = toLowerAscii(text);
    std::vector<std::string> phrases;
    for (const char *marker : kMarkers) {
        const std::string m = marker;
        for (std::size_t at = lower.find(m); at != std::string::npos; at = lower.find(m, at + 1)) {
            const std::size_t from = at + m.size();
            const std::size_t to = text.find_first_of(".,;\n", from);
            std::string phrase = trimmed(text.substr(from, to == std::string::npos ? std::string::npos : to - from));
            while (!phrase.empty() && (phrase.front() == '"' || phrase.front() == '\''))
                phrase.erase(0, 1);
            while (!phrase.empty() && (phrase.back() == '"' || phrase.back() == '\''))
                phrase.pop_back();
            if (!tokens(phrase).empty() && std::find(phrases.begin(), phrases.end(), phrase) == phrases.end())
                phrases.push_back(phrase);
        }
    }
    return phrases;
}

struct Range {
    double low = 0, high = 1;
};

// "from 1 to 5", "between 0 and 10", "1-5", "[0, 1]": the first pair of increasing whole numbers.
std::optional<Range> statedRange(const std::string &text)
{
    const std::vector<std::string> w = words(text);
    for (std::size_t i = 0; i + 1 < w.size(); ++i) {
        if (!isNumberWord(w[i]))
            continue;
        std::size_t j = i + 1;
        if (w[j] == "to" || w[j] == "and" || w[j] == "through")
            ++j;
        if (j < w.size() && isNumberWord(w[j])) {
            const double low = std::strtod(w[i].c_str(), nullptr), high = std::strtod(w[j].c_str(), nullptr);
            if (high > low)
                return Range{low, high};
        }
    }
    return std::nullopt;
}

std::string fixed2(double v)
{
    return formatFloat(std::round(v * 100.0) / 100.0);
}

} // namespace

JudgeSkills::JudgeSkills(const Prompt &prompt, const DrawContext &context) : m_prompt(prompt), m_context(context)
{
    const bool scoreOutput = std::any_of(prompt.outputs.begin(), prompt.outputs.end(),
                                         [&](const PromptField &f) { return isScoreField(f); });
    const PromptField *reference = nullptr, *response = nullptr, *rubric = nullptr;
    for (const PromptField &f : prompt.inputs) {
        if (!reference && isReferenceName(f.name))
            reference = &f;
        else if (!rubric && isRubricName(f.name))
            rubric = &f;
    }
    for (const PromptField &f : prompt.inputs)
        if (!response && &f != reference && isResponseName(f.name))
            response = &f;
    if (reference)
        if (const std::string *v = prompt.current.find(reference->name))
            m_reference = *v;
    if (response)
        if (const std::string *v = prompt.current.find(response->name))
            m_response = *v;
    std::string rubricText = prompt.instruction;
    for (const PromptField &f : prompt.outputs)
        rubricText += "\n" + f.description;
    if (rubric)
        if (const std::string *v = prompt.current.find(rubric->name))
            rubricText += "\n" + *v;
    for (const std::string &t : tokens(m_reference))
        if (std::find(m_items.begin(), m_items.end(), t) == m_items.end())
            m_items.push_back(t);
    const std::vector<std::string> phrases = rubricPhrases(rubricText);
    m_items.insert(m_items.end(), phrases.begin(), phrases.end());
    m_recognized = scoreOutput && response && (reference || !phrases.empty());
    readItems();
}

void JudgeSkills::readItems()
{
    const std::set<std::string> said = tokenSet(m_response);
    for (const std::string &item : m_items) {
        const std::vector<std::string> t = tokens(item);
        m_itemTokens.insert(t.begin(), t.end());
        m_matched.push_back(
            !t.empty() && std::all_of(t.begin(), t.end(), [&](const std::string &w) { return said.count(w) > 0; }));
    }
}

bool JudgeSkills::isScoreField(const PromptField &field) const
{
    return (field.kind == FieldKind::Int || field.kind == FieldKind::Float)
           && nameHasWord(field.name,
                          {"score", "rating", "rate", "grade", "recall", "precision", "f1", "accuracy", "correctness"});
}

bool JudgeSkills::isReasonField(const PromptField &field) const
{
    return (field.kind == FieldKind::String || field.kind == FieldKind::Other)
           && nameHasWord(field.name, {"reasoning", "reason", "rationale", "explanation", "justification"});
}

bool JudgeSkills::handles(const PromptField &field) const
{
    return m_recognized && (isScoreField(field) || isReasonField(field));
}

double JudgeSkills::recall() const
{
    if (m_items.empty())
        return 0.0;
    return static_cast<double>(std::count(m_matched.begin(), m_matched.end(), true))
           / static_cast<double>(m_items.size());
}

double JudgeSkills::precision() const
{
    const std::vector<std::string> said = tokens(m_response);
    const std::set<std::string> unique(said.begin(), said.end());
    if (unique.empty())
        return 0.0;
    const auto supported =
        std::count_if(unique.begin(), unique.end(), [&](const std::string &t) { return m_itemTokens.count(t) > 0; });
    return static_cast<double>(supported) / static_cast<double>(unique.size());
}

std::string JudgeSkills::reasoning() const
{
    std::vector<std::string> hit, missed;
    for (std::size_t i = 0; i < m_items.size(); ++i)
        (m_matched[i] ? hit : missed).push_back(m_items[i]);
    std::string out = "The response matches " + std::to_string(hit.size()) + " of " + std::to_string(m_items.size())
                      + " reference items";
    out += hit.empty() ? std::string(".") : ": " + joinStrings(hit, ", ") + ".";
    out += missed.empty() ? std::string(" Nothing is missing.") : " Missing: " + joinStrings(missed, ", ") + ".";
    return out;
}

Answer JudgeSkills::answer(const PromptField &field) const
{
    Answer answer{field.name, field.kind, {}, {}};
    if (isReasonField(field)) {
        answer.text = reasoning();
        return answer;
    }
    const double r = recall(), p = precision();
    double value = nameHasWord(field.name, {"recall"})      ? r
                   : nameHasWord(field.name, {"precision"}) ? p
                   : r + p > 0                              ? 2 * r * p / (r + p)
                                                            : 0.0;
    // The model's noise, centred: a judge errs both ways.
    DrawHash h;
    h.add("judge").add(m_context.model).add(static_cast<std::uint64_t>(m_context.seed));
    for (const auto &[name, v] : m_prompt.current.items())
        h.add(name).add(v);
    h.add(field.name);
    if (m_context.hot())
        h.add("rollout").add(m_context.rollout);
    const double amplitude = m_prompt.hasReasoning() ? m_context.noise / 2 : m_context.noise;
    value = std::clamp(value + (h.unit() - 0.5) * amplitude, 0.0, 1.0);

    const bool asInt = field.kind == FieldKind::Int;
    Range range = asInt ? Range{1, 5} : Range{0, 1};
    if (auto stated = statedRange(field.description))
        range = *stated;
    else if (auto inInstruction = statedRange(m_prompt.instruction))
        range = *inInstruction;
    const double mapped = range.low + value * (range.high - range.low);
    answer.text = asInt ? formatNumber(mapped, true) : fixed2(mapped);
    return answer;
}

} // namespace prism::sim
