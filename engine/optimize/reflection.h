#pragma once

// GEPA's reflection step (docs/GEPA.md): Prism's own reflection signature,
// rendered by the study's adapter like any predictor, the records it reads
// (inputs, outputs and feedback of one predictor on a minibatch) and how its
// answer becomes an instruction.
#include "core/signature.h"
#include "events/events.h"

#include <string>
#include <string_view>
#include <vector>

namespace prism {

// Inputs current_instruction and examples_with_feedback, output new_instruction.
Signature reflectionSignature();

// The records as GEPA lays them out, so a model that knows GEPA's prompt reads
// them the same way: "# Example N", "## Inputs", "### field", value,
// "## Generated Outputs", ..., "## Feedback", text.
std::string renderReflectionRecords(const std::vector<ReflectionRecord> &records);

// The new instruction in an answer: the text between the first and the last
// ``` fence when there is one (a language tag on the opening line dropped;
// an unclosed block loses its opening fence), else the whole answer; stripped.
std::string instructionFromAnswer(std::string_view answer);

// The feedback a record shows when the metric gave none (DSPy's default text).
std::string defaultFeedback(std::optional<double> score);

} // namespace prism
