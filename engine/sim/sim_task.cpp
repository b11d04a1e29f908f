#include "sim/sim_task.h"

#include "sim/sim_text.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace prism::sim {

namespace {

constexpr double kListThreshold = 0.55;
constexpr double kCopySimilarity = 0.9;
constexpr std::size_t kConciseWords = 6;

std::string fixed2(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

bool isQuestion(const std::string &value)
{
    static const std::set<std::string> wh = {"what", "who", "whom", "whose", "which", "when", "where", "why", "how"};
    const std::string t = trimmed(value);
    if (endsWith(t, "?"))
        return true;
    const std::vector<std::string> w = words(t);
    return !w.empty() && wh.count(w.front()) > 0;
}

bool hasDefaultMarker(const std::vector<std::string> &sentenceWords)
{
    return containsRun(sentenceWords, {"otherwise"}) || containsRun(sentenceWords, {"default"})
           || containsRun(sentenceWords, {"if", "unsure"}) || containsRun(sentenceWords, {"if", "none"});
}

bool asksToCalculate(const std::string &instruction)
{
    const std::vector<std::string> w = words(instruction);
    for (const std::string &word : w)
        if (startsWith(word, "calculat") || startsWith(word, "comput"))
            return true;
    return containsRun(w, {"step", "by", "step"});
}

bool asksForBrevity(const std::string &instruction)
{
    const std::vector<std::string> w = words(instruction);
    return std::any_of(w.begin(), w.end(), [](const std::string &x) {
        return x == "short" || x == "concise" || x == "brief" || x == "only";
    });
}

std::string surfaceCore(const std::string &word)
{
    std::size_t b = 0, e = word.size();
    auto keep = [](unsigned char c) { return std::isalnum(c) || c >= 0x80; };
    while (b < e && !keep(static_cast<unsigned char>(word[b])))
        ++b;
    while (e > b && !keep(static_cast<unsigned char>(word[e - 1])))
        --e;
    return word.substr(b, e - b);
}

// "cut to at most 6 words with the question's words removed" (and stopwords,
// which cannot be an answer on their own).
std::string conciseCut(const std::string &sentence, const std::string &question)
{
    const std::vector<std::string> qw = words(question);
    const std::set<std::string> questionWords(qw.begin(), qw.end());
    std::vector<std::string> kept;
    std::size_t i = 0;
    while (i < sentence.size() && kept.size() < kConciseWords) {
        while (i < sentence.size() && std::isspace(static_cast<unsigned char>(sentence[i])))
            ++i;
        std::size_t j = i;
        while (j < sentence.size() && !std::isspace(static_cast<unsigned char>(sentence[j])))
            ++j;
        const std::string core = surfaceCore(sentence.substr(i, j - i));
        i = j;
        if (core.empty())
            continue;
        const std::vector<std::string> parts = words(core);
        const bool drop = std::all_of(parts.begin(), parts.end(), [&](const std::string &p) {
            return questionWords.count(p) > 0 || isStopword(p) || (p.size() == 1 && !isNumberWord(p));
        });
        if (!drop)
            kept.push_back(core);
    }
    return kept.empty() ? sentence : joinStrings(kept, " ");
}

} // namespace

TaskSkills::TaskSkills(const Prompt &prompt, const DrawContext &context) : m_prompt(prompt), m_context(context)
{
    m_inputText = prompt.inputText(prompt.current);
    m_inputTokens = tokenSet(m_inputText);
    const std::vector<std::string> w = words(m_inputText);
    m_inputWords = std::set<std::string>(w.begin(), w.end());
    m_instructionSentences = splitSentences(prompt.instruction);
    for (const auto *list : {&prompt.inputs, &prompt.outputs}) {
        for (const PromptField &f : *list) {
            for (const std::string &word : words(f.name))
                m_excluded.insert(word);
            for (const auto &runs : optionRuns(f))
                for (const auto &run : runs)
                    m_excluded.insert(run.begin(), run.end());
        }
    }
    for (const Record &demo : prompt.demos)
        m_demoSims.push_back(jaccard(m_inputTokens, tokenSet(prompt.inputText(demo))));
}

// Word runs that name each option: its own words; for bool, yes/true and no/false.
std::vector<std::vector<std::vector<std::string>>> TaskSkills::optionRuns(const PromptField &field) const
{
    std::vector<std::vector<std::vector<std::string>>> runs;
    if (field.kind == FieldKind::Bool) {
        runs.push_back({{"true"}, {"yes"}});
        runs.push_back({{"false"}, {"no"}});
    } else if (field.kind == FieldKind::Enum || field.kind == FieldKind::ListEnum) {
        for (const std::string &option : field.options)
            runs.push_back({words(option)});
    }
    return runs;
}

std::vector<std::string> TaskSkills::optionLabels(const PromptField &field) const
{
    if (field.kind == FieldKind::Bool)
        return {"true", "false"};
    return field.options;
}

std::vector<std::string> TaskSkills::demoLabels(const PromptField &field, const std::string &value) const
{
    std::vector<std::string> raw;
    if (field.kind == FieldKind::ListEnum)
        raw = parseListItems(value);
    else
        raw = {trimmed(value)};
    std::vector<std::string> out;
    for (std::string label : raw) {
        while (!label.empty() && (label.front() == '\'' || label.front() == '"'))
            label.erase(0, 1);
        while (!label.empty() && (label.back() == '\'' || label.back() == '"'))
            label.pop_back();
        const std::string lower = toLowerAscii(trimmed(label));
        if (field.kind == FieldKind::Bool) {
            if (lower == "true" || lower == "yes" || lower == "1")
                out.push_back("true");
            else if (lower == "false" || lower == "no" || lower == "0")
                out.push_back("false");
            continue;
        }
        for (const std::string &option : field.options)
            if (toLowerAscii(option) == lower)
                out.push_back(option);
    }
    return out;
}

std::vector<std::string> TaskSkills::cueWords(const PromptField &field, std::size_t index) const
{
    const auto runs = optionRuns(field);
    std::vector<std::string> sentences = m_instructionSentences;
    for (std::string &s : splitSentences(field.description))
        sentences.push_back(std::move(s));
    std::vector<std::string> cues;
    for (const std::string &sentence : sentences) {
        const std::vector<std::string> sw = words(sentence);
        std::vector<std::size_t> named;
        for (std::size_t o = 0; o < runs.size(); ++o)
            if (std::any_of(runs[o].begin(), runs[o].end(), [&](const auto &run) { return containsRun(sw, run); }))
                named.push_back(o);
        if (named.size() != 1 || named.front() != index)
            continue;
        for (const std::string &token : tokens(sentence))
            if (!isGenericWord(token) && !m_excluded.count(token)
                && std::find(cues.begin(), cues.end(), token) == cues.end())
                cues.push_back(token);
    }
    return cues;
}

int TaskSkills::defaultOption(const PromptField &field) const
{
    const auto runs = optionRuns(field);
    std::vector<std::string> sentences = m_instructionSentences;
    for (std::string &s : splitSentences(field.description))
        sentences.push_back(std::move(s));
    for (const std::string &sentence : sentences) {
        const std::vector<std::string> sw = words(sentence);
        if (!hasDefaultMarker(sw))
            continue;
        std::vector<std::size_t> named;
        for (std::size_t o = 0; o < runs.size(); ++o)
            if (std::any_of(runs[o].begin(), runs[o].end(), [&](const auto &run) { return containsRun(sw, run); }))
                named.push_back(o);
        if (named.size() == 1)
            return static_cast<int>(named.front());
    }
    return -1;
}

double TaskSkills::noiseDraw(const std::string &field, const std::string &option) const
{
    DrawHash h;
    h.add("noise").add(m_context.model).add(static_cast<std::uint64_t>(m_context.seed));
    for (const auto &[name, value] : m_prompt.current.items())
        h.add(name).add(value);
    h.add(field).add(option);
    if (m_context.hot())
        h.add("rollout").add(m_context.rollout);
    const double amplitude = m_prompt.hasReasoning() ? m_context.noise / 2 : m_context.noise;
    return h.unit() * amplitude;
}

std::vector<TaskSkills::OptionScore> TaskSkills::scoreOptions(const PromptField &field)
{
    const auto runs = optionRuns(field);
    const std::vector<std::string> labels = optionLabels(field);
    std::vector<OptionScore> scores(labels.size());
    for (std::size_t d = 0; d < m_prompt.demos.size(); ++d) {
        const std::string *value = m_prompt.demos[d].find(field.name);
        if (!value)
            continue;
        for (const std::string &label : demoLabels(field, *value))
            for (std::size_t o = 0; o < labels.size(); ++o)
                if (labels[o] == label)
                    scores[o].demo = std::max(scores[o].demo, m_demoSims[d]);
    }
    for (std::size_t o = 0; o < labels.size(); ++o) {
        OptionScore &s = scores[o];
        for (const std::string &cue : cueWords(field, o))
            if (m_inputTokens.count(cue))
                s.cueHits.push_back(cue);
        if (!s.cueHits.empty())
            s.instr = std::min(1.0, 0.5 + 0.25 * static_cast<double>(s.cueHits.size()));
        for (const auto &run : runs[o]) {
            std::vector<std::string> content;
            for (const std::string &w : run)
                if (!isStopword(w))
                    content.push_back(w);
            const std::vector<std::string> &need = content.empty() ? run : content;
            if (std::all_of(need.begin(), need.end(), [&](const std::string &w) { return m_inputWords.count(w) > 0; }))
                s.name = 1.0;
        }
        s.noise = noiseDraw(field.name, labels[o]);
    }
    return scores;
}

std::string TaskSkills::nearestDemoNote(const PromptField &field) const
{
    int best = -1;
    for (std::size_t d = 0; d < m_prompt.demos.size(); ++d)
        if (m_prompt.demos[d].find(field.name)
            && (best < 0 || m_demoSims[d] > m_demoSims[static_cast<std::size_t>(best)]))
            best = static_cast<int>(d);
    if (best < 0 || m_demoSims[static_cast<std::size_t>(best)] <= 0)
        return {};
    const std::vector<std::string> labels =
        demoLabels(field, *m_prompt.demos[static_cast<std::size_t>(best)].find(field.name));
    return "nearest demo " + fixed2(m_demoSims[static_cast<std::size_t>(best)]) + " labelled "
           + (labels.empty() ? std::string("none") : joinStrings(labels, ", "));
}

Answer TaskSkills::answerChoice(const PromptField &field)
{
    Answer answer{field.name, field.kind, {}, {}};
    const std::vector<std::string> labels = optionLabels(field);
    const std::vector<OptionScore> scores = scoreOptions(field);
    std::vector<std::string> notes;
    for (std::size_t o = 0; o < labels.size(); ++o)
        if (!scores[o].cueHits.empty())
            notes.push_back("cues for " + labels[o] + ": " + joinStrings(scores[o].cueHits, ", "));
    for (std::size_t o = 0; o < labels.size(); ++o)
        if (scores[o].name > 0)
            notes.push_back(labels[o] + " named in the input");
    if (const std::string near = nearestDemoNote(field); !near.empty())
        notes.push_back(near);

    if (field.kind == FieldKind::ListEnum) {
        for (std::size_t o = 0; o < labels.size(); ++o)
            if (scores[o].total() >= kListThreshold)
                answer.items.push_back(labels[o]);
        m_notes.push_back(field.name + " [" + joinStrings(answer.items, ", ") + "]"
                          + (notes.empty() ? "" : ": " + joinStrings(notes, "; ")));
        return answer;
    }
    if (labels.empty()) { // an enum whose options we could not read: answer as text
        return answerString(field);
    }
    const bool anyEvidence =
        std::any_of(scores.begin(), scores.end(), [](const OptionScore &s) { return s.evidence(); });
    std::size_t chosen = 0;
    if (anyEvidence) {
        for (std::size_t o = 1; o < labels.size(); ++o)
            if (scores[o].total() > scores[chosen].total())
                chosen = o;
    } else {
        const int def = defaultOption(field);
        chosen = def >= 0 ? static_cast<std::size_t>(def) : 0;
        notes.push_back(def >= 0 ? "no evidence, the instruction's default" : "no evidence, the first option");
    }
    answer.text = labels[chosen];
    m_notes.push_back(field.name + " " + answer.text + ": " + joinStrings(notes, "; "));
    return answer;
}

Answer TaskSkills::answerNumber(const PromptField &field)
{
    Answer answer{field.name, field.kind, {}, {}};
    const bool asInt = field.kind == FieldKind::Int;
    const std::optional<Arithmetic> arithmetic = findArithmetic(m_inputText);
    if (arithmetic && (asksToCalculate(m_prompt.instruction) || m_prompt.hasReasoning())) {
        answer.text = asInt ? formatNumber(arithmetic->value, true) : formatFloat(arithmetic->value);
        m_notes.push_back(field.name + " " + answer.text + ": " + arithmetic->text + " computed left to right");
        return answer;
    }
    const double first = firstNumber(m_inputText).value_or(0.0);
    answer.text = asInt ? formatNumber(first, true) : formatFloat(first);
    m_notes.push_back(field.name + " " + answer.text + ": the first number in the input");
    return answer;
}

Answer TaskSkills::answerString(const PromptField &field)
{
    Answer answer{field.name, field.kind, {}, {}};
    int best = -1;
    for (std::size_t d = 0; d < m_prompt.demos.size(); ++d)
        if (m_prompt.demos[d].find(field.name)
            && (best < 0 || m_demoSims[d] > m_demoSims[static_cast<std::size_t>(best)]))
            best = static_cast<int>(d);
    if (best >= 0 && m_demoSims[static_cast<std::size_t>(best)] >= kCopySimilarity) {
        answer.text = *m_prompt.demos[static_cast<std::size_t>(best)].find(field.name);
        m_notes.push_back(field.name + ": copied from a demo with similarity "
                          + fixed2(m_demoSims[static_cast<std::size_t>(best)]));
    } else {
        const std::string *question = nullptr;
        const std::string *passage = nullptr;
        std::string passageName;
        for (const PromptField &in : m_prompt.inputs) {
            const std::string *v = m_prompt.current.find(in.name);
            if (v && !question && isQuestion(*v))
                question = v;
        }
        for (const PromptField &in : m_prompt.inputs) {
            const std::string *v = m_prompt.current.find(in.name);
            if (v && v != question && splitSentences(*v).size() >= 2 && (!passage || v->size() > passage->size())) {
                passage = v;
                passageName = in.name;
            }
        }
        if (question && passage) {
            const std::vector<std::string> sentences = splitSentences(*passage);
            const std::set<std::string> q = tokenSet(*question);
            std::size_t bestSentence = 0, bestOverlap = 0;
            for (std::size_t s = 0; s < sentences.size(); ++s) {
                std::size_t overlap = 0;
                for (const std::string &t : tokenSet(sentences[s]))
                    overlap += q.count(t);
                if (overlap > bestOverlap) {
                    bestOverlap = overlap;
                    bestSentence = s;
                }
            }
            answer.text = sentences[bestSentence];
            std::string note = field.name + ": sentence " + std::to_string(bestSentence + 1) + " of " + passageName
                               + " shares " + std::to_string(bestOverlap) + " words with the question";
            if (asksForBrevity(m_prompt.instruction)) {
                answer.text = conciseCut(answer.text, *question);
                note += ", cut short";
            }
            m_notes.push_back(note);
        } else {
            for (const PromptField &in : m_prompt.inputs) {
                if (const std::string *v = m_prompt.current.find(in.name)) {
                    const std::vector<std::string> sentences = splitSentences(*v);
                    answer.text = sentences.empty() ? trimmed(*v) : sentences.front();
                    m_notes.push_back(field.name + ": the first sentence of " + in.name);
                    break;
                }
            }
        }
    }
    if (field.kind == FieldKind::List && !answer.text.empty())
        answer.items = {answer.text};
    return answer;
}

Answer TaskSkills::answer(const PromptField &field)
{
    switch (field.kind) {
    case FieldKind::Enum:
    case FieldKind::ListEnum:
    case FieldKind::Bool: return answerChoice(field);
    case FieldKind::Int:
    case FieldKind::Float: return answerNumber(field);
    case FieldKind::String:
    case FieldKind::List:
    case FieldKind::Other: return answerString(field);
    }
    return answerString(field);
}

std::string TaskSkills::reasoning() const
{
    if (m_notes.empty())
        return "No evidence in the prompt.";
    return joinStrings(m_notes, ". ") + ".";
}

} // namespace prism::sim
