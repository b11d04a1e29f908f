#pragma once

// The prompt a program sends, exported for use outside Prism.
#include "adapter/adapter.h"
#include "core/program.h"
#include "core/value.h"

#include <string>

namespace prism {

// A JSON array with one entry per predictor, in pipeline order:
// [{"predictor": "classify", "messages": [{"role": "system", "content": "..."}, ...]}, ...]
// Each stage is rendered with its demos and the example's inputs; a value an
// earlier stage would produce (or one the example lacks) is the placeholder
// text "{field}". Indented by 2, with a trailing newline.
std::string renderPromptMessagesJson(const Program &program, const Fields &exampleInputs, const Adapter &adapter);

// The same messages as plain text: "=== system ===\n...\n\n=== user ===\n..."
// per message; with several predictors each stage starts with
// "##### predictor: name #####". Ends with a newline.
std::string renderPromptText(const Program &program, const Fields &exampleInputs, const Adapter &adapter);

} // namespace prism
