#include "sim/sim_reflect.h"

#include "sim/sim_text.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <set>

namespace prism::sim {

namespace {

constexpr std::size_t kLabelMaxWords = 4;
constexpr std::size_t kLabelMaxChars = 40;
constexpr std::size_t kShortAnswerWords = 6;
constexpr const char *kGepaOpening = "I provided an assistant with the following instructions";
constexpr const char *kCalculateSentence = "Calculate the answer step by step.";
constexpr const char *kShortAnswerSentence = "Answer with only the few words that answer the question.";
constexpr const char *kFormatSentence = "Follow the output format exactly.";

// ---- the records -----------------------------------------------------------

enum class Section {
    None,
    Inputs,
    Outputs,
    Feedback,
};

struct RecordReader {
    std::vector<FeedbackRecord> records;
    Section section = Section::None;
    std::string field;
    std::string value;

    void flushField()
    {
        if (!records.empty() && !field.empty()) {
            Record &target = section == Section::Inputs ? records.back().inputs : records.back().outputs;
            target.set(field, trimmed(value));
        }
        field.clear();
        value.clear();
    }
    void line(const std::string &raw)
    {
        const std::string t = trimmed(raw);
        if (startsWith(t, "# Example")) {
            flushField();
            records.emplace_back();
            section = Section::None;
        } else if (records.empty()) {
            return;
        } else if (t == "## Inputs" || t == "## Generated Outputs" || t == "## Feedback") {
            flushField();
            section = t == "## Inputs" ? Section::Inputs : t == "## Feedback" ? Section::Feedback : Section::Outputs;
        } else if (section == Section::Feedback) {
            records.back().feedback += raw + "\n";
        } else if ((section == Section::Inputs || section == Section::Outputs) && startsWith(t, "### ")) {
            flushField();
            field = trimmed(t.substr(4));
        } else if (!field.empty()) {
            value += raw + "\n";
        } else if (section == Section::Outputs) {
            records.back().rawOutputs += raw + "\n";
        }
    }
};

// ---- reading the feedback --------------------------------------------------

// What the feedback says about one output field of one record.
struct Verdict {
    enum class Kind {
        Correct,
        Wrong,    // expected X, got Y
        ListDiff, // missing a, b; extra c
    };
    Kind kind = Kind::Correct;
    std::string expected, got;
    std::vector<std::string> missing, extra;
    std::string grade;  // "f1 0.40" from Prism's composite wording
    bool words = false; // "missing words a; extra words b": a text's words, not a list's items
};

// "a, b and c" or a JSON/Python list -> items.
std::vector<std::string> itemList(std::string text)
{
    text = trimmed(text);
    if (startsWith(text, "["))
        return parseListItems(text);
    std::vector<std::string> out;
    for (std::size_t p; (p = text.find(" and ")) != std::string::npos;)
        text.replace(p, 5, ", ");
    for (const std::string &item : splitOn(text, ","))
        if (!item.empty() && item != "nothing")
            out.push_back(item);
    return out;
}

std::string stripEnd(std::string text)
{
    text = trimmed(text);
    while (!text.empty() && (text.back() == '.' || text.back() == ';'))
        text.pop_back();
    return trimmed(text);
}

Verdict readClause(const std::string &clause)
{
    Verdict v;
    const std::string text = stripEnd(clause);
    const std::string lower = toLowerAscii(text);
    if (startsWith(lower, "expected ")) {
        const std::size_t got = text.find(", got ");
        if (got == std::string::npos)
            return v;
        v.kind = Verdict::Kind::Wrong;
        v.expected = trimmed(text.substr(9, got - 9));
        v.got = trimmed(text.substr(got + 6));
        // Prism's composite metric ends with "(0)", "(1)" or "(f1 0.40)".
        const std::size_t open = v.got.rfind(" (");
        if (endsWith(v.got, ")") && open != std::string::npos) {
            v.grade = v.got.substr(open + 2, v.got.size() - open - 3);
            v.got = trimmed(v.got.substr(0, open));
            if (v.grade == "1" || endsWith(v.grade, " 1.00"))
                v.kind = Verdict::Kind::Correct;
        }
        if (v.got == "nothing" || v.got == "\"\"")
            v.got.clear();
        return v;
    }
    const std::size_t missing = lower.find("missing ");
    const std::size_t extra = lower.find("extra ");
    if (missing == std::string::npos && extra == std::string::npos)
        return v;
    v.kind = Verdict::Kind::ListDiff;
    auto part = [&](std::size_t at, std::size_t skip) {
        std::size_t end = text.size();
        for (std::size_t other : {missing, extra})
            if (other != std::string::npos && other > at)
                end = std::min(end, other);
        // "missing harassment; got nothing": a list ends at a semicolon too.
        const std::size_t semicolon = text.find(';', at);
        if (semicolon != std::string::npos)
            end = std::min(end, semicolon);
        return stripEnd(text.substr(at + skip, end - at - skip));
    };
    v.words = lower.find("missing words ") != std::string::npos || lower.find("extra words ") != std::string::npos;
    if (missing != std::string::npos)
        v.missing = itemList(part(missing, 8));
    if (extra != std::string::npos)
        v.extra = itemList(part(extra, 6));
    return v;
}

bool isBoundary(const std::string &text, std::size_t at)
{
    if (at == 0)
        return true;
    const char c = text[at - 1];
    return std::isspace(static_cast<unsigned char>(c)) || c == ';' || c == '.' || c == ',';
}

// Where the next "other_field: ..." clause starts after `from`: a sentence end
// followed by an identifier and a colon. A pipeline stage's records show only
// its own outputs, while the metric's feedback speaks of every field
// ("severity: expected medium, got low. policy_violations: missing ..."), so a
// clause ends there even when that field is not one the records show.
std::size_t nextClause(const std::string &feedback, std::size_t from)
{
    for (std::size_t dot = feedback.find('.', from); dot != std::string::npos; dot = feedback.find('.', dot + 1)) {
        std::size_t i = dot + 1;
        if (i >= feedback.size() || !std::isspace(static_cast<unsigned char>(feedback[i])))
            continue;
        while (i < feedback.size() && std::isspace(static_cast<unsigned char>(feedback[i])))
            ++i;
        const std::size_t name = i;
        while (i < feedback.size() && (std::isalnum(static_cast<unsigned char>(feedback[i])) || feedback[i] == '_'))
            ++i;
        if (i > name && i < feedback.size() && feedback[i] == ':'
            && !std::isdigit(static_cast<unsigned char>(feedback[name])))
            return dot + 1;
    }
    return feedback.size();
}

// The "field: ..." clauses of a feedback text, for the output fields the records show.
std::map<std::string, Verdict> readVerdicts(const std::string &feedback, const std::vector<std::string> &fields)
{
    std::vector<std::pair<std::size_t, std::string>> starts;
    for (const std::string &f : fields) {
        const std::string marker = f + ":";
        for (std::size_t p = feedback.find(marker); p != std::string::npos; p = feedback.find(marker, p + 1))
            if (isBoundary(feedback, p)) {
                starts.emplace_back(p, f);
                break;
            }
    }
    std::sort(starts.begin(), starts.end());
    std::map<std::string, Verdict> out;
    for (std::size_t i = 0; i < starts.size(); ++i) {
        const std::size_t from = starts[i].first + starts[i].second.size() + 1;
        const std::size_t to =
            std::min(i + 1 < starts.size() ? starts[i + 1].first : feedback.size(), nextClause(feedback, from));
        out.emplace(starts[i].second, readClause(feedback.substr(from, to - from)));
    }
    return out;
}

bool isNumeric(const std::string &text)
{
    const std::string t = trimmed(text);
    char *end = nullptr;
    std::strtod(t.c_str(), &end);
    return !t.empty() && end && *end == '\0';
}

bool isLabelText(const std::string &text)
{
    return text.size() <= kLabelMaxChars && words(text).size() <= kLabelMaxWords && !isNumeric(text);
}

// One record, read: its input text and, per output field, the verdict and the labels.
struct ReadRecord {
    std::string inputText;
    std::set<std::string> inputTokens;
    std::map<std::string, Verdict> verdicts;
    bool uninformative = false; // "This trajectory got a score of X."
    double score = 1.0;
    bool parseFailure = false;
};

std::vector<std::string> outputItems(const FeedbackRecord &r, const std::string &field, bool list)
{
    const std::string *v = r.outputs.find(field);
    if (!v || trimmed(*v).empty())
        return {};
    return list ? parseListItems(*v) : std::vector<std::string>{trimmed(*v)};
}

// ---- the edits -------------------------------------------------------------

struct FieldInfo {
    std::string name;
    bool list = false;    // list of labels
    bool label = false;   // one label
    bool numeric = false; // a number
};

class Reflection {
public:
    Reflection(const ReflectionRequest &request, const DrawContext &context);
    std::string run();

private:
    void readFields();
    void inferFromOutputs(FieldInfo &f) const;
    std::vector<std::string> expectedItems(std::size_t r, const FieldInfo &f, bool &known) const;
    std::vector<std::string> producedItems(std::size_t r, const FieldInfo &f) const;
    bool keep(const std::string &edit) const;
    std::vector<std::size_t> sentencesNaming(const std::string &label, const FieldInfo &f) const;
    std::set<std::string> cuesOf(const std::string &label, const FieldInfo &f) const;
    bool usable(const std::string &token) const;
    void addCues(const FieldInfo &f, const std::string &label, const std::vector<std::size_t> &failing);
    void dropCues(const FieldInfo &f, const std::string &label, const std::vector<std::size_t> &against);
    void labelEdits(const FieldInfo &f);
    void valueEdits(const FieldInfo &f);
    void addSentence(const std::string &sentence, const std::string &edit);

