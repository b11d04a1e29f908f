#include "sim/sim_proposer.h"

#include "sim/sim_examples.h"
#include "sim/sim_observe.h"
#include "sim/sim_text.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>

namespace prism::sim {

namespace {

constexpr double kShortAnswerWords = 6.0;

// ---- the program's signature -----------------------------------------------

struct SignatureInfo {
    std::string moduleKind = "Predict";
    std::vector<std::string> inputs;
    std::vector<PromptField> outputs;
    int steps = 1;

    PromptField *output(const std::string &name)
    {
        for (PromptField &f : outputs)
            if (f.name == name)
                return &f;
        return nullptr;
    }
    void addOutput(const std::string &name)
    {
        if (!name.empty() && !output(name)) {
            PromptField f;
            f.name = name;
            f.kind = FieldKind::Other; // unknown until an annotation or the data says
            outputs.push_back(f);
        }
    }
    bool empty() const { return inputs.empty() && outputs.empty(); }
};

std::vector<std::string> splitNames(std::string_view text)
{
    std::vector<std::string> out;
    for (std::string name : splitOn(text, ",")) {
        if (const std::size_t colon = name.find(':'); colon != std::string::npos)
            name = trimmed(name.substr(0, colon));
        if (!name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
            }))
            out.push_back(name);
    }
    return out;
}

// "Predict(snippet) -> severity, policy_violations" or "StringSignature(a, b -> c".
bool readArrow(std::string_view line, std::string &kind, std::vector<std::string> &inputs,
               std::vector<std::string> &outputs)
{
    const std::size_t arrow = line.find("->");
    if (arrow == std::string_view::npos)
        return false;
    std::string left(line.substr(0, arrow));
    std::string right(line.substr(arrow + 2));
    const std::size_t open = left.find('(');
    kind = trimmed(open == std::string::npos ? std::string() : left.substr(0, open));
    if (open != std::string::npos)
        left = left.substr(open + 1);
    std::erase(left, ')');
    if (const std::size_t close = right.find(')'); close != std::string::npos)
        right = right.substr(0, close);
    inputs = splitNames(left);
    outputs = splitNames(right);
    return !inputs.empty() && !outputs.empty();
}

const std::string &inputValue(const Prompt &prompt, std::string_view name)
{
    static const std::string empty;
    const std::string *v = prompt.current.find(name);
    return v ? *v : empty;
}

SignatureInfo readSignature(const Prompt &prompt)
{
    SignatureInfo sig;
    const std::string &module = inputValue(prompt, "module");
    const std::string &code = inputValue(prompt, "program_code");
    std::string kind;
    std::vector<std::string> ins, outs;
    if (readArrow(module, kind, ins, outs)) {
        sig.moduleKind = kind.empty() ? sig.moduleKind : kind;
        sig.inputs = ins;
        for (const std::string &o : outs)
            sig.addOutput(o);
    }
    int arrows = 0;
    for (const std::string &line : splitLines(code)) {
        if (line.find("->") != std::string::npos && readArrow(line, kind, ins, outs)) {
            if (arrows++ == 0 && sig.inputs.empty())
                sig.inputs = ins;
            if (module.empty()) {
                sig.outputs.clear();
                for (const std::string &o : outs)
                    sig.addOutput(o);
            }
        }
    }
    sig.steps = std::max(1, arrows);
    // Types: DSPy's "name = Field(annotation=TYPE required=...)" or "1. `name` (TYPE): ..." lines.
    for (const std::string &line : splitLines(code)) {
        PromptField typed;
        const std::size_t at = line.find(" = Field(annotation=");
        if (at != std::string::npos) {
            const std::size_t end = line.find(" required=", at);
            typed.name = trimmed(line.substr(0, at));
            parseTypeText(line.substr(at + 20, end == std::string::npos ? std::string::npos : end - at - 20), typed);
        } else if (!parseFieldLine(line, typed)) {
            continue;
        }
        if (PromptField *out = sig.output(typed.name)) {
            out->kind = typed.kind;
            out->options = typed.options;
            out->typeText = typed.typeText;
        }
    }
    // Without program code: the field names the dataset description or the basic instruction gives.
    if (sig.empty()) {
        for (const std::string *text :
             {&inputValue(prompt, "dataset_description"), &inputValue(prompt, "basic_instruction")}) {
            const std::string lower = toLowerAscii(*text);
            const std::size_t in = lower.find("input field");
            const std::size_t out = lower.find("output field", in == std::string::npos ? 0 : in);
            const std::size_t produce = lower.find("produce the field");
            const std::size_t split = out != std::string::npos ? out : produce;
            if (split == std::string::npos)
                continue;
            sig.inputs = backtickedNames(std::string_view(*text).substr(0, split));
            const std::string_view rest = std::string_view(*text).substr(split);
            for (const std::string &o : backtickedNames(rest.substr(0, rest.find('.'))))
                sig.addOutput(o);
            if (!sig.empty())
                break;
        }
    }
    return sig;
}

