#include "modelsetup/lm_setup.h"

#include "lm/anthropic_client.h"
#include "lm/context_limit.h"
#include "lm/http.h"
#include "lm/openai_client.h"
#include "modelsetup/factory.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace prism {

namespace {

std::string effectiveBaseUrl(const ModelConfig &config)
{
    switch (config.provider) {
    case Provider::OpenAi: return baseUrlOr(config.baseUrl, kOpenAiBaseUrl);
    case Provider::Anthropic: return baseUrlOr(config.baseUrl, kAnthropicBaseUrl);
    case Provider::SimLm: break;
    }
    return {};
}

Result<void> checkLimits(const ModelConfig &config, const std::string &where)
{
    if (config.maxConcurrency < 1)
        return Error::make(ErrorKind::Config,
                           where + ": max_concurrency must be >= 1, not " + std::to_string(config.maxConcurrency));
    if (!(config.requestsPerMinute >= 0.0) || !std::isfinite(config.requestsPerMinute))
        return Error::make(ErrorKind::Config, where + ": requests_per_minute must be >= 0 (0 = no limit), not "
                                                  + fmt::format("{}", config.requestsPerMinute));
    if (!(config.tokensPerMinute >= 0.0) || !std::isfinite(config.tokensPerMinute))
        return Error::make(ErrorKind::Config, where + ": tokens_per_minute must be >= 0 (0 = no limit), not "
                                                  + fmt::format("{}", config.tokensPerMinute));
    if (config.maxRetries < 0 || config.maxRetries > kMaxRetriesLimit)
        return Error::make(ErrorKind::Config, where + ": max_retries must be between 0 and "
                                                  + std::to_string(kMaxRetriesLimit) + ", not "
                                                  + std::to_string(config.maxRetries));
    if (!(config.retryBaseSeconds >= 0.0) || !(config.retryBaseSeconds <= kRetryBaseSecondsLimit))
        return Error::make(ErrorKind::Config, where + ": retry_base_seconds must be between 0 and "
                                                  + fmt::format("{}", kRetryBaseSecondsLimit) + ", not "
                                                  + fmt::format("{}", config.retryBaseSeconds));
    return {};
}

// In-flight HTTP calls abort when the services' cancel flag is set.
void connectCancel(Lm &lm, const std::atomic<bool> *cancel)
{
    if (auto *openai = dynamic_cast<OpenAiClient *>(&lm))
        openai->setCancelFlag(cancel);
    else if (auto *anthropic = dynamic_cast<AnthropicClient *>(&lm))
        anthropic->setCancelFlag(cancel);
}

// The scheduler's and the ledger's name of endpoint `index` of `entry`: the
// first keeps the model's own name; a replica on another key says which.
std::string endpointName(const ModelConfig &entry, const ModelConfig &endpoint, std::size_t index)
{
    std::string name = endpointKey(providerName(endpoint.provider), effectiveBaseUrl(endpoint));
    if (index > 0 && endpoint.apiKeyEnv != entry.apiKeyEnv)
        name += " (" + endpoint.apiKeyEnv + ")";
    return name;
}

Result<std::shared_ptr<ManagedLm>> makeManaged(const ModelConfig &config, const CallServices &services,
                                               const std::string &where)
{
    std::vector<LmRoute> routes;
    const auto endpoints = endpointConfigs(config);
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        const ModelConfig &endpoint = endpoints[i];
        const std::string at = i == 0 ? where : where + ".replicas[" + std::to_string(i - 1) + "]";
        auto limits = checkLimits(endpoint, at);
        if (!limits)
            return limits.error();
        auto raw = makeLm(endpoint);
        if (!raw)
            return Error::make(raw.error().kind, at + ": " + raw.error().message);
        connectCancel(*raw.value(), services.cancel.get());
        EndpointLimits scheduled;
        scheduled.maxConcurrency = endpoint.maxConcurrency;
        scheduled.requestsPerMinute = endpoint.requestsPerMinute;
        scheduled.tokensPerMinute = endpoint.tokensPerMinute;
        routes.push_back(LmRoute{raw.value(), endpointName(config, endpoint, i), scheduled});
    }
    CallServices withRetry = services; // the retry policy is the model's own
    withRetry.retry.maxRetries = config.maxRetries;
    withRetry.retry.baseSeconds = config.retryBaseSeconds;
    auto managed = std::make_shared<ManagedLm>(std::move(routes), std::move(withRetry), lmIdentity(config));
    managed->setPromptLimit(effectiveMaxPromptTokens(config), where + ".max_prompt_tokens");
    return managed;
}

bool modelListed(const std::vector<std::string> &ids, const std::string &model)
{
    for (const auto &id : ids) {
        // Ollama lists "llama3:latest" and answers to "llama3".
        if (id == model || id == model + ":latest")
            return true;
    }
    return false;
}

