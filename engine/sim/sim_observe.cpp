#include "sim/sim_observe.h"

#include "sim/sim_examples.h"
#include "sim/sim_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <regex>
#include <set>

namespace prism::sim {

namespace {

constexpr std::size_t kDistinctiveWords = 5;
constexpr double kShortAnswerWords = 6.0;

struct WordCount {
    std::string word;
    int count = 0;
};

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

// The distinctive input words of a label, most distinctive first, with the number of the
// label's examples that have them: log-odds of appearing in examples with the label against
// the others, compared exactly as integer ratios (portable), ties alphabetical.
std::vector<WordCount> distinctiveWords(const std::vector<std::set<std::string>> &rowWords, const FieldStats &field,
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
        long long count;
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
            scored.push_back({w, a, num, den});
    }
    std::sort(scored.begin(), scored.end(), [](const Scored &x, const Scored &y) {
        const long long l = x.num * y.den, r = y.num * x.den;
        return l != r ? l > r : x.word < y.word;
    });
    std::vector<WordCount> out;
    for (const Scored &s : scored)
        out.push_back({s.word, static_cast<int>(s.count)});
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

// ---- the dataset as the observations describe it ---------------------------

// One output field as the observations describe it.
struct OutputState {
    std::string name;
    bool labelLike = false;
    bool list = false;
    bool numeric = false;
    bool freeText = false;
    std::vector<std::pair<std::string, int>> labels; // by count, then first appearance
    int emptyLists = 0;
    int stated = 0;   // numeric: examples whose input states arithmetic
    int matching = 0; // ... and whose value equals its result
    std::string sample;
    double averageWords = 0; // free text
    int textRows = 0;
};

// The words one label's examples often mention.
struct LabelState {
    std::string field;
    std::string label;
    std::vector<WordCount> listed;        // what an observation names, with counts
    std::vector<WordCount> distinctive;   // one batch: every word with positive log-odds
    std::map<std::string, int> rowCounts; // one batch: the label's examples with each word
};

// Everything the observations say: the example count, the fields, the distribution of every
// label-like output and the words of every label. Merging two adds their counts.
struct DatasetState {
    int rows = 0;
    std::vector<std::string> inputs;
    std::vector<OutputState> outputs;
    std::vector<LabelState> labels;

