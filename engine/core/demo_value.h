#pragma once

// The one reading of a demo's value against its field, for every place a demo
// comes from: a study's program, Prism's program JSON and a DSPy saved program
// (artifacts). One rule means a demo accepted in one format is accepted in all
// of them, with the same value and the same error.
#include "core/json.h"
#include "core/result.h"
#include "core/signature.h"
#include "core/value.h"

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <optional>
#include <string>

namespace prism {

// A JSON value in at most 60 characters, for error messages.
std::string shortJsonText(const Json &value);

// `value` as the field's type, or nullopt when it does not fit. Labeled demos
// hold dataset values and bootstrapped ones parsed outputs, and DSPy saves
// numbers and booleans as the model wrote them (text), so text that reads as
// the type is converted; an enum label must be one of the field's values, or
// it would reach prompts as an option the signature does not offer.
std::optional<Value> demoValueAs(const Json &value, const Type &type);

// demoValueAs, or an error that names the demo (1-based) and the field and,
// for an enum, lists the allowed values:
//   demo 2, field 'severity': "urgent" is not of type enum[low,medium,high] (allowed: low, medium, high)
// Callers prefix the file and the predictor.
Result<Value> readDemoValue(const Json &value, const Field &field, std::size_t demoNumber);

} // namespace prism
