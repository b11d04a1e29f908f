#pragma once

// JSON round-trips of the core types. Only json_fwd.hpp here: the full
// nlohmann header is heavy, include it in .cpp files that need it.
#include "core/example.h"
#include "core/input_file.h" // readInputFile, for the callers that parse what they read
#include "core/outfile.h"    // writeFileAtomic, for the callers that write what they serialize here
#include "core/program.h"
#include "core/result.h"
#include "core/signature.h"
#include "core/value.h"

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace prism {

using Json = nlohmann::ordered_json;

Json toJson(const Value &value);
Value valueFromJson(const Json &json);

Json toJson(const Fields &fields);
Result<Fields> fieldsFromJson(const Json &json);

// {"type":"enum","values":[...]} / {"type":"list","items":{...}} / "str" / "enum[a,b]".
Json toJson(const Type &type);
Result<Type> typeFromJson(const Json &json);

Json toJson(const Field &field);
Result<Field> fieldFromJson(const Json &json);

Json toJson(const Signature &signature);
Result<Signature> signatureFromJson(const Json &json);

Json toJson(const Demo &demo);
Result<Demo> demoFromJson(const Json &json);

Json toJson(const Example &example);
Result<Example> exampleFromJson(const Json &json);

Json toJson(const Predictor &predictor);
Result<Predictor> predictorFromJson(const Json &json);

Json toJson(const Program &program);
Result<Program> programFromJson(const Json &json);

// Whole-file helpers. writeFileAtomic (core/outfile.h) writes every output;
// readInputFile (core/input_file.h) reads every input, within a byte limit.
// Parses text as JSON; the error names the source, line and column.
Result<Json> parseJson(const std::string &text, const std::string &sourceName);
// The byte offset of the first number literal outside strings that does not
// fit a double (1e400): nlohmann reports those without a position.
std::optional<std::size_t> outOfRangeNumberAt(std::string_view text);

// The index of the quote that closes the JSON string opening at `quote`
// (backslash escapes skipped); text.size() when it is never closed. The
// scanners that look into JSON-like text without parsing it step over strings
// with it.
std::size_t jsonStringEnd(std::string_view text, std::size_t quote);
// readInputFile with the document limit, then parseJson.
Result<Json> readJsonFile(const std::string &path);

} // namespace prism