    OutputState *output(const std::string &name)
    {
        for (OutputState &o : outputs)
            if (o.name == name)
                return &o;
        return nullptr;
    }
    LabelState *labelOf(const std::string &field, const std::string &label)
    {
        for (LabelState &l : labels)
            if (l.field == field && l.label == label)
                return &l;
        return nullptr;
    }
};

OutputState outputState(const std::vector<DataRow> &rows, const std::vector<std::string> &inputs, const FieldStats &s)
{
    OutputState o;
    o.name = s.name;
    o.list = s.list;
    if (s.numeric) {
        o.numeric = true;
        for (std::size_t r = 0; r < rows.size(); ++r) {
            const auto arithmetic = findArithmetic(rowInputText(rows[r], inputs));
            if (!arithmetic)
                continue;
            ++o.stated;
            if (o.sample.empty())
                o.sample = arithmetic->text;
            if (s.present[r] && !s.items[r].empty()
                && std::fabs(std::strtod(s.items[r].front().c_str(), nullptr) - arithmetic->value) < 1e-6)
                ++o.matching;
        }
    } else if (s.labelLike) {
        o.labelLike = true;
        o.labels = s.labels;
        o.emptyLists = s.emptyLists;
    } else if (!s.list && s.name != "reasoning") {
        o.textRows = static_cast<int>(std::count(s.present.begin(), s.present.end(), true));
        o.freeText = o.textRows > 0;
        o.averageWords = s.averageWords;
    }
    return o;
}

// The state of one batch of examples.
DatasetState stateOf(const std::vector<DataRow> &rows)
{
    DatasetState state;
    const ExampleFields fields = classifyFields(rows);
    state.rows = static_cast<int>(rows.size());
    state.inputs = fields.inputs;
    for (const FieldStats &s : fields.stats)
        state.outputs.push_back(outputState(rows, fields.inputs, s));
    std::vector<std::set<std::string>> rowWords;
    for (const DataRow &row : rows)
        rowWords.push_back(tokenSet(rowInputText(row, fields.inputs)));
    const std::set<std::string> excluded = namingWords(fields);
    for (const FieldStats &s : fields.stats) {
        if (!s.labelLike)
            continue;
        for (const auto &[label, count] : s.labels) {
            LabelState l;
            l.field = s.name;
            l.label = label;
            for (std::size_t r = 0; r < rows.size(); ++r)
                if (s.has(r, label))
                    for (const std::string &w : rowWords[r])
                        ++l.rowCounts[w];
            // One label alone has nothing to be distinctive against.
            if (s.labels.size() >= 2)
                l.distinctive = distinctiveWords(rowWords, s, label, excluded);
            l.listed.assign(l.distinctive.begin(),
                            l.distinctive.begin()
                                + static_cast<std::ptrdiff_t>(std::min(kDistinctiveWords, l.distinctive.size())));
            state.labels.push_back(std::move(l));
        }
    }
    return state;
}

// ---- writing the state -----------------------------------------------------

std::string overviewSentence(const DatasetState &state)
{
    std::vector<std::string> outputParts, outputNames;
    for (const OutputState &o : state.outputs) {
        std::string part = "`" + o.name + "`";
        outputNames.push_back(o.name);
        if (o.labelLike) {
            std::vector<std::string> dist;
            for (const auto &[label, count] : o.labels)
                dist.push_back(label + " in " + std::to_string(count));
            if (o.emptyLists > 0)
                dist.push_back("empty in " + std::to_string(o.emptyLists));
            part += " (" + joinWords(dist) + ")";
        }
        outputParts.push_back(part);
    }
    return (state.rows == 1 ? std::string("There is 1 example")
                            : "There are " + std::to_string(state.rows) + " examples")
           + " with input field" + (state.inputs.size() == 1 ? " " : "s ") + backticked(state.inputs)
           + " and output field" + (outputNames.size() == 1 ? " " : "s ") + joinWords(outputParts) + ".";
}

std::string valueSentence(const DatasetState &state, const OutputState &o)
{
    if (o.numeric && o.stated > 0)
        return "In " + std::to_string(o.stated) + " of the " + std::to_string(state.rows) + " examples the "
               + (state.inputs.size() == 1 ? backticked(state.inputs) : std::string("input"))
               + " states arithmetic such as " + o.sample + ", and `" + o.name
               + "` equals its result computed left to right in " + std::to_string(o.matching) + " of them.";
    if (o.numeric)
        return "The `" + o.name + "` values are numbers.";
    if (!o.freeText)
        return {};
    return o.averageWords <= kShortAnswerWords
               ? "The `" + o.name + "` values are short, " + oneDecimal(o.averageWords) + " words on average."
               : "The `" + o.name + "` values are " + oneDecimal(o.averageWords) + " words long on average.";
}

// Label sentences, most frequent label first, except that the majority label of a
// single-valued output (the natural default) comes last.
std::vector<std::string> labelSentences(const DatasetState &state)
{
    struct Ordered {
        const LabelState *label;
        int count;
        bool majority;
    };
    std::vector<Ordered> order;
    for (const OutputState &o : state.outputs) {
        if (!o.labelLike || o.labels.size() < 2)
            continue;
        for (std::size_t i = 0; i < o.labels.size(); ++i)
            for (const LabelState &l : state.labels)
                if (l.field == o.name && l.label == o.labels[i].first && !l.listed.empty())
                    order.push_back({&l, o.labels[i].second, !o.list && i == 0});
    }
    std::stable_sort(order.begin(), order.end(), [](const Ordered &a, const Ordered &b) {
        if (a.majority != b.majority)
            return !a.majority;
        return a.count > b.count;
    });
    std::vector<std::string> out;
    for (const Ordered &o : order) {
        std::vector<std::string> items;
        for (const WordCount &w : o.label->listed)
            items.push_back(w.word + " (" + std::to_string(w.count) + ")");
        out.push_back("Examples labelled " + o.label->label + " often mention " + joinStrings(items, ", ") + ".");
    }
    return out;
}

std::string render(const DatasetState &state)
{
    std::vector<std::string> sentences{overviewSentence(state)};
    for (const OutputState &o : state.outputs)
        if (std::string s = valueSentence(state, o); !s.empty())
            sentences.push_back(std::move(s));
    for (std::string &s : labelSentences(state))
        sentences.push_back(std::move(s));
    return joinStrings(sentences, " ");
}

// ---- reading a state back --------------------------------------------------

// "a in 3, b in 2 and empty in 1"
void readDistribution(std::string inner, OutputState &o)
{
    for (std::size_t p; (p = inner.find(" and ")) != std::string::npos;)
        inner.replace(p, 5, ", ");
    o.labelLike = true;
    for (const std::string &part : splitOn(inner, ", ")) {
        const std::size_t in = part.rfind(" in ");
        if (in == std::string::npos)
            continue;
        const std::string label = trimmed(part.substr(0, in));
        const int count = std::atoi(part.c_str() + in + 4);
        if (label == "empty") {
            o.list = true;
            o.emptyLists = count;
        } else if (!label.empty()) {
            o.labels.emplace_back(label, count);
        }
    }
}

// The output fields after "output field(s) ": `a` (dist) and `b`; returns where the list ends.
std::size_t readOutputList(const std::string &text, std::size_t pos, DatasetState &state)
{
    while (pos < text.size() && text[pos] == '`') {
        const std::size_t close = text.find('`', pos + 1);
        if (close == std::string::npos)
            break;
        OutputState o;
        o.name = text.substr(pos + 1, close - pos - 1);
        pos = close + 1;
        if (text.compare(pos, 2, " (") == 0) {
            const std::size_t end = text.find(')', pos);
            if (end == std::string::npos)
                break;
            readDistribution(text.substr(pos + 2, end - pos - 2), o);
            pos = end + 1;
        }
        state.outputs.push_back(std::move(o));
        if (text.compare(pos, 5, " and ") == 0)
            pos += 5;
        else if (text.compare(pos, 2, ", ") == 0)
            pos += 2;
        else
            break;
    }
    return pos;
}

void readValueSentences(const std::string &tail, DatasetState &state)
{
    static const std::regex arithmetic(R"(In (\d+) of the \d+ examples the (?:`[^`]+`|input) states arithmetic )"
                                       R"(such as (.+?), and `([^`]+)` equals its result computed left to right in )"
                                       R"((\d+) of them\.)");
    static const std::regex numbers(R"(The `([^`]+)` values are numbers\.)");
    static const std::regex average(R"(The `([^`]+)` values are (?:short, )?([0-9.]+) words (?:long )?on average\.)");
    for (std::sregex_iterator it(tail.begin(), tail.end(), arithmetic), end; it != end; ++it)
        if (OutputState *o = state.output((*it)[3])) {
            o->numeric = true;
            o->stated = std::atoi((*it)[1].str().c_str());
            o->sample = (*it)[2];
            o->matching = std::atoi((*it)[4].str().c_str());
        }
    for (std::sregex_iterator it(tail.begin(), tail.end(), numbers), end; it != end; ++it)
        if (OutputState *o = state.output((*it)[1]))
            o->numeric = true;
    for (std::sregex_iterator it(tail.begin(), tail.end(), average), end; it != end; ++it)
        if (OutputState *o = state.output((*it)[1])) {
            o->freeText = true;
            o->averageWords = std::strtod((*it)[2].str().c_str(), nullptr);
            o->textRows = state.rows;
        }
}

void readLabelSentences(const std::string &tail, DatasetState &state)
{
    static const std::regex sentence(R"(Examples labelled (.+?) often mention ([^.]*)\.)");
    static const std::regex counted(R"(^(.+?) \((\d+)\)$)");
    for (std::sregex_iterator it(tail.begin(), tail.end(), sentence), end; it != end; ++it) {
        const std::string label = (*it)[1];
        const OutputState *field = nullptr;
        for (const OutputState &o : state.outputs)
            for (const auto &l : o.labels)
                if (!field && l.first == label)
                    field = &o;
        if (!field)
            continue;
        LabelState l;
        l.field = field->name;
        l.label = label;
        for (const std::string &item : splitOn((*it)[2].str(), ",")) {
            std::smatch m;
            if (std::regex_match(item, m, counted))
                l.listed.push_back({m[1], std::atoi(m[2].str().c_str())});
            else if (!item.empty())
                l.listed.push_back({item, 1}); // observations without counts: each word seen once
        }
        state.labels.push_back(std::move(l));
    }
}

// The latest state in observations text: DSPy concatenates every batch's observations, and each
// of SimLm's covers all batches before it, so the last overview sentence starts the latest.
std::optional<DatasetState> parseState(const std::string &text)
{
    static const std::regex overview(R"(There (?:are (\d+) examples|is 1 example) with input fields? )");
    std::smatch last;
    for (std::sregex_iterator it(text.begin(), text.end(), overview), end; it != end; ++it)
        last = *it;
    if (last.empty())
        return std::nullopt;
    DatasetState state;
    state.rows = last[1].matched ? std::atoi(last[1].str().c_str()) : 1;
    const std::size_t from = static_cast<std::size_t>(last.position(0) + last.length(0));
    const std::size_t outputsAt = text.find(" and output field", from);
    if (outputsAt == std::string::npos)
        return std::nullopt;
    for (const std::string &name : backtickedNames(std::string_view(text).substr(from, outputsAt - from)))
        state.inputs.push_back(name);
    std::size_t pos = text.find(' ', outputsAt + 17);
    if (pos == std::string::npos)
        return std::nullopt;
    pos = readOutputList(text, pos + 1, state);
    const std::string tail = text.substr(pos);
    readValueSentences(tail, state);
    readLabelSentences(tail, state);
    return state;
}

// ---- merging ---------------------------------------------------------------

void mergeOutput(OutputState &into, const OutputState &batch)
{
    into.labelLike = into.labelLike || batch.labelLike;
    into.list = into.list || batch.list;
    into.numeric = into.numeric || batch.numeric;
    for (const auto &entry : batch.labels) {
        // Not a structured binding: clang 14 (the fuzz build) cannot capture one.
        const auto &label = entry.first;
        auto it = std::find_if(into.labels.begin(), into.labels.end(), [&](const auto &l) { return l.first == label; });
        if (it == into.labels.end())
            into.labels.emplace_back(label, entry.second);
        else
            it->second += entry.second;
    }
    std::stable_sort(into.labels.begin(), into.labels.end(),
                     [](const auto &a, const auto &b) { return a.second > b.second; });
    into.emptyLists += batch.emptyLists;
    into.stated += batch.stated;
    into.matching += batch.matching;
    if (into.sample.empty())
        into.sample = batch.sample;
    if (batch.freeText) {
        const int priorText = into.freeText ? std::max(into.textRows, 0) : 0;
        const int total = priorText + batch.textRows;
        into.averageWords =
            total > 0 ? (into.averageWords * priorText + batch.averageWords * batch.textRows) / total : 0.0;
        into.textRows = total;
        into.freeText = true;
    }
}

// Counts add up per (label, word); a word is listed once at least 2 of the label's examples have it.
void mergeLabelWords(LabelState &into, const LabelState &batch)
{
    std::map<std::string, int> totals;
    for (const WordCount &w : into.listed) {
        const auto seen = batch.rowCounts.find(w.word);
        totals[w.word] = w.count + (seen == batch.rowCounts.end() ? 0 : seen->second);
    }
    for (const WordCount &w : batch.distinctive)
        if (!totals.count(w.word))
            totals[w.word] = w.count;
    std::vector<WordCount> ranked;
    for (const auto &[word, count] : totals)
        if (count >= 2)
            ranked.push_back({word, count});
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const WordCount &a, const WordCount &b) { return a.count > b.count; });
    ranked.resize(std::min(ranked.size(), kDistinctiveWords));
    into.listed = std::move(ranked);
}