    const DrawContext &m_context;
    std::vector<std::string> m_sentences; // the instruction, sentence by sentence, as edited
    std::vector<bool> m_changed;          // per sentence: rewritten by an edit
    std::string m_instruction;
    std::vector<FeedbackRecord> m_records;
    std::vector<ReadRecord> m_read;
    std::vector<std::string> m_inputNames;
    std::vector<FieldInfo> m_fields;
    std::set<std::string> m_excluded; // field names and labels: never cue words
    DrawHash m_base;
};

Reflection::Reflection(const ReflectionRequest &request, const DrawContext &context)
    : m_context(context), m_instruction(trimmed(request.instruction)), m_records(parseFeedbackRecords(request.records))
{
    m_sentences = splitSentences(m_instruction);
    m_changed.assign(m_sentences.size(), false);
    m_base.add("reflect").add(context.model).add(static_cast<std::uint64_t>(context.seed));
    m_base.add(context.rollout).add(trimmed(request.records));
    readFields();
}

void Reflection::readFields()
{
    std::vector<std::string> outputNames;
    for (const FeedbackRecord &r : m_records) {
        for (const auto &[name, value] : r.inputs.items())
            if (std::find(m_inputNames.begin(), m_inputNames.end(), name) == m_inputNames.end())
                m_inputNames.push_back(name);
        for (const auto &[name, value] : r.outputs.items())
            if (std::find(outputNames.begin(), outputNames.end(), name) == outputNames.end())
                outputNames.push_back(name);
    }
    for (const FeedbackRecord &r : m_records) {
        ReadRecord read;
        std::vector<std::string> parts;
        for (const auto &[name, value] : r.inputs.items())
            parts.push_back(value);
        read.inputText = joinStrings(parts, "\n");
        read.inputTokens = tokenSet(read.inputText);
        const std::string feedback = trimmed(r.feedback);
        const std::string lower = toLowerAscii(feedback);
        if (startsWith(feedback, "This trajectory got a score of")) {
            read.uninformative = true;
            read.score = firstNumber(feedback).value_or(0.0);
        }
        read.verdicts = readVerdicts(feedback, outputNames);
        read.parseFailure = lower.find("failed to parse") != std::string::npos
                            || lower.find("could not be parsed") != std::string::npos
                            || (read.verdicts.empty() && lower.find("format") != std::string::npos);
        m_read.push_back(std::move(read));
    }
    for (const std::string &name : outputNames) {
        FieldInfo f{name};
        bool wrongLabel = false, otherWrong = false;
        for (const ReadRecord &read : m_read) {
            const auto it = read.verdicts.find(name);
            if (it == read.verdicts.end())
                continue;
            const Verdict &v = it->second;
            f.list = f.list || (v.kind == Verdict::Kind::ListDiff && !v.words) || startsWith(v.expected, "[");
            if (v.kind != Verdict::Kind::Wrong || startsWith(v.expected, "["))
                continue;
            f.numeric = f.numeric || isNumeric(v.expected);
            const bool graded = startsWith(v.grade, "f1") || startsWith(v.grade, "jaccard");
            const std::set<std::string> want = tokenSet(v.expected);
            const std::vector<std::string> got = tokens(v.got);
            const bool labels =
                isLabelText(v.expected) && isLabelText(v.got) && !graded
                && std::none_of(got.begin(), got.end(), [&](const std::string &t) { return want.count(t) > 0; });
            (labels ? wrongLabel : otherWrong) = true;
        }
        const bool wordDiffs = std::any_of(m_read.begin(), m_read.end(), [&](const ReadRecord &read) {
            const auto it = read.verdicts.find(name);
            return it != read.verdicts.end() && it->second.words;
        });
        if (!wrongLabel && !otherWrong && !f.list && !wordDiffs)
            inferFromOutputs(f);
        else
            f.label = !f.list && !f.numeric && wrongLabel && !otherWrong;
        m_fields.push_back(f);
    }
    for (const std::string &n : m_inputNames)
        for (const std::string &w : words(n))
            m_excluded.insert(w);
    for (std::size_t r = 0; r < m_records.size(); ++r)
        for (const FieldInfo &f : m_fields) {
            for (const std::string &w : words(f.name))
                m_excluded.insert(w);
            bool known = false;
            std::vector<std::string> labels =
                f.label || f.list ? expectedItems(r, f, known) : std::vector<std::string>();
            for (const std::string &l : producedItems(r, f))
                labels.push_back(l);
            for (const std::string &l : labels)
                for (const std::string &w : words(l))
                    m_excluded.insert(w);
        }
}

// No verdict says what the field holds (uninformative feedback): its outputs do. A bracketed or
// empty output is a list of labels; short non-numeric outputs are labels.
void Reflection::inferFromOutputs(FieldInfo &f) const
{
    bool any = false, allLabels = true;
    for (const FeedbackRecord &r : m_records) {
        const std::string *v = r.outputs.find(f.name);
        if (!v)
            continue;
        const std::string t = trimmed(*v);
        if (t.empty() || startsWith(t, "[")) {
            f.list = true;
            continue;
        }
        any = true;
        allLabels = allLabels && isLabelText(t);
    }
    f.label = !f.list && any && allLabels;
    f.numeric = false;
}

std::vector<std::string> Reflection::producedItems(std::size_t r, const FieldInfo &f) const
{
    return outputItems(m_records[r], f.name, f.list);
}

// The labels the record should have had, when its feedback tells.
std::vector<std::string> Reflection::expectedItems(std::size_t r, const FieldInfo &f, bool &known) const
{
    known = false;
    const auto it = m_read[r].verdicts.find(f.name);
    if (it == m_read[r].verdicts.end())
        return {};
    const Verdict &v = it->second;
    known = true;
    if (v.kind == Verdict::Kind::Wrong)
        return f.list ? itemList(v.expected) : std::vector<std::string>{v.expected};
    std::vector<std::string> items = producedItems(r, f);
    if (v.kind == Verdict::Kind::ListDiff) {
        std::erase_if(
            items, [&](const std::string &i) { return std::find(v.extra.begin(), v.extra.end(), i) != v.extra.end(); });
        for (const std::string &m : v.missing)
            if (std::find(items.begin(), items.end(), m) == items.end())
                items.push_back(m);
    }
    return items;
}

bool Reflection::keep(const std::string &edit) const
{
    const double p = m_context.largeProposer ? 0.9 : 0.7;
    return DrawHash(m_base).add("keep").add(edit).unit() < p;
}

bool contains(const std::vector<std::string> &items, const std::string &item)
{
    return std::any_of(items.begin(), items.end(),
                       [&](const std::string &i) { return toLowerAscii(i) == toLowerAscii(item); });
}

// Sentences that name `label` and no other label of its field and list cue words after "mentions".
std::vector<std::size_t> Reflection::sentencesNaming(const std::string &label, const FieldInfo &f) const
{
    std::set<std::string> others;
    for (std::size_t r = 0; r < m_records.size(); ++r) {
        bool known = false;
        for (const std::string &l : expectedItems(r, f, known))
            others.insert(l);
        for (const std::string &l : producedItems(r, f))
            others.insert(l);
    }
    std::vector<std::size_t> out;
    for (std::size_t s = 0; s < m_sentences.size(); ++s) {
        const std::vector<std::string> sw = words(m_sentences[s]);
        if (!containsRun(sw, words(label)) || m_sentences[s].find(" mentions ") == std::string::npos)
            continue;
        const bool namesOther = std::any_of(others.begin(), others.end(), [&](const std::string &o) {
            return toLowerAscii(o) != toLowerAscii(label) && containsRun(sw, words(o));
        });
        if (!namesOther)
            out.push_back(s);
    }
    return out;
}

// The cue list of a "... mentions a, b or c." sentence, and the text before it.
std::vector<std::string> cueList(const std::string &sentence, std::string &prefix)
{
    const std::size_t at = sentence.rfind(" mentions ");
    prefix = sentence.substr(0, at + 10);
    std::string list = stripEnd(sentence.substr(at + 10));
    for (std::size_t p; (p = list.find(" or ")) != std::string::npos;)
        list.replace(p, 4, ", ");
    return itemList(list);
}

std::set<std::string> Reflection::cuesOf(const std::string &label, const FieldInfo &f) const
{
    std::set<std::string> cues;
    for (std::size_t s : sentencesNaming(label, f)) {
        std::string prefix;
        for (const std::string &cue : cueList(m_sentences[s], prefix))
            for (const std::string &t : tokens(cue))
                cues.insert(t);
    }
    return cues;
}

bool Reflection::usable(const std::string &token) const
{
    return !isGenericWord(token) && !isNumberWord(token) && !m_excluded.count(token);
}

// Wrong label: the words of the failing examples that expect `label`, ranked by how many of them
// contain the word minus how many examples of other labels do; the top k join its cue sentence.
void Reflection::addCues(const FieldInfo &f, const std::string &label, const std::vector<std::size_t> &failing)
{
    std::map<std::string, int> score;
    for (std::size_t r : failing)
        for (const std::string &t : m_read[r].inputTokens)
            if (usable(t))
                ++score[t];
    for (std::size_t r = 0; r < m_records.size(); ++r) {
        bool known = false;
        const std::vector<std::string> expected = expectedItems(r, f, known);
        if (known && !contains(expected, label))
            for (const std::string &t : m_read[r].inputTokens)
                if (score.count(t))
                    --score[t];
    }
    const std::set<std::string> present = cuesOf(label, f);
    std::vector<std::pair<std::string, int>> ranked;
    for (const auto &[word, s] : score)
        if (s > 0 && !present.count(word))
            ranked.emplace_back(word, s);
    // Ties go by a seeded draw, so reflections on the same records can differ.
    std::stable_sort(ranked.begin(), ranked.end(), [&](const auto &a, const auto &b) {
        if (a.second != b.second)
            return a.second > b.second;
        return DrawHash(m_base).add("tie").add(a.first).value() < DrawHash(m_base).add("tie").add(b.first).value();
    });
    const std::size_t k = m_context.largeProposer ? 4 : 2;
    std::vector<std::string> picked;
    for (std::size_t i = 0; i < ranked.size() && picked.size() < k; ++i)
        picked.push_back(ranked[i].first);
    if (picked.empty() || !keep("cues " + f.name + " " + label))
        return;
    const std::vector<std::size_t> own = sentencesNaming(label, f);
    if (!own.empty()) {
        std::string prefix;
        std::vector<std::string> cues = cueList(m_sentences[own.front()], prefix);
        cues.insert(cues.end(), picked.begin(), picked.end());
        m_sentences[own.front()] = prefix + joinWords(cues, "or") + ".";
        m_changed[own.front()] = true;
        return;
    }
    const std::string lower = toLowerAscii(label);
    const bool boolean = lower == "true" || lower == "false" || lower == "yes" || lower == "no";
    const std::string verb = boolean ? "Answer " : "Use ";
    m_sentences.push_back(verb + label + " when the " + joinWords(m_inputNames, "or") + " mentions "
                          + joinWords(picked, "or") + ".");
    m_changed.push_back(true);
}

// A cue word of `label` found in an example that should not have it leaves the label's sentence.
void Reflection::dropCues(const FieldInfo &f, const std::string &label, const std::vector<std::size_t> &against)
{
    std::set<std::string> misleading;
    for (std::size_t r : against)
        misleading.insert(m_read[r].inputTokens.begin(), m_read[r].inputTokens.end());
    bool dropped = false;
    std::vector<std::size_t> own = sentencesNaming(label, f);
    std::vector<std::pair<std::size_t, std::string>> rewrites;
    for (std::size_t s : own) {
        std::string prefix;
        std::vector<std::string> cues = cueList(m_sentences[s], prefix);
        const std::size_t before = cues.size();
        std::erase_if(cues, [&](const std::string &cue) {
            const std::vector<std::string> t = tokens(cue);
            return std::any_of(t.begin(), t.end(), [&](const std::string &w) { return misleading.count(w) > 0; });
        });
        if (cues.size() == before)
            continue;
        dropped = true;
        rewrites.emplace_back(s, cues.empty() ? std::string() : prefix + joinWords(cues, "or") + ".");
    }
    if (!dropped || !keep("drop " + f.name + " " + label))
        return;
    for (const auto &[s, text] : rewrites) {
        m_sentences[s] = text; // a sentence left with no cue word says nothing: it goes
        m_changed[s] = true;
    }
}

void Reflection::labelEdits(const FieldInfo &f)
{
    std::vector<std::string> labels;                          // in order of appearance
    std::map<std::string, std::vector<std::size_t>> failing;  // label -> records that expected it
    std::map<std::string, std::vector<std::size_t>> wrongOut; // label -> records that output it wrongly
    for (std::size_t r = 0; r < m_records.size(); ++r) {
        bool known = false;
        const std::vector<std::string> expected = expectedItems(r, f, known);
        const std::vector<std::string> produced = producedItems(r, f);
        if (m_read[r].uninformative && m_read[r].score <= 0.0) {
            for (const std::string &g : produced)
                wrongOut[g].push_back(r);
            continue;
        }
        if (!known)
            continue;
        for (const std::string &l : expected)
            if (!contains(produced, l)) {
                if (!failing.count(l))
                    labels.push_back(l);
                failing[l].push_back(r);
            }
        for (const std::string &g : produced)
            if (!contains(expected, g))
                wrongOut[g].push_back(r);
    }
    for (const std::string &l : labels)
        addCues(f, l, failing[l]);
    for (const auto &[g, records] : wrongOut) {
        std::vector<std::size_t> against = records;
        for (std::size_t r = 0; r < m_records.size(); ++r) {
            bool known = false;
            const std::vector<std::string> expected = expectedItems(r, f, known);
            if (known && !contains(expected, g) && std::find(against.begin(), against.end(), r) == against.end())
                against.push_back(r);
        }
        dropCues(f, g, against);
    }
}

void Reflection::addSentence(const std::string &sentence, const std::string &edit)
{
    if (std::find(m_sentences.begin(), m_sentences.end(), sentence) != m_sentences.end() || !keep(edit))
        return;
    m_sentences.push_back(sentence);
    m_changed.push_back(true);
}

// Wrong numbers with arithmetic in the inputs; free text much longer than the expected answer.
void Reflection::valueEdits(const FieldInfo &f)
{
    for (std::size_t r = 0; r < m_records.size(); ++r) {
        const auto it = m_read[r].verdicts.find(f.name);
        if (it == m_read[r].verdicts.end())
            continue;
        const Verdict &v = it->second;
        // Token F1's feedback lists the answer's extra words: many more than it misses is a long answer.
        if (!f.numeric && v.kind == Verdict::Kind::ListDiff && v.extra.size() >= 3
            && v.extra.size() >= 2 * v.missing.size()) {
            addSentence(kShortAnswerSentence, "short answer");
            continue;
        }
        if (v.kind != Verdict::Kind::Wrong)
            continue;
        if (f.numeric) {
            if (findArithmetic(m_read[r].inputText))
                addSentence(kCalculateSentence, "calculate");
            continue;
        }
        const std::size_t want = words(v.expected).size(), got = words(v.got).size();
        const bool imprecise = toLowerAscii(m_records[r].feedback).find("precision") != std::string::npos;
        if (imprecise || (want <= kShortAnswerWords && got >= 2 * want && got >= want + 3))
            addSentence(kShortAnswerSentence, "short answer");
    }
}

std::string Reflection::run()
{
    for (const FieldInfo &f : m_fields) {
        if (f.label || f.list)
            labelEdits(f);
        else
            valueEdits(f);
    }
    if (std::any_of(m_read.begin(), m_read.end(), [](const ReadRecord &r) { return r.parseFailure; }))
        addSentence(kFormatSentence, "format");
    // Unchanged sentences keep their original text and layout; edited and new ones follow it.
    std::string out = m_instruction;
    const std::size_t original = std::min(m_changed.size(), splitSentences(m_instruction).size());
    const std::vector<std::string> before = splitSentences(m_instruction);
    std::size_t searchFrom = 0;
    for (std::size_t s = 0; s < original; ++s) {
        const std::size_t at = out.find(before[s], searchFrom);
        if (at == std::string::npos)
            continue;
        if (!m_changed[s]) {
            searchFrom = at + before[s].size();
            continue;
        }
        std::size_t length = before[s].size();
        if (m_sentences[s].empty() && at + length < out.size() && out[at + length] == ' ')
            ++length;
        out.replace(at, length, m_sentences[s]);
        searchFrom = at + m_sentences[s].size();
    }
    for (std::size_t s = original; s < m_sentences.size(); ++s)
        out += (out.empty() ? "" : " ") + m_sentences[s];
    return trimmed(out);
}

} // namespace

std::vector<FeedbackRecord> parseFeedbackRecords(std::string_view markdown)
{
    RecordReader reader;
    for (const std::string &line : splitLines(markdown))
        reader.line(line);
    reader.flushField();
    for (FeedbackRecord &r : reader.records) {
        r.feedback = trimmed(r.feedback);
        r.rawOutputs = trimmed(r.rawOutputs);
    }
    return reader.records;
}

std::optional<ReflectionRequest> readGepaReflection(const std::vector<ChatMessage> &messages)
{
    if (messages.empty() || messages.back().role != "user")
        return std::nullopt;
    const std::string &text = messages.back().content;
    if (!startsWith(trimmed(text), kGepaOpening))
        return std::nullopt;
    // Fence lines: the instruction sits between the first two, the records between the third and the last.
    const std::vector<std::string> lines = splitLines(text);
    std::vector<std::size_t> fences;
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (startsWith(trimmed(lines[i]), "```"))
            fences.push_back(i);
    if (fences.size() < 2)
        return std::nullopt;
    auto join = [&](std::size_t from, std::size_t to) {
        std::vector<std::string> part(lines.begin() + static_cast<std::ptrdiff_t>(from),
                                      lines.begin() + static_cast<std::ptrdiff_t>(to));
        return joinStrings(part, "\n");
    };
    ReflectionRequest request;
    request.instruction = trimmed(join(fences[0] + 1, fences[1]));
    if (fences.size() >= 4)
        request.records = join(fences[2] + 1, fences.back());
    return request;
}

bool isReflectionField(const Prompt &prompt, const PromptField &field)
{
    return field.name == "new_instruction"
           && std::any_of(prompt.inputs.begin(), prompt.inputs.end(),
                          [](const PromptField &f) { return f.name == "current_instruction"; });
}

ReflectionRequest reflectionRequestOf(const Prompt &prompt)
{
    ReflectionRequest request;
    if (const std::string *v = prompt.current.find("current_instruction"))
        request.instruction = *v;
    const std::string *records = prompt.current.find("examples_with_feedback");
    for (const auto &[name, value] : prompt.current.items())
        if (!records && name != "current_instruction" && value.find("# Example") != std::string::npos)
            records = &value;
    if (records)
        request.records = *records;
    return request;
}

std::string reflect(const ReflectionRequest &request, const DrawContext &context)
{
    return Reflection(request, context).run();
}

} // namespace prism::sim