std::string listPreview(const std::vector<std::string> &ids)
{
    constexpr std::size_t kShown = 8;
    std::string out;
    for (std::size_t i = 0; i < ids.size() && i < kShown; ++i)
        out += (i ? ", " : "") + ids[i];
    if (ids.size() > kShown)
        out += ", ... (" + std::to_string(ids.size()) + " in all)";
    return out;
}

// Kinds that mean no call can succeed; anything else is left to the calls.
bool blocksEveryCall(ErrorKind kind)
{
    return kind == ErrorKind::Auth || kind == ErrorKind::Transport || kind == ErrorKind::Timeout
           || kind == ErrorKind::Config;
}

Result<std::vector<std::string>> listAnthropicModels(const ModelConfig &config, const std::atomic<bool> *cancel)
{
    const std::string url = effectiveBaseUrl(config) + "/models";
    std::string keyEnv = config.apiKeyEnv;
    if (keyEnv.empty() && config.baseUrl.empty())
        keyEnv = "ANTHROPIC_API_KEY";
    auto key = readApiKey(keyEnv);
    if (!key)
        return key.error();
    std::vector<std::pair<std::string, std::string>> auth{{"anthropic-version", "2023-06-01"}};
    if (!key->empty())
        auth.emplace_back("x-api-key", *key);
    auto sent = httpSend(providerRequest("GET", url, config, cancel, auth));
    if (!sent)
        return sent.error(); // transport messages name the URL only
    ProviderContext ctx{Provider::Anthropic, config.model, displayUrl(url), keyEnv, config.maxTokens};
    // classifyHttpError never quotes the server's text for a rejected key.
    return parseModelList(sent->status, sent->body, sent->headers, ctx);
}

} // namespace

LmIdentity lmIdentity(const ModelConfig &config)
{
    return LmIdentity{providerName(config.provider), effectiveBaseUrl(config), config.model};
}

ModelConfig applyOverrides(const ModelConfig &base, const ModelOverrides &overrides)
{
    ModelConfig out = base;
    if (overrides.provider) {
        out.provider = *overrides.provider;
        if (*overrides.provider != base.provider && overrides.baseUrl.empty()) {
            // Another provider's URL and key variable do not carry over.
            out.baseUrl.clear();
            if (overrides.apiKeyEnv.empty())
                out.apiKeyEnv.clear();
        }
    } else if (!overrides.baseUrl.empty() && !isHttpProvider(base.provider)) {
        out.provider = Provider::OpenAi;
    }
    if (!overrides.baseUrl.empty())
        out.baseUrl = overrides.baseUrl;
    if (!overrides.model.empty())
        out.model = overrides.model;
    if (!overrides.apiKeyEnv.empty())
        out.apiKeyEnv = overrides.apiKeyEnv;
    if (overrides.maxConcurrency > 0)
        out.maxConcurrency = overrides.maxConcurrency;
    if (overrides.timeoutSeconds > 0)
        out.timeoutSeconds = overrides.timeoutSeconds;
    if (overrides.maxPromptTokens)
        out.maxPromptTokens = overrides.maxPromptTokens;
    // Replicas serve the study's endpoint; another endpoint or provider replaces them all.
    if (!overrides.baseUrl.empty() || out.provider != base.provider)
        out.replicas.clear();
    if (out.provider == Provider::SimLm) {
        // In-process: no endpoint, no key.
        out.baseUrl.clear();
        out.apiKeyEnv.clear();
        out.replicas.clear();
    }
    return out;
}