std::string describeMapping(const SignatureInfo &sig)
{
    std::vector<std::string> outs;
    bool reasoning = false;
    for (const PromptField &f : sig.outputs) {
        if (f.name == "reasoning")
            reasoning = true;
        else
            outs.push_back(f.name);
    }
    const std::string ins = sig.inputs.empty() ? std::string("the inputs") : joinWords(sig.inputs);
    const std::string outsText = outs.empty() ? std::string("the outputs") : joinWords(outs);
    return ins + " to " + outsText + (reasoning ? ", writing its reasoning first" : "");
}

std::string programDescription(const Prompt &prompt)
{
    const SignatureInfo sig = readSignature(prompt);
    static const char *counts[] = {"one step", "two steps", "three steps", "four steps", "five steps"};
    const std::string steps = sig.steps <= 5 ? counts[sig.steps - 1] : std::to_string(sig.steps) + " steps";
    std::string mapping = describeMapping(sig);
    const std::size_t comma = mapping.find(", writing");
    if (comma != std::string::npos)
        return "Maps " + mapping.substr(0, comma) + " in " + steps + mapping.substr(comma) + ".";
    return "Maps " + mapping + " in " + steps + ".";
}

std::string moduleDescription(const Prompt &prompt)
{
    const SignatureInfo sig = readSignature(prompt);
    return "The " + sig.moduleKind + " module maps " + describeMapping(sig) + ".";
}

// ---- proposed instructions -------------------------------------------------

enum class Tip {
    None,
    Creative,
    Concise,
    Descriptive,
    HighStakes,
    Persona,
};

Tip readTip(const std::string &text)
{
    std::string t = toLowerAscii(text);
    std::replace(t.begin(), t.end(), '_', ' ');
    if (t.find("persona") != std::string::npos)
        return Tip::Persona;
    if (t.find("high stakes") != std::string::npos)
        return Tip::HighStakes;
    if (t.find("concise") != std::string::npos || trimmed(t) == "simple")
        return Tip::Concise;
    if (t.find("descriptive") != std::string::npos || t.find("informative") != std::string::npos
        || trimmed(t) == "description")
        return Tip::Descriptive;
    if (t.find("creative") != std::string::npos)
        return Tip::Creative;
    return Tip::None;
}

class Draws {
public:
    Draws(const DrawContext &context, const std::string &tip)
    {
        m_base.add("propose").add(context.model).add(static_cast<std::uint64_t>(context.seed));
        m_base.add(std::bit_cast<std::uint64_t>(context.temperature)).add(context.rollout).add(tip);
    }
    double unit(std::string_view key, std::string_view sub = {}, std::uint64_t index = 0) const
    {
        DrawHash h = m_base;
        return h.add(key).add(sub).add(index).unit();
    }
    template <typename T> void shuffle(std::vector<T> &items, std::string_view key) const
    {
        for (std::size_t i = items.size(); i > 1; --i) {
            const auto j = static_cast<std::size_t>(unit(key, "shuffle", i) * static_cast<double>(i));
            std::swap(items[i - 1], items[std::min(j, i - 1)]);
        }
    }

private:
    DrawHash m_base;
};

// The count the description gives a label ("low in 15", "low (15)"), or -1.
int describedCount(const std::vector<std::string> &descriptionWords, const std::string &label)
{
    const std::vector<std::string> run = words(label);
    int best = -1;
    for (std::size_t i = 0; run.size() && i + run.size() < descriptionWords.size(); ++i) {
        if (!std::equal(run.begin(), run.end(), descriptionWords.begin() + static_cast<std::ptrdiff_t>(i)))
            continue;
        std::size_t next = i + run.size();
        if (descriptionWords[next] == "in" && next + 1 < descriptionWords.size())
            ++next;
        if (isNumberWord(descriptionWords[next]))
            best = std::max(best, std::atoi(descriptionWords[next].c_str()));
    }
    return best;
}

