#include "optimize/presets.h"
#include "run/run_controller.h"

namespace prism {

// The run's default factory: the one in optimize/presets.h, so a run and
// `prism optimize --dry-run` accept the same optimizers and knobs.
Result<std::unique_ptr<Optimizer>> makeOptimizer(const OptimizerConfig &config)
{
    return createOptimizer(config);
}

} // namespace prism
