#pragma once

#include "core/study.h"
#include "lm/lm.h"

#include <memory>

namespace prism {

// Builds the Lm for a model entry of a study.
Result<std::shared_ptr<Lm>> makeLm(const ModelConfig &config);

} // namespace prism
