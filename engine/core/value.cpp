#include "core/value.h"

#include "core/json.h"

#include <nlohmann/json.hpp>

namespace prism {

std::string Value::toText() const
{
    if (isNull())
        return {};
    if (isString())
        return asString();
    if (isBool())
        return asBool() ? "true" : "false";
    if (isInt())
        return std::to_string(asInt());
    return toJson(*this).dump();
}

Fields::Fields(std::initializer_list<Item> items)
{
    for (const auto &item : items)
        set(item.first, item.second);
}

const Value *Fields::find(std::string_view name) const
{
    for (const auto &item : m_items) {
        if (item.first == name)
            return &item.second;
    }
    return nullptr;
}

const Value &Fields::get(std::string_view name) const
{
    static const Value null;
    const Value *v = find(name);
    return v ? *v : null;
}

void Fields::set(std::string name, Value value)
{
    for (auto &item : m_items) {
        if (item.first == name) {
            item.second = std::move(value);
            return;
        }
    }
    m_items.emplace_back(std::move(name), std::move(value));
}

bool Fields::erase(std::string_view name)
{
    for (auto it = m_items.begin(); it != m_items.end(); ++it) {
        if (it->first == name) {
            m_items.erase(it);
            return true;
        }
    }
    return false;
}

} // namespace prism
