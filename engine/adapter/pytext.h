#pragma once

// Python text semantics the DSPy wire format depends on (str.strip, splitlines,
// textwrap.dedent, float repr, json.dumps), plus the DSPy field renderings
// built on them. Internal to engine/adapter.
#include "core/json.h"
#include "core/signature.h"
#include "core/value.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prism::pytext {

// str.strip(): Python's whitespace set, including the Unicode spaces.
std::string strip(std::string_view text);
// str.splitlines() without keepends.
std::vector<std::string> splitLines(std::string_view text);
// textwrap.dedent().
std::string dedent(std::string_view text);
// repr(float): shortest round-trip digits, "1.0", "1e-05", "1e+16".
std::string floatRepr(double value);
// json.dumps(value, ensure_ascii=..., indent=...). indent < 0 is the compact
// form with ", " and ": " separators; otherwise "," and ": " with newlines.
std::string jsonDumps(const Json &value, bool ensureAscii, int indent = -1);
// str() of a value after pydantic's serialize_for_json: True/False, None,
// float repr; lists as json.dumps(ensure_ascii=False).
std::string str(const Value &value);
// Python's str() of a scalar (None, a string, True/False, an int, a float
// repr); nullopt for a list or an object, whose text each caller chooses.
std::optional<std::string> scalarStr(const Value &value);

// get_annotation_name(): str, Literal['a', "b'c"], list[int].
std::string annotationName(const Type &type);
// pydantic's JSON schema of the type, with "type" keys first as DSPy orders them.
Json jsonSchema(const Type &type);
// translate_field_type(): "{name}" plus the "# note: ..." for typed outputs.
std::string fieldPlaceholder(const Field &field, bool isInput);
// format_field_value(): how a value is written into a user or assistant turn.
std::string formatFieldValue(const Field &field, const Value &value);
// get_field_description_string(): the numbered field list of the system message.
std::string fieldDescriptions(const std::vector<Field> &fields);

std::string join(const std::vector<std::string> &parts, std::string_view separator);

} // namespace prism::pytext
