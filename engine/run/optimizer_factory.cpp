#include "optimize/bootstrap_fewshot.h"
#include "optimize/labeled_fewshot.h"
#include "optimize/miprov2.h"
#include "run/run_controller.h"

namespace prism {

Result<std::unique_ptr<Optimizer>> makeOptimizer(const OptimizerConfig &config)
{
    if (config.name == "miprov2")
        return std::unique_ptr<Optimizer>(std::make_unique<MiproV2>(config));
    if (config.name == "bootstrap")
        return std::unique_ptr<Optimizer>(std::make_unique<BootstrapFewShot>(config));
    if (config.name == "labeled")
        return std::unique_ptr<Optimizer>(std::make_unique<LabeledFewShot>(config));
    return Error::make(ErrorKind::Config, "unknown optimizer '" + config.name + "' (miprov2, bootstrap or labeled)");
}

} // namespace prism
