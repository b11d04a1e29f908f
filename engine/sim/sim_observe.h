#pragma once

// SimLm's dataset-descriptor skills (docs/SIMLM.md, "Proposer skills"):
// `observations` of a batch of examples, merged with the observations so far
// (counts add up per label and word; the example count and the label
// distribution cover every batch seen), and their `summary`.

#include "sim/sim_prompt.h"

#include <string>

namespace prism::sim {

// Needs an `examples` input; `prior_observations` when DSPy sends a further batch.
std::string observations(const Prompt &prompt);
// Needs an `observations` input.
std::string summary(const Prompt &prompt);

} // namespace prism::sim