DatasetState merge(DatasetState prior, const DatasetState &batch)
{
    prior.rows += batch.rows;
    for (const std::string &in : batch.inputs)
        if (std::find(prior.inputs.begin(), prior.inputs.end(), in) == prior.inputs.end())
            prior.inputs.push_back(in);
    for (const OutputState &o : batch.outputs) {
        if (OutputState *into = prior.output(o.name))
            mergeOutput(*into, o);
        else
            prior.outputs.push_back(o);
    }
    for (const LabelState &l : batch.labels)
        if (!prior.labelOf(l.field, l.label))
            prior.labels.push_back(LabelState{l.field, l.label, {}, {}, {}});
    // Every label, also one the batch does not have: a word seen in one example only is not listed.
    const LabelState none;
    for (LabelState &into : prior.labels) {
        const auto it = std::find_if(batch.labels.begin(), batch.labels.end(), [&](const LabelState &l) {
            return l.field == into.field && l.label == into.label;
        });
        mergeLabelWords(into, it == batch.labels.end() ? none : *it);
    }
    return prior;
}

} // namespace

std::string observations(const Prompt &prompt)
{
    const std::string *examples = prompt.current.find("examples");
    const std::vector<DataRow> rows = readExamples(examples ? *examples : std::string());
    const std::string *prior = prompt.current.find("prior_observations");
    if (!prior || trimmed(*prior).empty()) {
        if (rows.empty())
            return "The examples could not be read, so there is nothing to observe.";
        return render(stateOf(rows));
    }
    if (rows.empty())
        return "COMPLETE";
    const std::optional<DatasetState> before = parseState(*prior);
    if (!before) // observations SimLm cannot read back: what this batch shows
        return render(stateOf(rows));
    const std::string merged = render(merge(*before, stateOf(rows)));
    return merged == render(*before) ? "COMPLETE" : merged;
}

std::string summary(const Prompt &prompt)
{
    const std::string *obs = prompt.current.find("observations");
    if (obs)
        if (const std::optional<DatasetState> state = parseState(*obs))
            return render(*state);
    std::vector<std::string> sentences = obs ? splitSentences(*obs) : std::vector<std::string>();
    if (sentences.empty() || startsWith(toLowerAscii(sentences.front()), "complete"))
        return "No observations were made about the dataset.";
    // Observations SimLm did not write: their first three sentences.
    sentences.resize(std::min<std::size_t>(sentences.size(), 3));
    return joinStrings(sentences, " ");
}

} // namespace prism::sim