// The labels a description lists for a field: "`field` (a in 3, b in 2 and empty in 1)".
std::vector<std::string> describedLabels(const std::string &description, const std::string &field, bool &list)
{
    std::vector<std::string> out;
    const std::string marker = "`" + field + "` (";
    const std::size_t at = description.find(marker);
    if (at == std::string::npos)
        return out;
    const std::size_t open = at + marker.size();
    const std::size_t close = description.find(')', open);
    if (close == std::string::npos)
        return out;
    std::string inner = description.substr(open, close - open);
    for (std::size_t p; (p = inner.find(" and ")) != std::string::npos;)
        inner.replace(p, 5, ", ");
    for (const std::string &part : splitOn(inner, ", ")) {
        const std::size_t in = part.rfind(" in ");
        if (in == std::string::npos)
            continue;
        const std::string label = trimmed(part.substr(0, in));
        if (label == "empty")
            list = true;
        else if (!label.empty())
            out.push_back(label);
    }
    return out;
}

// The task the proposer writes an instruction for: the signature from the program code,
// completed from the demos when the code names no fields, and the data it is shown.
struct ProposalTask {
    SignatureInfo sig;
    std::vector<DataRow> demos;
    std::string description;

    bool hasData() const { return !description.empty() || !demos.empty(); }
};

// Output kinds the program code did not give: from the description and the demos.
void inferOutputKinds(ProposalTask &task)
{
    for (PromptField &f : task.sig.outputs) {
        if (f.kind != FieldKind::Other)
            continue;
        bool list = false;
        const std::vector<std::string> labels = describedLabels(task.description, f.name, list);
        std::vector<std::string> values;
        for (const DataRow &d : task.demos)
            if (const Literal *v = d.get(f.name)) {
                list = list || isListValue(*v);
                values.push_back(trimmed(v->plainText()));
            }
        if (!labels.empty()) {
            f.kind = list ? FieldKind::ListEnum : FieldKind::Enum;
            f.options = labels;
        } else if ((!values.empty() && std::all_of(values.begin(), values.end(), isNumericText))
                   || task.description.find("`" + f.name + "` values are numbers") != std::string::npos
                   || task.description.find("`" + f.name + "` equals its result") != std::string::npos) {
            f.kind = FieldKind::Int;
        } else {
            f.kind = FieldKind::String;
        }
    }
}

ProposalTask readProposalTask(const Prompt &prompt)
{
    ProposalTask task;
    task.description = trimmed(inputValue(prompt, "dataset_description"));
    task.sig = readSignature(prompt);
    SignatureInfo &sig = task.sig;
    std::vector<std::string> known = sig.inputs;
    for (const PromptField &f : sig.outputs)
        known.push_back(f.name);
    task.demos = parsePrefixBlocks(inputValue(prompt, "task_demos"), known);
    if (sig.outputs.empty() && !task.demos.empty() && !task.demos.front().keys.empty())
        sig.addOutput(task.demos.front().keys.back());
    if (sig.inputs.empty())
        for (const DataRow &d : task.demos)
            for (const std::string &k : d.keys)
                if (!sig.output(k) && std::find(sig.inputs.begin(), sig.inputs.end(), k) == sig.inputs.end())
                    sig.inputs.push_back(k);
    inferOutputKinds(task);
    return task;
}

// The opening: a persona when the tip asks for one, then the basic instruction, rephrased by a draw.
std::vector<std::string> openingSentences(const Prompt &prompt, const SignatureInfo &sig, Tip tip, const Draws &draws)
{
    std::vector<std::string> sentences;
    if (tip == Tip::Persona)
        sentences.push_back("You are a careful reviewer of the "
                            + (sig.inputs.empty() ? std::string("input") : joinWords(sig.inputs)) + ".");

    std::string basic = trimmed(inputValue(prompt, "basic_instruction"));
    if (basic.empty())
        basic = "Complete the task.";
    switch (static_cast<int>(draws.unit("rephrase") * 4)) {
    case 1:
        sentences.push_back("Read the " + (sig.inputs.empty() ? std::string("inputs") : joinWords(sig.inputs))
                            + " carefully. " + basic);
        break;
    case 2: sentences.push_back(basic + " Be accurate."); break;
    case 3: sentences.push_back(basic + " Check each field before you respond."); break;
    default: sentences.push_back(basic);
    }
    return sentences;
}

