#pragma once

// SimLm's proposer skills (docs/SIMLM.md): observations, summary,
// program_description, module_description and proposed_instruction, read
// from DSPy's grounded-proposer requests or Prism's (same field names).

#include "sim/sim_task.h"

#include <string>

namespace prism::sim {

// Is `field` an output SimLm answers with a proposer skill in this prompt?
// observations needs an `examples` input, summary an `observations` input,
// program_description a `program_code` input, module_description a `module`
// input; proposed_instruction is always one.
bool isProposerField(const Prompt &prompt, const PromptField &field);

std::string propose(const Prompt &prompt, const PromptField &field, const DrawContext &context);

} // namespace prism::sim
