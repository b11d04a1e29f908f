#include "optimize/search/sampler.h"

namespace prism {

const char *searchTrialStateName(SearchTrialState state)
{
    switch (state) {
    case SearchTrialState::Pending: return "pending";
    case SearchTrialState::Complete: return "complete";
    case SearchTrialState::Failed: return "failed";
    }
    return "unknown";
}

Sampler::~Sampler() = default;

} // namespace prism
