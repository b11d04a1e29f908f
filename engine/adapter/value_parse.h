#pragma once

// Tolerant conversion of LM answers into typed values, shared by the Chat and
// JSON adapters. Internal to engine/adapter; see docs/ADAPTERS.md.
#include "core/json.h"
#include "core/result.h"
#include "core/signature.h"
#include "core/value.h"

#include <optional>
#include <string>
#include <string_view>

namespace prism::valueparse {

// JSON, plus Python literal syntax: 'single quotes', True/False/None, tuples,
// trailing commas, raw newlines inside strings. The whole text must be one value.
std::optional<Json> parseLiteral(std::string_view text);

// The first JSON object in free text: the whole text, a ``` fenced block, or
// the first balanced {...} that parses.
std::optional<Json> findObject(std::string_view text);

// Converts the text of one answer section (already stripped) to the type.
// Errors are Parse errors that say what was wrong but not which field.
Result<Value> fromText(const Type &type, const std::string &text);
// Converts one value of a JSON answer to the type.
Result<Value> fromJson(const Type &type, const Json &json);

// A short one-line rendering of text for error messages.
std::string excerpt(std::string_view text, std::size_t maxChars = 160);

} // namespace prism::valueparse