Result<ModelSet> setupModels(const Study &study, const ModelOverrides &overrides, const LmSetupOptions &options)
{
    ModelSet set;
    set.taskConfig = applyOverrides(study.taskModel, overrides);
    set.proposerConfig = study.proposerModel == study.taskModel ? set.taskConfig : study.proposerModel;
    set.reflectionConfig = study.reflectionModel == study.proposerModel ? set.proposerConfig : study.reflectionModel;
    set.judgeConfig = study.judgeModel == study.proposerModel ? set.proposerConfig : study.judgeModel;

    // A model's concurrency is that of all its endpoints together.
    auto total = [](const ModelConfig &config) {
        int sum = 0;
        for (const auto &endpoint : endpointConfigs(config))
            sum += std::max(0, endpoint.maxConcurrency);
        return sum;
    };
    const int global = std::max({options.globalConcurrency, total(set.taskConfig), total(set.proposerConfig),
                                 total(set.reflectionConfig), total(set.judgeConfig), 1});
    auto services = CallServices::makeDefault(options.openCache, options.budget, global);
    if (!services)
        return services.error();
    set.services = std::move(services).value();
    if (options.scheduler)
        set.services.scheduler = options.scheduler;
    // --no-cache: do not read, but store the fresh answers for the next run.
    set.services.cacheBypass = !options.useCache;

    auto task = makeManaged(set.taskConfig, set.services, "models.task");
    if (!task)
        return task.error();
    set.task = task.value();
    if (set.proposerConfig == set.taskConfig) {
        set.proposer = set.task;
    } else {
        auto proposer = makeManaged(set.proposerConfig, set.services, "models.proposer");
        if (!proposer)
            return proposer.error();
        set.proposer = proposer.value();
    }
    // A role on a model entry another role already has shares its ManagedLm.
    auto shared = [&set](const ModelConfig &config, const char *where) -> Result<std::shared_ptr<ManagedLm>> {
        if (config == set.proposerConfig)
            return set.proposer;
        if (config == set.taskConfig)
            return set.task;
        if (set.reflection && config == set.reflectionConfig)
            return set.reflection;
        return makeManaged(config, set.services, where);
    };
    auto reflection = shared(set.reflectionConfig, "models.reflection");
    if (!reflection)
        return reflection.error();
    set.reflection = reflection.value();
    auto judge = shared(set.judgeConfig, "models.judge");
    if (!judge)
        return judge.error();
    set.judge = judge.value();
    spdlog::debug("task model {}, proposer {}{}", set.task->describe(),
                  set.proposer == set.task ? std::string("the same") : set.proposer->describe(),
                  set.services.cache ? ", cache " + set.services.cache->path() : std::string(", no cache"));
    return set;
}

namespace {

// checkConnection for one endpoint.
Result<void> checkEndpointConnection(const ModelConfig &config, const std::atomic<bool> *cancel)
{
    if (!isHttpProvider(config.provider)) {
        auto lm = makeLm(config);
        if (!lm)
            return lm.error();
        return {};
    }
    auto lm = makeLm(config);
    if (!lm)
        return lm.error();

    Result<std::vector<std::string>> models = Error::make(ErrorKind::Internal, "no model list");
    if (config.provider == Provider::OpenAi) {
        OpenAiClient client(config);
        client.setCancelFlag(cancel);
        models = client.listModels();
    } else {
        models = listAnthropicModels(config, cancel);
    }
    if (!models) {
        const Error &e = models.error();
        if (blocksEveryCall(e.kind) || e.kind == ErrorKind::Cancelled)
            return e;
        spdlog::debug("connection check of {} passed without a model list: {}", lm.value()->describe(), e.describe());
        return {};
    }
    // Anthropic lists dated ids, not the aliases its API also accepts.
    if (config.provider == Provider::OpenAi && !models->empty() && !modelListed(*models, config.model)) {
        Error e = Error::make(ErrorKind::InvalidRequest,
                              "model '" + config.model + "' not found at " + displayUrl(effectiveBaseUrl(config))
                                  + " (it serves: " + listPreview(*models) + "): check the model name");
        e.httpStatus = 404;
        return e;
    }
    spdlog::debug("connection check of {}: ok ({} models listed)", lm.value()->describe(), models->size());
    return {};
}

} // namespace

Result<void> checkConnection(const ModelConfig &config, const std::atomic<bool> *cancel,
                             std::vector<std::string> *problems)
{
    const auto endpoints = endpointConfigs(config);
    if (endpoints.size() == 1)
        return checkEndpointConnection(config, cancel);
    std::optional<Error> firstFailure;
    std::vector<std::string> failed;
    for (const auto &endpoint : endpoints) {
        auto checked = checkEndpointConnection(endpoint, cancel);
        if (checked)
            continue;
        if (checked.error().kind == ErrorKind::Cancelled)
            return checked.error();
        // Which endpoint: a missing key's message does not say.
        std::string where = displayUrl(effectiveBaseUrl(endpoint));
        if (endpoint.apiKeyEnv != config.apiKeyEnv)
            where += " (" + endpoint.apiKeyEnv + ")";
        failed.push_back(where + ": " + checked.error().message);
        if (!firstFailure)
            firstFailure = checked.error();
    }
    if (failed.size() == endpoints.size()) {
        Error e = *firstFailure;
        e.message = "none of the model's " + std::to_string(endpoints.size())
                    + " endpoints can be used: " + failed.front()
                    + (failed.size() > 1 ? " (and " + std::to_string(failed.size() - 1) + " more)" : "");
        return e;
    }
    // The others take the calls; the scheduler keeps trying this one too.
    for (const auto &problem : failed)
        spdlog::warn("{} of {} endpoints answer; {}", endpoints.size() - failed.size(), endpoints.size(), problem);
    if (problems)
        *problems = std::move(failed);
    return {};
}

} // namespace prism
