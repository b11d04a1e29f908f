#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prism {

enum class TypeKind {
    String,
    Int,
    Float,
    Bool,
    Enum,
    List,
};

// Answers match enum values ignoring ASCII case ("Refund" reads as "refund"),
// so two values that differ only in case could never be told apart: returns
// the first value that repeats an earlier one that way, if any.
std::optional<std::string> repeatedEnumValue(const std::vector<std::string> &values);

// The type of a field: string | int | float | bool | enum{values} | list<Type>.
class Type {
public:
    Type() = default;
    static Type string() { return Type(TypeKind::String); }
    static Type integer() { return Type(TypeKind::Int); }
    static Type floating() { return Type(TypeKind::Float); }
    static Type boolean() { return Type(TypeKind::Bool); }
    static Type enumOf(std::vector<std::string> values);
    static Type listOf(Type element);

    TypeKind kind() const { return m_kind; }
    const std::vector<std::string> &enumValues() const { return m_enumValues; }
    // Only for List.
    const Type &element() const { return m_element.front(); }

    bool isNumeric() const { return m_kind == TypeKind::Int || m_kind == TypeKind::Float; }

    // The Python annotation DSPy prints for this type: str, int, float, bool,
    // Literal['a', 'b'], list[str], list[Literal['x']].
    std::string pythonName() const;
    // Prism's short notation used in study files: str, int, float, bool,
    // enum[a,b], list[enum[a,b]]. parseShort accepts pythonName() too.
    std::string shortName() const;
    static bool parseShort(std::string_view text, Type &out, std::string &error);

    bool operator==(const Type &other) const = default;

private:
    explicit Type(TypeKind kind) : m_kind(kind) {}
    TypeKind m_kind = TypeKind::String;
    std::vector<std::string> m_enumValues;
    std::vector<Type> m_element; // zero or one entry; a vector keeps Type a value type
};

struct Field {
    std::string name;
    Type type;
    std::string description; // empty = none (DSPy saves "${name}")
    std::string prefix;      // empty = inferred, "Policy Violations:"

    std::string effectivePrefix() const;
    bool operator==(const Field &other) const = default;
};

// A str field with a description (the proposer's and the reflection's signatures).
Field stringField(std::string name, std::string description);

// "policy_violations" -> "Policy Violations", as DSPy's infer_prefix.
std::string inferPrefix(std::string_view name);

// The typed inputs and outputs of one LM call, plus its instruction. A value
// type: withInstruction() returns a changed copy.
struct Signature {
    std::string instruction;
    std::vector<Field> inputs;
    std::vector<Field> outputs;

    Signature withInstruction(std::string text) const;
    const Field *findInput(std::string_view name) const;
    const Field *findOutput(std::string_view name) const;
    const Field *findField(std::string_view name) const;
    // DSPy's default: "Given the fields `a`, `b`, produce the fields `c`."
    static std::string defaultInstruction(const std::vector<Field> &inputs, const std::vector<Field> &outputs);

    bool operator==(const Signature &other) const = default;
};

} // namespace prism