struct LabelRef {
    std::size_t field;
    std::string label;
};

// The labels a cue can be written for: both values of every bool output and the options of
// every enum output, in field order.
std::vector<LabelRef> outputLabels(const SignatureInfo &sig)
{
    std::vector<LabelRef> labels;
    for (std::size_t f = 0; f < sig.outputs.size(); ++f) {
        const PromptField &field = sig.outputs[f];
        if (field.kind == FieldKind::Bool)
            for (const char *b : {"true", "false"})
                labels.push_back({f, b});
        if (field.kind == FieldKind::Enum || field.kind == FieldKind::ListEnum)
            for (const std::string &o : field.options)
                labels.push_back({f, o});
    }
    return labels;
}

// Which words a cue may use: none of the field names or labels, no generic words, no numbers.
class CueFilter {
public:
    CueFilter(const SignatureInfo &sig, const std::vector<LabelRef> &labels)
    {
        for (const PromptField &field : sig.outputs)
            for (const std::string &w : words(field.name))
                m_excluded.insert(w);
        for (const std::string &in : sig.inputs)
            for (const std::string &w : words(in))
                m_excluded.insert(w);
        for (const LabelRef &l : labels)
            for (const std::string &w : words(l.label))
                m_excluded.insert(w);
    }
    bool usable(const std::string &token) const
    {
        return !isGenericWord(token) && !m_excluded.count(token) && !isNumberWord(token);
    }

private:
    std::set<std::string> m_excluded;
};

bool demoHasLabel(const DataRow &d, const SignatureInfo &sig, const LabelRef &l)
{
    const Literal *v = d.get(sig.outputs[l.field].name);
    if (!v)
        return false;
    for (const std::string &item : itemsOf(*v))
        if (toLowerAscii(item) == toLowerAscii(l.label))
            return true;
    return false;
}

// A cue word the description gives, with the count it states ("idiot (3)"; 1 when none).
struct DescribedWord {
    std::string word;
    int count = 1;
};

// Usable words of the description sentences that name this label and no other label, with
// their counts summed over those sentences.
std::vector<DescribedWord> descriptionCueWords(const std::vector<std::string> &descriptionSentences,
                                               const std::vector<LabelRef> &labels, const LabelRef &l,
                                               const CueFilter &filter)
{
    std::vector<DescribedWord> fromDescription;
    for (const std::string &sentence : descriptionSentences) {
        const std::vector<std::string> sw = words(sentence);
        const bool namesOther = std::any_of(labels.begin(), labels.end(), [&](const LabelRef &o) {
            return toLowerAscii(o.label) != toLowerAscii(l.label) && containsRun(sw, words(o.label));
        });
        if (!containsRun(sw, words(l.label)) || namesOther)
            continue;
        for (std::size_t i = 0; i < sw.size(); ++i) {
            const std::string &t = sw[i];
            if (isStopword(t) || (t.size() == 1 && !isNumberWord(t)) || !filter.usable(t))
                continue;
            const int count =
                i + 1 < sw.size() && isNumberWord(sw[i + 1]) ? std::max(1, std::atoi(sw[i + 1].c_str())) : 1;
            auto it = std::find_if(fromDescription.begin(), fromDescription.end(),
                                   [&](const DescribedWord &d) { return d.word == t; });
            if (it == fromDescription.end())
                fromDescription.push_back({t, count});
            else
                it->count += count;
        }
    }
    return fromDescription;
}

