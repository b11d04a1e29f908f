#pragma once

// SimLm's reflection skill (docs/SIMLM.md, "Reflection skill"): a new
// instruction from the current one and examples with the assistant's outputs
// and feedback. Two request forms share one records reader: GEPA's default
// reflection prompt (one raw user message, answered inside a ``` block) and
// Prism's reflection signature (current_instruction, examples_with_feedback ->
// new_instruction) rendered by the ChatAdapter.

#include "lm/lm.h"
#include "sim/sim_task.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace prism::sim {

// One `# Example N` record: `## Inputs`, `## Generated Outputs` (as `### field`
// sections, or raw text when the answer could not be split) and `## Feedback`.
struct FeedbackRecord {
    Record inputs;
    Record outputs;
    std::string rawOutputs; // Generated Outputs text outside any `### field` section
    std::string feedback;
};

std::vector<FeedbackRecord> parseFeedbackRecords(std::string_view markdown);

// GEPA's reflection prompt as DSPy 3.3.1 sends it: the current instruction in
// the first ``` block after "I provided an assistant with the following
// instructions", the records in the next block.
struct ReflectionRequest {
    std::string instruction;
    std::string records; // the `# Example N` markdown
};
std::optional<ReflectionRequest> readGepaReflection(const std::vector<ChatMessage> &messages);

// Prism's reflection signature: an output `new_instruction` with a `current_instruction` input.
bool isReflectionField(const Prompt &prompt, const PromptField &field);
ReflectionRequest reflectionRequestOf(const Prompt &prompt);

// The new instruction: every sentence of the current one, then the edits the
// feedback supports, each kept with the model's seeded probability.
std::string reflect(const ReflectionRequest &request, const DrawContext &context);

} // namespace prism::sim
