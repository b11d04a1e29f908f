#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace prism {

// The value of one field of an example or prediction: null, string, int,
// float, bool or a list of values. Small on purpose; JSON conversion lives
// in core/json.h so that this header stays light.
class Value {
public:
    using List = std::vector<Value>;

    Value() = default;
    Value(std::string s) : m_data(std::move(s)) {}
    Value(const char *s) : m_data(std::string(s)) {}
    Value(std::int64_t i) : m_data(i) {}
    Value(int i) : m_data(static_cast<std::int64_t>(i)) {}
    Value(double d) : m_data(d) {}
    Value(bool b) : m_data(b) {}
    Value(List l) : m_data(std::move(l)) {}

    bool isNull() const { return m_data.index() == 0; }
    bool isString() const { return m_data.index() == 1; }
    bool isInt() const { return m_data.index() == 2; }
    bool isFloat() const { return m_data.index() == 3; }
    bool isNumber() const { return isInt() || isFloat(); }
    bool isBool() const { return m_data.index() == 4; }
    bool isList() const { return m_data.index() == 5; }

    const std::string &asString() const { return std::get<1>(m_data); }
    std::int64_t asInt() const { return std::get<2>(m_data); }
    double asNumber() const { return isInt() ? static_cast<double>(asInt()) : std::get<3>(m_data); }
    bool asBool() const { return std::get<4>(m_data); }
    const List &asList() const { return std::get<5>(m_data); }

    // Human text: strings as they are, numbers in shortest form, bools as
    // true/false, lists as JSON. Used for display and for lexical metrics.
    std::string toText() const;

    bool operator==(const Value &other) const = default;

private:
    std::variant<std::monostate, std::string, std::int64_t, double, bool, List> m_data;
};

// Field name -> value, in insertion order (DSPy keeps key order in saved demos).
class Fields {
public:
    using Item = std::pair<std::string, Value>;

    Fields() = default;
    Fields(std::initializer_list<Item> items);

    const Value *find(std::string_view name) const;
    bool contains(std::string_view name) const { return find(name) != nullptr; }
    // Returns a null Value when absent.
    const Value &get(std::string_view name) const;
    void set(std::string name, Value value);
    bool erase(std::string_view name);

    std::size_t size() const { return m_items.size(); }
    bool empty() const { return m_items.empty(); }
    auto begin() const { return m_items.begin(); }
    auto end() const { return m_items.end(); }
    const std::vector<Item> &items() const { return m_items; }

    bool operator==(const Fields &other) const = default;

private:
    std::vector<Item> m_items;
};

} // namespace prism