// The words in a seeded order where a word with count c comes early c times as often as one
// with count 1 would (weighted sampling without replacement: key u^(1/c), largest first).
std::vector<std::string> weightedOrder(const std::vector<DescribedWord> &described, const Draws &draws,
                                       const std::string &key)
{
    std::vector<std::pair<double, std::string>> keyed;
    for (const DescribedWord &d : described)
        keyed.emplace_back(std::pow(draws.unit(key, d.word), 1.0 / d.count), d.word);
    std::stable_sort(keyed.begin(), keyed.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
    std::vector<std::string> out;
    for (const auto &[k, word] : keyed)
        out.push_back(word);
    return out;
}

// Usable input words of the demos with this label that no demo with another value of its
// field has, leaving out those the description already gave.
std::vector<std::string> demoCueWords(const ProposalTask &task, const LabelRef &l, const CueFilter &filter,
                                      const std::vector<std::string> &fromDescription)
{
    const SignatureInfo &sig = task.sig;
    std::set<std::string> elsewhere;
    for (const DataRow &d : task.demos)
        if (d.get(sig.outputs[l.field].name) && !demoHasLabel(d, sig, l))
            for (const std::string &t : tokens(rowInputText(d, sig.inputs)))
                elsewhere.insert(t);
    std::vector<std::string> fromDemos;
    for (const DataRow &d : task.demos)
        if (demoHasLabel(d, sig, l))
            for (const std::string &t : tokens(rowInputText(d, sig.inputs)))
                if (filter.usable(t) && !elsewhere.count(t)
                    && std::find(fromDescription.begin(), fromDescription.end(), t) == fromDescription.end()
                    && std::find(fromDemos.begin(), fromDemos.end(), t) == fromDemos.end())
                    fromDemos.push_back(t);
    return fromDemos;
}

// Cue sentences ("Use <label> when the <input> mentions a or b.") for ceil(coverage * labels)
// labels drawn at random; a label with no usable words gets none.
void addCueSentences(std::vector<std::string> &sentences, const ProposalTask &task,
                     const std::vector<std::string> &descriptionSentences, const Draws &draws, double coverage, Tip tip)
{
    const SignatureInfo &sig = task.sig;
    const std::string inputNoun = sig.inputs.size() == 1 ? sig.inputs.front() : std::string("text");
    const std::vector<LabelRef> labels = outputLabels(sig);
    const CueFilter filter(sig, labels);
    std::vector<std::size_t> order(labels.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    draws.shuffle(order, "labels");
    const auto covered = static_cast<std::size_t>(std::ceil(coverage * static_cast<double>(labels.size()) - 1e-9));
    std::vector<bool> chosen(labels.size(), false);
    for (std::size_t i = 0; i < covered && i < order.size(); ++i)
        chosen[order[i]] = true;
    for (std::size_t i = 0; i < labels.size(); ++i) {
        if (!chosen[i])
            continue;
        const LabelRef &l = labels[i];
        const std::vector<std::string> fromDescription = weightedOrder(
            descriptionCueWords(descriptionSentences, labels, l, filter), draws, "description words " + l.label);
        std::vector<std::string> fromDemos = demoCueWords(task, l, filter, fromDescription);
        draws.shuffle(fromDemos, "demo words " + l.label);
        std::vector<std::string> pool = fromDescription;
        pool.insert(pool.end(), fromDemos.begin(), fromDemos.end());
        if (pool.empty())
            continue;
        std::size_t k = 2 + static_cast<std::size_t>(draws.unit("cue count", l.label) * 4);
        if (tip == Tip::Concise)
            k = 2;
        if (tip == Tip::Descriptive)
            k = 5;
        pool.resize(std::min(k, pool.size()));
        const PromptField &field = sig.outputs[l.field];
        const std::string verb = field.kind == FieldKind::ListEnum ? "Include "
                                 : field.kind == FieldKind::Bool   ? "Answer "
                                                                   : "Use ";
        sentences.push_back(verb + l.label + " when the " + inputNoun + " mentions " + joinWords(pool, "or") + ".");
    }
}

// The default of each enum or bool output: the most frequent label the description gives.
void addDefaultSentences(std::vector<std::string> &sentences, const SignatureInfo &sig,
                         const std::vector<std::string> &descriptionWords)
{
    for (const PromptField &field : sig.outputs) {
        if (field.kind != FieldKind::Enum && field.kind != FieldKind::Bool)
            continue;
        std::vector<std::string> options =
            field.kind == FieldKind::Bool ? std::vector<std::string>{"true", "false"} : field.options;
        int bestCount = -1;
        std::string best;
        for (const std::string &o : options) {
            const int count = describedCount(descriptionWords, o);
            if (count > bestCount) {
                bestCount = count;
                best = o;
            }
        }
        if (bestCount >= 0)
            sentences.push_back((field.kind == FieldKind::Bool ? "Otherwise answer " : "Otherwise use ") + best + ".");
    }
}

// Numbers: ask for the calculation when the data shows arithmetic.
void addCalculationSentence(std::vector<std::string> &sentences, const ProposalTask &task,
                            const std::vector<std::string> &descriptionWords, const Draws &draws, double coverage)
{
    const bool numeric = std::any_of(task.sig.outputs.begin(), task.sig.outputs.end(), [](const PromptField &f) {
        return f.kind == FieldKind::Int || f.kind == FieldKind::Float;
    });
    bool arithmetic = findArithmetic(task.description).has_value() || containsRun(descriptionWords, {"arithmetic"});
    for (const DataRow &d : task.demos)
        arithmetic = arithmetic || findArithmetic(rowInputText(d, task.sig.inputs)).has_value();
    if (numeric && arithmetic && draws.unit("calculate") < coverage)
        sentences.push_back("Calculate the answer step by step.");
}

// Short free text: ask for only the answering words (once, for the first short output drawn).
void addShortAnswerSentence(std::vector<std::string> &sentences, const ProposalTask &task,
                            const std::vector<std::string> &descriptionSentences, const Draws &draws, double coverage,
                            Tip tip)
{
    for (const PromptField &field : task.sig.outputs) {
        if (field.kind != FieldKind::String || field.name == "reasoning")
            continue;
        double total = 0;
        int count = 0;
        for (const DataRow &d : task.demos)
            if (const Literal *v = d.get(field.name)) {
                total += static_cast<double>(words(v->plainText()).size());
                ++count;
            }
        std::optional<double> average;
        if (count > 0) {
            average = total / count;
        } else {
            for (const std::string &sentence : descriptionSentences)
                if (sentence.find("`" + field.name + "`") != std::string::npos
                    && sentence.find("on average") != std::string::npos)
                    average = firstNumber(sentence);
        }
        if (average && *average <= kShortAnswerWords
            && (tip == Tip::Concise || draws.unit("short answer", field.name) < coverage)) {
            sentences.push_back("Answer with only the few words that answer the question.");
            break;
        }
    }
}

std::string proposedInstruction(const Prompt &prompt, const DrawContext &context)
{
    const std::string &tipText = inputValue(prompt, "tip");
    const Tip tip = readTip(tipText);
    const Draws draws(context, tipText);
    const ProposalTask task = readProposalTask(prompt);

    const double low = context.largeProposer ? 0.6 : 0.3;
    const double coverage = low + (1.0 - low) * draws.unit("coverage");
    std::vector<std::string> sentences = openingSentences(prompt, task.sig, tip, draws);
    if (task.hasData()) {
        const std::vector<std::string> descriptionSentences = splitSentences(task.description);
        const std::vector<std::string> descriptionWords = words(task.description);
        addCueSentences(sentences, task, descriptionSentences, draws, coverage, tip);
        addDefaultSentences(sentences, task.sig, descriptionWords);
        addCalculationSentence(sentences, task, descriptionWords, draws, coverage);
        addShortAnswerSentence(sentences, task, descriptionSentences, draws, coverage, tip);
    }
    if (tip == Tip::HighStakes)
        sentences.push_back("Mistakes are costly.");
    return joinStrings(sentences, " ");
}

} // namespace

bool isProposerField(const Prompt &prompt, const PromptField &field)
{
    auto hasInput = [&](std::string_view name) {
        return std::any_of(prompt.inputs.begin(), prompt.inputs.end(),
                           [&](const PromptField &f) { return f.name == name; });
    };
    if (field.name == "observations")
        return hasInput("examples");
    if (field.name == "summary")
        return hasInput("observations");
    if (field.name == "program_description")
        return hasInput("program_code");
    if (field.name == "module_description")
        return hasInput("module");
    return field.name == "proposed_instruction";
}

std::string propose(const Prompt &prompt, const PromptField &field, const DrawContext &context)
{
    if (field.name == "observations")
        return observations(prompt);
    if (field.name == "summary")
        return summary(prompt);
    if (field.name == "program_description")
        return programDescription(prompt);
    if (field.name == "module_description")
        return moduleDescription(prompt);
    return proposedInstruction(prompt, context);
}

} // namespace prism::sim
