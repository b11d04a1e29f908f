#include "modelsetup/factory.h"

#include "lm/anthropic_client.h"
#include "lm/openai_client.h"
#include "sim/simlm.h"

namespace prism {

namespace {

Result<void> checkHttpConfig(const ModelConfig &config)
{
    if (config.model.empty())
        return Error::make(ErrorKind::Config,
                           std::string("provider '") + providerName(config.provider) + "' needs a model name");
    if (!config.baseUrl.empty() && config.baseUrl.rfind("http://", 0) != 0 && config.baseUrl.rfind("https://", 0) != 0)
        return Error::make(ErrorKind::Config, "base URL '" + config.baseUrl + "' must start with http:// or https://");
    if (config.timeoutSeconds < 0)
        return Error::make(ErrorKind::Config, "timeout_seconds must be >= 0 (0 = none)");
    return {};
}

} // namespace

Result<std::shared_ptr<Lm>> makeLm(const ModelConfig &config)
{
    if (config.provider == Provider::SimLm) {
        if (!SimLm::isKnownModel(config.model)) {
            std::string names;
            for (const auto &name : SimLm::modelNames())
                names += (names.empty() ? "" : ", ") + name;
            return Error::make(ErrorKind::Config, "unknown SimLm model '" + config.model + "' (known: " + names + ")");
        }
        return std::shared_ptr<Lm>(std::make_shared<SimLm>(config.model));
    }
    auto ok = checkHttpConfig(config);
    if (!ok)
        return ok.error();
    if (config.provider == Provider::OpenAi)
        return std::shared_ptr<Lm>(std::make_shared<OpenAiClient>(config));
    return std::shared_ptr<Lm>(std::make_shared<AnthropicClient>(config));
}

} // namespace prism
