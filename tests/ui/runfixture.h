#pragma once

// A small real run for the Compare, History and Export tests (header only):
// the math sample optimized on SimLm through RunController into a store.
#include "core/study.h"
#include "run/run_controller.h"
#include "run/run_store.h"

#include <QString>

#include <memory>
#include <string>

namespace uitest {

inline prism::Result<prism::Study> mathStudy()
{
    return prism::loadStudy(std::string(PRISM_SAMPLES_DIR) + "/math/math.prism.json");
}

// MIPROv2 in manual mode with a few trials (fast, and it changes the
// instruction), or another optimizer by name. Fixed seed, no cache: the same
// run every time. Returns the run id, or "" with *error.
inline std::string runTinyOptimization(const std::shared_ptr<prism::RunStore> &store, const std::string &optimizer,
                                       QString *error)
{
    auto study = mathStudy();
    if (!study) {
        *error = QString::fromStdString(study.error().message);
        return {};
    }
    study->optimizer.name = optimizer;
    study->optimizer.seed = 0;
    if (optimizer == "miprov2") {
        study->optimizer.autoMode = "";
        study->optimizer.numTrials = 6;
        study->optimizer.numCandidates = 3;
    }
    prism::RunSettings settings;
    settings.studyPath = std::string(PRISM_SAMPLES_DIR) + "/math/math.prism.json";
    settings.threads = 4;
    settings.lm.useCache = false;
    prism::RunController controller(store);
    auto id = controller.start(study.value(), settings);
    if (!id) {
        *error = QString::fromStdString(id.error().message);
        return {};
    }
    const prism::RunOutcome outcome = controller.wait();
    if (outcome.status != prism::RunStatus::Finished) {
        *error = QString::fromStdString(std::string("run ended ") + prism::runStatusName(outcome.status) + ": "
                                        + outcome.stopReason.text());
        return {};
    }
    return id.value();
}

} // namespace uitest
