#include "optimize/proposer.h"

#include "adapter/chat_adapter.h"
#include "adapter/pytext.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>

namespace prism {

namespace {

using pytext::join;

bool isSpace(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Python's \w (letters, digits, underscore; every non-ASCII byte counts as a
// letter, so UTF-8 words stay whole), plus the ' and - of DSPy's class.
bool isLabelChar(unsigned char c)
{
    return std::isalnum(c) || c == '_' || c == '\'' || c == '-' || c >= 0x80;
}

// Decodes one UTF-8 sequence at s[i]; returns its length (1 for a stray byte,
// with cp = the byte).
std::size_t decodeUtf8(std::string_view s, std::size_t i, std::uint32_t &cp)
{
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 1;
    if (c < 0x80) {
        cp = c;
        return 1;
    }
    if ((c & 0xE0) == 0xC0) {
        cp = c & 0x1F;
        len = 2;
    } else if ((c & 0xF0) == 0xE0) {
        cp = c & 0x0F;
        len = 3;
    } else if ((c & 0xF8) == 0xF0) {
        cp = c & 0x07;
        len = 4;
    } else {
        cp = c;
        return 1;
    }
    if (i + len > s.size()) {
        cp = c;
        return 1;
    }
    for (std::size_t k = 1; k < len; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80) {
            cp = c;
            return 1;
        }
        cp = (cp << 6) | (cc & 0x3F);
    }
    return len;
}

// Code points Python's str.isprintable() rejects, among those likely in text.
bool pythonNonPrintable(std::uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD || (cp >= 0x200B && cp <= 0x200F)
           || (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2060 && cp <= 0x2064) || cp == 0xFEFF;
}

std::string pythonStringRepr(std::string_view s)
{
    const bool hasSingle = s.find('\'') != std::string_view::npos;
    const bool hasDouble = s.find('"') != std::string_view::npos;
    const char quote = hasSingle && !hasDouble ? '"' : '\'';
    std::string out(1, quote);
    for (std::size_t i = 0; i < s.size();) {
        std::uint32_t cp = 0;
        const std::size_t len = decodeUtf8(s, i, cp);
        if (cp == '\\')
            out += "\\\\";
        else if (cp == static_cast<std::uint32_t>(quote))
            out += std::string("\\") + quote;
        else if (cp == '\n')
            out += "\\n";
        else if (cp == '\r')
            out += "\\r";
        else if (cp == '\t')
            out += "\\t";
        else if (pythonNonPrintable(cp))
            out += cp < 0x100 ? fmt::format("\\x{:02x}", cp) : fmt::format("\\u{:04x}", cp);
        else
            out.append(s.substr(i, len));
        i += len;
    }
    out += quote;
    return out;
}

// pydantic's repr of a DSPy field's json_schema_extra, in DSPy's key order.
std::string schemaExtra(const Field &field, bool input)
{
    const std::string kind = input ? "'input'" : "'output'";
    const std::string prefix = pythonStringRepr(field.effectivePrefix());
    if (field.description.empty())
        return "{'__dspy_field_type': " + kind + ", 'prefix': " + prefix + ", 'desc': '${" + field.name + "}'}";
    return "{'desc': " + pythonStringRepr(field.description) + ", '__dspy_field_type': " + kind
           + ", 'prefix': " + prefix + "}";
}

std::string signatureRepr(const Predictor &predictor)
{
    const Signature sig = predictor.effectiveSignature();
    std::vector<std::string> ins, outs, fields;
    for (const Field &f : sig.inputs) {
        ins.push_back(f.name);
        fields.push_back(f.name + " = Field(annotation=" + f.type.pythonName()
                         + " required=True json_schema_extra=" + schemaExtra(f, true) + ")");
    }
    for (const Field &f : sig.outputs) {
        outs.push_back(f.name);
        fields.push_back(f.name + " = Field(annotation=" + f.type.pythonName()
                         + " required=True json_schema_extra=" + schemaExtra(f, false) + ")");
    }
    return "StringSignature(" + join(ins, ", ") + " -> " + join(outs, ", ") + "\n    instructions="
           + pythonStringRepr(basicInstruction(predictor)) + "\n    " + join(fields, "\n    ") + "\n)";
}

} // namespace

const std::vector<ProposerTip> &proposerTips()
{
    static const std::vector<ProposerTip> tips = {
        {"none", ""},
        {"creative", "Don't be afraid to be creative when creating the new instruction!"},
        {"simple", "Keep the instruction clear and concise."},
        {"description", "Make sure your instruction is very informative and descriptive."},
        {"high_stakes", "The instruction should include a high stakes scenario in which the LM must solve the task!"},
        {"persona", "Include a persona that is relevant to the task in the instruction (ie. \"You are a ...\")"},
    };
    return tips;
}

std::string tipText(const std::string &keyOrText)
{
    for (const ProposerTip &t : proposerTips())
        if (keyOrText == t.key)
            return t.text;
    return keyOrText;
}

std::string stripPrefix(std::string_view text)
{
    std::size_t p = 0;
    while (p < text.size() && (text[p] == '*' || isSpace(static_cast<unsigned char>(text[p]))))
        ++p;
    std::size_t q = p;
    bool matched = false;
    for (int word = 0; word < 5; ++word) {
        const std::size_t start = q;
        while (q < text.size() && isLabelChar(static_cast<unsigned char>(text[q])))
            ++q;
        if (q == start)
            break;
        if (q < text.size() && text[q] == ':') {
            ++q;
            matched = true;
            break;
        }
        if (q >= text.size() || !isSpace(static_cast<unsigned char>(text[q])))
            break;
        while (q < text.size() && isSpace(static_cast<unsigned char>(text[q])))
            ++q;
    }
    std::string_view rest = text;
    if (matched) {
        while (q < text.size() && isSpace(static_cast<unsigned char>(text[q])))
            ++q;
        rest = text.substr(q);
    }
    const std::size_t begin = rest.find_first_not_of('"');
    if (begin == std::string_view::npos)
        return {};
    const std::size_t end = rest.find_last_not_of('"');
    return std::string(rest.substr(begin, end - begin + 1));
}

std::string pythonRepr(const Value &value)
{
    if (value.isString())
        return pythonStringRepr(value.asString());
    if (value.isList()) {
        std::vector<std::string> items;
        for (const Value &v : value.asList())
            items.push_back(pythonRepr(v));
        return "[" + join(items, ", ") + "]";
    }
    return pythonStr(value);
}

std::string pythonStr(const Value &value)
{
    if (auto scalar = pytext::scalarStr(value))
        return *std::move(scalar);
    return pythonRepr(value);
}

std::string examplesRepr(const std::vector<Example> &examples, std::size_t begin, std::size_t end)
{
    std::vector<std::string> items;
    for (std::size_t i = begin; i < std::min(end, examples.size()); ++i) {
        const Example &ex = examples[i];
        std::vector<std::string> pairs;
        for (const auto &[name, value] : ex.values)
            pairs.push_back(pythonStringRepr(name) + ": " + pythonRepr(value));
        std::vector<std::string> keys;
        for (const std::string &k : ex.inputKeys)
            keys.push_back(pythonStringRepr(k));
        std::sort(keys.begin(), keys.end()); // order_input_keys_in_string
        const std::string inputKeys = keys.empty() ? "set()" : "{" + join(keys, ", ") + "}";
        items.push_back("Example({" + join(pairs, ", ") + "}) (input_keys=" + inputKeys + ")");
    }
    return "[" + join(items, ", ") + "]";
}

std::string exampleString(const Predictor &predictor, const Fields &values)
{
    const Signature sig = predictor.effectiveSignature();
    std::vector<std::string> lines;
    for (const auto *fields : {&sig.inputs, &sig.outputs})
        for (const Field &f : *fields)
            if (const Value *v = values.find(f.name))
                lines.push_back(f.effectivePrefix() + " " + pythonStr(*v));
    return join(lines, "\n");
}

std::string taskDemosText(const Predictor &predictor, const std::vector<std::vector<Demo>> &sets, std::size_t index,
                          std::size_t count)
{
    static const std::string none = "No task demos provided.";
    if (index == 0 || index >= sets.size())
        return none;
    std::vector<std::string> examples;
    for (std::size_t step = 0; step < sets.size() && examples.size() < count; ++step) {
        const std::vector<Demo> &set = sets[(index + step) % sets.size()];
        const bool hasBootstrapped = std::any_of(set.begin(), set.end(), [](const Demo &d) { return d.augmented; });
        for (const Demo &d : set) {
            if (examples.size() >= count)
                break;
            if (d.augmented == hasBootstrapped)
                examples.push_back(exampleString(predictor, d.values));
        }
    }
    if (examples.empty())
        return none;
    return join(examples, "\n\n") + "\n\n";
}

std::string basicInstruction(const Predictor &predictor)
{
    if (!predictor.signature.instruction.empty())
        return predictor.signature.instruction;
    return Signature::defaultInstruction(predictor.signature.inputs, predictor.signature.outputs);
}

std::string programCode(const Program &program)
{
    std::vector<std::string> header;
    for (const Predictor &p : program.predictors)
        header.push_back(signatureRepr(p));
    std::string base;
    if (program.predictors.size() > 1) {
        const std::vector<std::string> inputs = program.externalInputs();
        std::vector<std::string> lines = {"class Program(dspy.Module):",
                                          "    def forward(self, " + join(inputs, ", ") + "):"};
        for (const Predictor &p : program.predictors) {
            std::vector<std::string> args;
            for (const Field &f : p.signature.inputs)
                args.push_back(f.name + "=" + f.name);
            std::vector<std::string> outs;
            for (const Field &f : p.effectiveSignature().outputs)
                outs.push_back(f.name);
            lines.push_back("        " + join(outs, ", ") + " = self." + p.name + "(" + join(args, ", ") + ")");
        }
        std::vector<std::string> finals;
        for (const Field &f : program.predictors.back().signature.outputs)
            finals.push_back(f.name);
        lines.push_back("        return " + join(finals, ", "));
        base = join(lines, "\n");
    }
    return join(header, "\n\n") + "\n\n" + base;
}

std::string moduleText(const Predictor &predictor)
{
    const Signature sig = predictor.effectiveSignature();
    std::vector<std::string> ins, outs;
    for (const Field &f : sig.inputs)
        ins.push_back(f.name);
    for (const Field &f : sig.outputs)
        outs.push_back(f.name);
    return "Predict(" + join(ins, ", ") + ") -> " + join(outs, ", ");
}

Signature datasetDescriptorSignature()
{
    Signature s;
    s.instruction = "Given several examples from a dataset please write observations about trends that hold for most "
                    "or all of the samples. "
                    "Some areas you may consider in your observations: topics, content, syntax, conciseness, etc. "
                    "It will be useful to make an educated guess as to the nature of the task this dataset will "
                    "enable. Don't be afraid to be creative";
    s.inputs = {stringField("examples", "Sample data points from the dataset")};
    s.outputs = {stringField("observations", "Somethings that holds true for most or all of the data you observed")};
    return s;
}

Signature datasetDescriptorWithPriorSignature()
{
    Signature s;
    s.instruction = "Given several examples from a dataset please write observations about trends that hold for most "
                    "or all of the samples. "
                    "I will also provide you with a few observations I have already made.  Please add your own "
                    "observations or if you feel the observations are comprehensive say 'COMPLETE' "
                    "Some areas you may consider in your observations: topics, content, syntax, conciceness, etc. "
                    "It will be useful to make an educated guess as to the nature of the task this dataset will "
                    "enable. Don't be afraid to be creative";
    s.inputs = {stringField("examples", "Sample data points from the dataset"),
                stringField("prior_observations", "Some prior observations I made about the data")};
    s.outputs = {stringField(
        "observations",
        "Somethings that holds true for most or all of the data you observed or COMPLETE if you have nothing to add")};
    return s;
}

Signature observationSummarizerSignature()
{
    Signature s;
    s.instruction = "Given a series of observations I have made about my dataset, please summarize them into a brief "
                    "2-3 sentence summary which highlights only the most important details.";
    s.inputs = {stringField("observations", "Observations I have made about my dataset")};
    s.outputs = {stringField(
        "summary", "Two to Three sentence summary of only the most significant highlights of my observations")};
    return s;
}

Signature describeProgramSignature()
{
    Signature s;
    s.instruction =
        "Below is some pseudo-code for a pipeline that solves tasks with calls to language models. Please describe "
        "what type of task this program appears to be designed to solve, and how it appears to work.";
    s.inputs = {
        stringField("program_code", "Pseudocode for a language model program designed to solve a particular task."),
        stringField("program_example", "An example of the program in use.")};
    s.outputs = {
        stringField("program_description",
                    "Describe what task the program is designed to solve, and how it goes about solving this task.")};
    return s;
}

Signature describeModuleSignature()
{
    Signature s;
    s.instruction = "Below is some pseudo-code for a pipeline that solves tasks with calls to language models. Please "
                    "describe the purpose of one of the specified module in this pipeline.";
    s.inputs = {
        stringField("program_code", "Pseudocode for a language model program designed to solve a particular task."),
        stringField("program_example", "An example of the program in use."),
        stringField("program_description",
                    "Summary of the task the program is designed to solve, and how it goes about solving it."),
        stringField("module", "The module in the program that we want to describe.")};
    s.outputs = {stringField("module_description", "Description of the module's role in the broader program.")};
    return s;
}

Signature instructionSignature(bool datasetDescription, bool programAware, bool tip)
{
    Signature s;
    s.instruction =
        "Use the information below to learn about a task that we are trying to solve using calls to an LM, then "
        "generate a new instruction that will be used to prompt a Language Model to better solve the task.";
    if (datasetDescription)
        s.inputs.push_back(stringField("dataset_description", "A description of the dataset that we are using."));
    if (programAware) {
        s.inputs.push_back(stringField("program_code", "Language model program designed to solve a particular task."));
        s.inputs.push_back(
            stringField("program_description",
                        "Summary of the task the program is designed to solve, and how it goes about solving it."));
        s.inputs.push_back(stringField("module", "The module to create an instruction for."));
        s.inputs.push_back(
            stringField("module_description", "Description of the module to create an instruction for."));
    }
    s.inputs.push_back(stringField("task_demos", "Example inputs/outputs of our module."));
    s.inputs.push_back(stringField("basic_instruction", "Basic instruction."));
    if (tip)
        s.inputs.push_back(stringField("tip", "A suggestion for how to go about generating the new instruction."));
    s.outputs = {
        stringField("proposed_instruction",
                    "Propose an instruction that will be used to prompt a Language Model to perform this task.")};
    return s;
}

ProposerReply callProposer(const Signature &signature, const Fields &inputs, Lm &lm, const CallOptions &options)
{
    static const ChatAdapter chat;
    Predictor predictor;
    predictor.name = signature.outputs.empty() ? std::string("proposer") : signature.outputs.front().name;
    predictor.signature = signature;
    CallOptions call = options;
    call.role = "proposer";
    PredictorCall result = runPredictor(predictor, inputs, lm, chat, call);
    ProposerReply reply;
    reply.lmCalls = result.lmCalls;
    if (result.error) {
        reply.error = result.error;
        return reply;
    }
    const Value &v = result.outputs.get(predictor.name);
    reply.text = v.isString() ? v.asString() : v.toText();
    return reply;
}

} // namespace prism
