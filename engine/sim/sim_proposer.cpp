#include "sim/sim_proposer.h"

#include "sim/sim_text.h"

#include <nlohmann/json.hpp>

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

constexpr std::size_t kDistinctiveWords = 5;
constexpr double kShortAnswerWords = 6.0;

// ---- reading examples and demos --------------------------------------------

// Lower-case alphanumerics only: "Policy Violations" and "policy_violations" agree.
std::string norm(std::string_view s)
{
    std::string out;
    for (char c : s)
        if (std::isalnum(static_cast<unsigned char>(c)))
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool isNumericText(const std::string &text)
{
    const std::string t = trimmed(text);
    std::size_t i = (!t.empty() && (t[0] == '-' || t[0] == '+')) ? 1 : 0;
    bool digits = false, dot = false;
    for (; i < t.size(); ++i) {
        if (std::isdigit(static_cast<unsigned char>(t[i])))
            digits = true;
        else if (t[i] == '.' && !dot)
            dot = true;
        else
            return false;
    }
    return digits;
}

Literal stringLiteral(std::string text)
{
    Literal l;
    l.kind = Literal::Kind::String;
    l.text = std::move(text);
    return l;
}

Literal jsonToLiteral(const nlohmann::ordered_json &j)
{
    Literal l;
    if (j.is_string()) {
        l = stringLiteral(j.get<std::string>());
    } else if (j.is_boolean()) {
        l.kind = Literal::Kind::Bool;
        l.flag = j.get<bool>();
    } else if (j.is_number()) {
        l.kind = Literal::Kind::Number;
        l.text = j.dump();
    } else if (j.is_array()) {
        l.kind = Literal::Kind::List;
        for (const auto &item : j)
            l.items.push_back(jsonToLiteral(item));
    } else if (j.is_object()) {
        l.kind = Literal::Kind::Dict;
        for (auto it = j.begin(); it != j.end(); ++it) {
            l.keys.push_back(it.key());
            l.items.push_back(jsonToLiteral(it.value()));
        }
    }
    return l;
}

// The label items of a value: list items, or the value itself; none when null.
std::vector<std::string> itemsOf(const Literal &value)
{
    if (value.kind == Literal::Kind::Null)
        return {};
    if (value.kind == Literal::Kind::List) {
        std::vector<std::string> out;
        for (const Literal &item : value.items)
            out.push_back(trimmed(item.plainText()));
        return out;
    }
    const std::string text = trimmed(value.plainText());
    if (value.kind == Literal::Kind::String && startsWith(text, "[") && endsWith(text, "]"))
        return parseListItems(text);
    return {text};
}

bool isListValue(const Literal &value)
{
    return value.kind == Literal::Kind::List
           || (value.kind == Literal::Kind::String && startsWith(trimmed(value.text), "[")
               && endsWith(trimmed(value.text), "]"));
}

struct DataRow {
    std::vector<std::string> keys;
    std::vector<Literal> values;
    std::vector<std::string> inputKeys;
    bool knowsInputs = false;

    const Literal *get(std::string_view name) const
    {
        for (std::size_t i = 0; i < keys.size(); ++i)
            if (keys[i] == name)
                return &values[i];
        return nullptr;
    }
    void add(std::string key, Literal value)
    {
        if (key == "augmented")
            return;
        keys.push_back(std::move(key));
        values.push_back(std::move(value));
    }
};

// DSPy's repr: [Example({'q': 'What?', 'a': '7'}) (input_keys={'q'}), ...]
std::vector<DataRow> parseDspyExamples(std::string_view text)
{
    std::vector<DataRow> rows;
    std::size_t pos = 0;
    while ((pos = text.find("Example(", pos)) != std::string_view::npos) {
        std::size_t p = pos + 8;
        Literal dict;
        if (!parseLiteral(text, p, dict) || dict.kind != Literal::Kind::Dict) {
            pos += 8;
            continue;
        }
        DataRow row;
        for (std::size_t i = 0; i < dict.keys.size(); ++i)
            row.add(dict.keys[i], dict.items[i]);
        while (p < text.size() && (text[p] == ')' || text[p] == ' '))
            ++p;
        if (text.substr(p, 12) == "(input_keys=") {
            p += 12;
            Literal keys;
            if (parseLiteral(text, p, keys)) {
                for (const Literal &k : keys.items)
                    row.inputKeys.push_back(k.plainText());
                row.knowsInputs = true;
            }
        }
        rows.push_back(std::move(row));
        pos = p;
    }
    return rows;
}

// A JSON array of objects, or one JSON object per line.
std::vector<DataRow> parseJsonExamples(std::string_view text)
{
    std::vector<DataRow> rows;
    auto addObject = [&rows](const nlohmann::ordered_json &j) {
        if (!j.is_object())
            return;
        DataRow row;
        for (auto it = j.begin(); it != j.end(); ++it)
            row.add(it.key(), jsonToLiteral(it.value()));
        rows.push_back(std::move(row));
    };
    try {
        const nlohmann::ordered_json j = nlohmann::ordered_json::parse(text);
        if (j.is_array())
            for (const auto &item : j)
                addObject(item);
        else
            addObject(j);
        return rows;
    } catch (const nlohmann::json::exception &) {
        rows.clear();
    }
    for (const std::string &line : splitLines(text)) {
        const std::string t = trimmed(line);
        if (!startsWith(t, "{"))
            continue;
        try {
            addObject(nlohmann::ordered_json::parse(t));
        } catch (const nlohmann::json::exception &) {
            // not a JSON line
        }
    }
    return rows;
}

// "Prefix: value" lines (DSPy's task_demos and create_example_string), one
// block per example. A prefix maps to a known field by its normalized name.
std::vector<DataRow> parsePrefixBlocks(std::string_view text, const std::vector<std::string> &knownFields)
{
    std::vector<DataRow> rows;
    DataRow current;
    std::string *open = nullptr;
    std::string pendingBlank;
    auto fieldOf = [&](const std::string &line, std::string &value) -> std::string {
        const std::size_t colon = line.find(':');
        if (colon == std::string::npos || colon == 0 || colon > 60)
            return {};
        const std::string prefix = line.substr(0, colon);
        if (!std::all_of(prefix.begin(), prefix.end(),
                         [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '_'; }))
            return {};
        value = trimmed(line.substr(colon + 1));
        for (const std::string &f : knownFields)
            if (norm(f) == norm(prefix))
                return f;
        if (!knownFields.empty() || !std::isupper(static_cast<unsigned char>(prefix[0])) || words(prefix).size() > 4)
            return {};
        std::string snake = toLowerAscii(trimmed(prefix));
        std::replace(snake.begin(), snake.end(), ' ', '_');
        return snake;
    };
    auto flush = [&] {
        if (!current.keys.empty())
            rows.push_back(std::move(current));
        current = DataRow();
        open = nullptr;
    };
    for (const std::string &line : splitLines(text)) {
        std::string value;
        const std::string field = fieldOf(line, value);
        if (!field.empty()) {
            if (current.get(field))
                flush();
            current.add(field, stringLiteral(value));
            open = &current.values.back().text;
            pendingBlank.clear();
        } else if (trimmed(line).empty()) {
            pendingBlank += "\n";
        } else if (open) {
            *open += (pendingBlank.empty() ? "\n" : "\n" + pendingBlank) + line;
            pendingBlank.clear();
        }
    }
    flush();
    return rows;
}

std::vector<DataRow> readExamples(std::string_view text)
{
    std::vector<DataRow> rows = parseDspyExamples(text);
    if (rows.empty())
        rows = parseJsonExamples(text);
    if (rows.empty())
        rows = parsePrefixBlocks(text, {});
    return rows;
}

// ---- statistics of the examples --------------------------------------------

struct FieldStats {
    std::string name;
    bool list = false;
    bool labelLike = false; // few distinct short values: labels
    bool numeric = false;
    std::vector<std::vector<std::string>> items;     // per row
    std::vector<bool> present;                       // per row
    std::vector<std::pair<std::string, int>> labels; // by count, then first appearance
    int emptyLists = 0;
    double averageWords = 0;

    bool has(std::size_t row, const std::string &label) const
    {
        return present[row] && std::find(items[row].begin(), items[row].end(), label) != items[row].end();
    }
};

FieldStats analyze(const std::vector<DataRow> &rows, const std::string &name)
{
    FieldStats s;
    s.name = name;
    std::size_t occurrences = 0, presentRows = 0, totalWords = 0;
    bool allShort = true, allNumeric = true;
    for (const DataRow &row : rows) {
        const Literal *v = row.get(name);
        const bool present = v && v->kind != Literal::Kind::Null;
        s.present.push_back(present);
        s.items.push_back(present ? itemsOf(*v) : std::vector<std::string>());
        if (!present)
            continue;
        ++presentRows;
        s.list = s.list || isListValue(*v);
        if (isListValue(*v) && s.items.back().empty())
            ++s.emptyLists;
        for (const std::string &item : s.items.back()) {
            ++occurrences;
            totalWords += words(item).size();
            allShort = allShort && item.size() <= 40 && words(item).size() <= 4 && !item.empty();
            allNumeric = allNumeric && isNumericText(item);
            auto it = std::find_if(s.labels.begin(), s.labels.end(), [&](const auto &l) { return l.first == item; });
            if (it == s.labels.end())
                s.labels.emplace_back(item, 1);
            else
                ++it->second;
        }
    }
    const std::size_t distinct = s.labels.size();
    // Tags in lists are labels; single values are labels when they repeat.
    if (s.list)
        s.labelLike = occurrences >= 1 && allShort && !allNumeric && distinct <= 12;
    else
        s.labelLike = occurrences >= 2 && allShort && !allNumeric && distinct <= 12 && distinct < occurrences
                      && distinct <= std::max<std::size_t>(2, (occurrences + 1) / 2);
    s.numeric = occurrences >= 1 && allNumeric && !s.list;
    s.averageWords = presentRows ? static_cast<double>(totalWords) / static_cast<double>(presentRows) : 0.0;
    std::stable_sort(s.labels.begin(), s.labels.end(),
                     [](const auto &a, const auto &b) { return a.second > b.second; });
    return s;
}

std::string rowInputText(const DataRow &row, const std::vector<std::string> &inputs)
{
    std::vector<std::string> parts;
    for (const std::string &name : inputs)
        if (const Literal *v = row.get(name))
            parts.push_back(v->plainText());
    return joinStrings(parts, "\n");
}

// The most distinctive input words of a label: log-odds of appearing in
// examples with the label against the others, compared exactly as integer
// ratios (portable), ties alphabetical.
std::vector<std::string> distinctiveWords(const std::vector<std::set<std::string>> &rowWords, const FieldStats &field,
                                          const std::string &label, const std::set<std::string> &excluded)
{
    long long inCount = 0, outCount = 0;
    std::map<std::string, std::pair<long long, long long>> counts;
    for (std::size_t r = 0; r < rowWords.size(); ++r) {
        if (!field.present[r])
            continue;
        const bool in = field.has(r, label);
        (in ? inCount : outCount) += 1;
        for (const std::string &w : rowWords[r])
            (in ? counts[w].first : counts[w].second) += 1;
    }
    struct Scored {
        std::string word;
        long long num, den; // odds ratio (2a+1)(2nO-2b+1) / ((2nL-2a+1)(2b+1))
    };
    std::vector<Scored> scored;
    for (const auto &[w, ab] : counts) {
        const auto [a, b] = ab;
        if (a == 0 || excluded.count(w) || isGenericWord(w) || isNumberWord(w))
            continue;
        const long long num = (2 * a + 1) * (2 * (outCount - b) + 1);
        const long long den = (2 * (inCount - a) + 1) * (2 * b + 1);
        if (num > den)
            scored.push_back({w, num, den});
    }
    std::sort(scored.begin(), scored.end(), [](const Scored &x, const Scored &y) {
        const long long l = x.num * y.den, r = y.num * x.den;
        return l != r ? l > r : x.word < y.word;
    });
    std::vector<std::string> out;
    for (std::size_t i = 0; i < scored.size() && i < kDistinctiveWords; ++i)
        out.push_back(scored[i].word);
    return out;
}

std::string backticked(const std::vector<std::string> &names)
{
    std::vector<std::string> quoted;
    for (const std::string &n : names)
        quoted.push_back("`" + n + "`");
    return joinWords(quoted);
}

std::string oneDecimal(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

// ---- observations ----------------------------------------------------------

struct Observation {
    std::string text;
    std::vector<std::string> mustMention; // for facts: each must appear in the prior
    std::string label;                    // for label sentences
    std::vector<std::string> labelWords;
};

// The fields of the examples, split into inputs and outputs, with statistics of each output.
struct ExampleFields {
    std::vector<std::string> all; // in order of first appearance
    std::vector<std::string> inputs;
    std::vector<std::string> outputs;
    std::vector<FieldStats> stats; // of the outputs, in order of first appearance
};

// Inputs are the input_keys the rows give; without them, labels and the last field are
// outputs. Something must be the input: the first field when nothing else is.
ExampleFields classifyFields(const std::vector<DataRow> &rows)
{
    ExampleFields fields;
    for (const DataRow &row : rows)
        for (const std::string &k : row.keys)
            if (std::find(fields.all.begin(), fields.all.end(), k) == fields.all.end())
                fields.all.push_back(k);
    const bool knowsInputs = std::any_of(rows.begin(), rows.end(), [](const DataRow &r) { return r.knowsInputs; });
    for (const std::string &f : fields.all)
        fields.stats.push_back(analyze(rows, f));
    for (std::size_t i = 0; i < fields.all.size(); ++i) {
        bool input = false;
        if (knowsInputs)
            input = std::any_of(rows.begin(), rows.end(), [&](const DataRow &r) {
                return std::find(r.inputKeys.begin(), r.inputKeys.end(), fields.all[i]) != r.inputKeys.end();
            });
        else
            input = i + 1 < fields.all.size() && !fields.stats[i].labelLike;
        (input ? fields.inputs : fields.outputs).push_back(fields.all[i]);
    }
    if (fields.inputs.empty() && fields.outputs.size() > 1) {
        fields.inputs.push_back(fields.all.front());
        fields.outputs.erase(std::find(fields.outputs.begin(), fields.outputs.end(), fields.all.front()));
    }
    std::erase_if(fields.stats, [&](const FieldStats &s) {
        return std::find(fields.outputs.begin(), fields.outputs.end(), s.name) == fields.outputs.end();
    });
    return fields;
}

// Words a distinctive-word observation may not name: field names and the labels themselves.
std::set<std::string> namingWords(const ExampleFields &fields)
{
    std::set<std::string> excluded;
    for (const std::string &f : fields.all)
        for (const std::string &w : words(f))
            excluded.insert(w);
    for (const FieldStats &s : fields.stats)
        if (s.labelLike)
            for (const auto &[label, count] : s.labels)
                for (const std::string &w : words(label))
                    excluded.insert(w);
    return excluded;
}

// Count, fields and the distribution of every label-like output, in one sentence.
Observation overviewObservation(std::size_t rowCount, const ExampleFields &fields)
{
    Observation first;
    std::vector<std::string> outputParts;
    for (const FieldStats &s : fields.stats) {
        std::string part = "`" + s.name + "`";
        first.mustMention.push_back(s.name);
        if (s.labelLike) {
            std::vector<std::string> dist;
            for (const auto &[label, count] : s.labels) {
                dist.push_back(label + " in " + std::to_string(count));
                first.mustMention.push_back(label);
            }
            if (s.emptyLists > 0)
                dist.push_back("empty in " + std::to_string(s.emptyLists));
            part += " (" + joinWords(dist) + ")";
        }
        outputParts.push_back(part);
    }
    for (const std::string &f : fields.inputs)
        first.mustMention.push_back(f);
    first.text =
        (rowCount == 1 ? std::string("There is 1 example") : "There are " + std::to_string(rowCount) + " examples")
        + " with input field" + (fields.inputs.size() == 1 ? " " : "s ") + backticked(fields.inputs)
        + " and output field" + (fields.outputs.size() == 1 ? " " : "s ") + joinWords(outputParts) + ".";
    return first;
}

// A numeric output: how often the input states arithmetic whose result it equals.
Observation numericObservation(const std::vector<DataRow> &rows, const std::vector<std::string> &inputs,
                               const FieldStats &s)
{
    std::size_t stated = 0, matching = 0;
    std::string sample;
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const auto arithmetic = findArithmetic(rowInputText(rows[r], inputs));
        if (!arithmetic)
            continue;
        ++stated;
        if (sample.empty())
            sample = arithmetic->text;
        if (s.present[r] && !s.items[r].empty()
            && std::fabs(std::strtod(s.items[r].front().c_str(), nullptr) - arithmetic->value) < 1e-6)
            ++matching;
    }
    Observation o;
    o.mustMention = {s.name};
    if (stated > 0) {
        o.text = "In " + std::to_string(stated) + " of the " + std::to_string(rows.size()) + " examples the "
                 + (inputs.size() == 1 ? backticked(inputs) : std::string("input")) + " states arithmetic such as "
                 + sample + ", and `" + s.name + "` equals its result computed left to right in "
                 + std::to_string(matching) + " of them.";
        o.mustMention.push_back("arithmetic");
    } else {
        o.text = "The `" + s.name + "` values are numbers.";
    }
    return o;
}

// Numbers and free text: one observation per numeric or free-text output.
void addValueObservations(std::vector<Observation> &out, const std::vector<DataRow> &rows, const ExampleFields &fields)
{
    for (const FieldStats &s : fields.stats) {
        if (s.numeric) {
            out.push_back(numericObservation(rows, fields.inputs, s));
        } else if (!s.labelLike && !s.list && s.name != "reasoning"
                   && std::count(s.present.begin(), s.present.end(), true) > 0) {
            Observation o;
            o.mustMention = {s.name, "average"};
            o.text = s.averageWords <= kShortAnswerWords
                         ? "The `" + s.name + "` values are short, " + oneDecimal(s.averageWords) + " words on average."
                         : "The `" + s.name + "` values are " + oneDecimal(s.averageWords) + " words long on average.";
            out.push_back(o);
        }
    }
}

// Distinctive words per label: most frequent first, except that the majority label of a
// single-valued output (the natural default) comes last.
void addLabelObservations(std::vector<Observation> &out, const std::vector<DataRow> &rows, const ExampleFields &fields)
{
    struct ObservedLabel {
        std::size_t field;
        std::string label;
        int count;
        bool majority;
    };
    const std::vector<FieldStats> &stats = fields.stats;
    std::vector<ObservedLabel> refs;
    for (std::size_t f = 0; f < stats.size(); ++f) {
        if (!stats[f].labelLike || stats[f].labels.size() < 2)
            continue;
        for (std::size_t l = 0; l < stats[f].labels.size(); ++l)
            refs.push_back({f, stats[f].labels[l].first, stats[f].labels[l].second, !stats[f].list && l == 0});
    }
    std::stable_sort(refs.begin(), refs.end(), [](const ObservedLabel &a, const ObservedLabel &b) {
        if (a.majority != b.majority)
            return !a.majority;
        return a.count > b.count;
    });
    std::vector<std::set<std::string>> rowWords;
    for (const DataRow &row : rows)
        rowWords.push_back(tokenSet(rowInputText(row, fields.inputs)));
    const std::set<std::string> excluded = namingWords(fields);
    for (const ObservedLabel &ref : refs) {
        const std::vector<std::string> top = distinctiveWords(rowWords, stats[ref.field], ref.label, excluded);
        if (top.empty())
            continue;
        Observation o;
        o.text = "Examples labelled " + ref.label + " often mention " + joinStrings(top, ", ") + ".";
        o.label = ref.label;
        o.labelWords = top;
        out.push_back(o);
    }
}

// The observations of a set of examples, in order: overview, values, distinctive words.
std::vector<Observation> observe(const std::vector<DataRow> &rows)
{
    std::vector<Observation> out;
    if (rows.empty())
        return out;
    const ExampleFields fields = classifyFields(rows);
    out.push_back(overviewObservation(rows.size(), fields));
    addValueObservations(out, rows, fields);
    addLabelObservations(out, rows, fields);
    return out;
}

bool covered(const Observation &o, const std::vector<std::vector<std::string>> &priorSentences,
             const std::vector<std::string> &priorWords)
{
    if (o.label.empty())
        return std::all_of(o.mustMention.begin(), o.mustMention.end(),
                           [&](const std::string &m) { return containsRun(priorWords, words(m)); });
    const std::vector<std::string> labelRun = words(o.label);
    return std::any_of(priorSentences.begin(), priorSentences.end(), [&](const std::vector<std::string> &sw) {
        return containsRun(sw, labelRun)
               && std::all_of(o.labelWords.begin(), o.labelWords.end(),
                              [&](const std::string &w) { return std::find(sw.begin(), sw.end(), w) != sw.end(); });
    });
}

std::string observations(const Prompt &prompt)
{
    const std::string *examples = prompt.current.find("examples");
    const std::vector<Observation> obs = observe(readExamples(examples ? *examples : std::string()));
    if (obs.empty())
        return "The examples could not be read, so there is nothing to observe.";
    const std::string *prior = prompt.current.find("prior_observations");
    std::vector<std::string> texts;
    if (prior && !trimmed(*prior).empty()) {
        std::vector<std::vector<std::string>> priorSentences;
        for (const std::string &s : splitSentences(*prior))
            priorSentences.push_back(words(s));
        const std::vector<std::string> priorWords = words(*prior);
        for (const Observation &o : obs)
            if (!covered(o, priorSentences, priorWords))
                texts.push_back(o.text);
        if (texts.empty())
            return "COMPLETE";
    } else {
        for (const Observation &o : obs)
            texts.push_back(o.text);
    }
    return joinStrings(texts, " ");
}

std::string summary(const Prompt &prompt)
{
    const std::string *obs = prompt.current.find("observations");
    std::vector<std::string> sentences = obs ? splitSentences(*obs) : std::vector<std::string>();
    if (sentences.empty() || startsWith(toLowerAscii(sentences.front()), "complete"))
        return "No observations were made about the dataset.";
    sentences.resize(std::min<std::size_t>(sentences.size(), 3));
    return joinStrings(sentences, " ");
}

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

std::vector<std::string> backtickedNames(std::string_view text)
{
    std::vector<std::string> out;
    std::size_t pos = 0;
    while ((pos = text.find('`', pos)) != std::string_view::npos) {
        const std::size_t end = text.find('`', pos + 1);
        if (end == std::string_view::npos)
            break;
        out.emplace_back(text.substr(pos + 1, end - pos - 1));
        pos = end + 1;
    }
    return out;
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

// Usable words of the description sentences that name this label and no other label.
std::vector<std::string> descriptionCueWords(const std::vector<std::string> &descriptionSentences,
                                             const std::vector<LabelRef> &labels, const LabelRef &l,
                                             const CueFilter &filter)
{
    std::vector<std::string> fromDescription;
    for (const std::string &sentence : descriptionSentences) {
        const std::vector<std::string> sw = words(sentence);
        const bool namesOther = std::any_of(labels.begin(), labels.end(), [&](const LabelRef &o) {
            return toLowerAscii(o.label) != toLowerAscii(l.label) && containsRun(sw, words(o.label));
        });
        if (!containsRun(sw, words(l.label)) || namesOther)
            continue;
        for (const std::string &t : tokens(sentence))
            if (filter.usable(t)
                && std::find(fromDescription.begin(), fromDescription.end(), t) == fromDescription.end())
                fromDescription.push_back(t);
    }
    return fromDescription;
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
        std::vector<std::string> fromDescription = descriptionCueWords(descriptionSentences, labels, l, filter);
        std::vector<std::string> fromDemos = demoCueWords(task, l, filter, fromDescription);
        draws.shuffle(fromDescription, "description words " + l.label);
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
