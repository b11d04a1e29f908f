#include "lm/factory.h"

#include "lm/simlm.h"

namespace prism {

Result<std::shared_ptr<Lm>> makeLm(const ModelConfig &config)
{
    if (config.provider == "simlm") {
        if (!SimLm::isKnownModel(config.model)) {
            std::string names;
            for (const auto &name : SimLm::modelNames())
                names += (names.empty() ? "" : ", ") + name;
            return Error::make(ErrorKind::Config, "unknown SimLm model '" + config.model + "' (known: " + names + ")");
        }
        return std::shared_ptr<Lm>(std::make_shared<SimLm>(config.model));
    }
    if (config.provider == "openai" || config.provider == "anthropic")
        return Error::make(ErrorKind::Config,
                           "provider '" + config.provider + "' needs the HTTP client (issue #3), not built yet");
    return Error::make(ErrorKind::Config, "unknown provider '" + config.provider + "' (known: simlm, openai, anthropic)");
}

} // namespace prism
