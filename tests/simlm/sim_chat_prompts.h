#pragma once

// SimLm tests' prompt writer: requests laid out exactly as DSPy's ChatAdapter
// (or JSONAdapter) writes them, by hand (never by Prism's adapter), and an
// independent reader of the answers.

#include "sim/sim_text.h"
#include "sim/simlm.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace simtest {

using namespace prism;

inline const std::vector<std::string> kSeverity = {"low", "medium", "high"};
inline const std::vector<std::string> kPolicies = {"harassment", "hate", "sexual", "violence",
                                                   "self_harm",  "spam", "other"};
inline const std::string kSeverityType = "Literal['low', 'medium', 'high']";
inline const std::string kPolicyType =
    "list[Literal['harassment', 'hate', 'sexual', 'violence', 'self_harm', 'spam', 'other']]";

struct FieldDef {
    FieldDef(std::string n, std::string t = "str", std::string d = {})
        : name(std::move(n)), type(std::move(t)), description(std::move(d))
    {}
    std::string name;
    std::string type;
    std::string description;
};

using Values = std::vector<std::pair<std::string, std::string>>;

// A request laid out exactly as DSPy's ChatAdapter (or JSONAdapter) writes it.
struct PromptSpec {
    std::vector<FieldDef> inputs;
    std::vector<FieldDef> outputs;
    std::string instruction;
    std::vector<std::pair<Values, Values>> demos; // (inputs, outputs)
    Values current;
    bool json = false;
};

inline std::string fieldList(const std::vector<FieldDef> &fields)
{
    std::string s;
    for (std::size_t i = 0; i < fields.size(); ++i)
        s += std::to_string(i + 1) + ". `" + fields[i].name + "` (" + fields[i].type + "): " + fields[i].description
             + "\n";
    return s;
}

inline std::string blocks(const Values &values)
{
    std::string s;
    for (const auto &[name, value] : values)
        s += (s.empty() ? "" : "\n\n") + std::string("[[ ## ") + name + " ## ]]\n" + value;
    return s;
}

inline std::vector<ChatMessage> render(const PromptSpec &p)
{
    std::string system =
        "Your input fields are:\n" + fieldList(p.inputs) + "Your output fields are:\n" + fieldList(p.outputs);
    system += "All interactions will be structured in the following way, with the appropriate values filled in.\n\n";
    for (const FieldDef &f : p.inputs)
        system += "[[ ## " + f.name + " ## ]]\n{" + f.name + "}\n\n";
    if (p.json) {
        system += "Outputs will be a JSON object with the following fields.\n\n{\n";
        for (std::size_t i = 0; i < p.outputs.size(); ++i)
            system += "  \"" + p.outputs[i].name + "\": \"{" + p.outputs[i].name + "}\""
                      + (i + 1 < p.outputs.size() ? ",\n" : "\n");
        system += "}\n";
    } else {
        for (const FieldDef &f : p.outputs)
            system += "[[ ## " + f.name + " ## ]]\n{" + f.name + "}\n\n";
        system += "[[ ## completed ## ]]\n";
    }
    system += "In adhering to this structure, your objective is: ";
    for (const std::string &line : sim::splitLines(p.instruction))
        system += "\n        " + line;
    std::vector<ChatMessage> messages{{"system", system}};
    for (const auto &[in, out] : p.demos) {
        messages.push_back({"user", blocks(in)});
        if (p.json) {
            nlohmann::ordered_json j;
            for (const auto &[k, v] : out)
                j[k] = v;
            messages.push_back({"assistant", j.dump(2)});
        } else {
            messages.push_back({"assistant", blocks(out) + "\n\n[[ ## completed ## ]]\n"});
        }
    }
    std::string names;
    for (const FieldDef &f : p.outputs)
        names += (names.empty() ? "" : ", then ") + std::string("`[[ ## ") + f.name + " ## ]]`";
    messages.push_back(
        {"user", blocks(p.current) + "\n\n"
                     + (p.json ? "Respond with a JSON object in the following order of fields: " + names + "."
                               : "Respond with the corresponding output fields, starting with the field " + names
                                     + ", and then ending with the marker for `[[ ## completed ## ]]`.")});
    return messages;
}

inline ChatRequest request(const PromptSpec &p, std::int64_t seed = 0, double temperature = 0.0,
                           std::uint64_t rollout = 0)
{
    ChatRequest r;
    r.messages = render(p);
    r.seed = seed;
    r.temperature = temperature;
    r.rollout = rollout;
    return r;
}

inline std::string completeText(const std::string &model, const ChatRequest &r)
{
    Result<ChatResponse> res = SimLm(model).complete(r);
    EXPECT_TRUE(res.ok()) << (res.ok() ? "" : res.error().message);
    return res.ok() ? res->text() : std::string();
}

// An independent reader of the answer: [[ ## field ## ]] sections and the completed marker.
struct Parsed {
    std::map<std::string, std::string> fields;
    bool completed = false;
};

inline Parsed parseAnswer(const std::string &text)
{
    Parsed out;
    std::string current;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string::npos)
            eol = text.size();
        const std::string line = text.substr(pos, eol - pos);
        pos = eol + 1;
        if (line.rfind("[[ ## ", 0) == 0 && line.size() > 12 && line.substr(line.size() - 6) == " ## ]]") {
            current = line.substr(6, line.size() - 12);
            if (current == "completed")
                out.completed = true;
            else
                out.fields[current];
            continue;
        }
        if (!current.empty() && current != "completed")
            out.fields[current] += (out.fields[current].empty() ? "" : "\n") + line;
    }
    for (auto &[k, v] : out.fields)
        v = trimmed(v);
    return out;
}

inline std::string answerOf(const std::string &model, const PromptSpec &p, const std::string &field,
                            std::int64_t seed = 0)
{
    return parseAnswer(completeText(model, request(p, seed))).fields[field];
}

inline PromptSpec moderation(const std::string &instruction, const std::string &snippet, bool withList = false)
{
    PromptSpec p;
    p.inputs = {{"snippet"}};
    p.outputs = {{"severity", kSeverityType, "Overall severity of the snippet for moderation routing."}};
    if (withList)
        p.outputs.push_back({"policy_violations", kPolicyType, "Zero or more policy categories the snippet violates."});
    p.instruction = instruction;
    p.current = {{"snippet", snippet}};
    return p;
}

} // namespace simtest
