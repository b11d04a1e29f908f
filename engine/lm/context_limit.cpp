#include "lm/context_limit.h"

#include "core/text.h"

namespace prism {

namespace {

bool startsWith(const std::string &text, const char *prefix)
{
    return text.rfind(prefix, 0) == 0;
}

int openAiFamily(const std::string &name)
{
    if (startsWith(name, "gpt-4.1"))
        return 1'047'576;
    if (startsWith(name, "gpt-5"))
        return 400'000;
    if (startsWith(name, "gpt-4o") || startsWith(name, "gpt-4-turbo") || startsWith(name, "gpt-4-1106")
        || startsWith(name, "gpt-4-0125") || startsWith(name, "chatgpt-4o"))
        return 128'000;
    if (startsWith(name, "gpt-4-32k"))
        return 32'768;
    if (startsWith(name, "gpt-4"))
        return 8'192; // the first gpt-4 (gpt-4-0613, gpt-4-0314)
    if (startsWith(name, "gpt-3.5-turbo-instruct"))
        return 4'096;
    if (startsWith(name, "gpt-3.5"))
        return 16'385;
    if (startsWith(name, "o1-mini") || startsWith(name, "o1-preview"))
        return 128'000;
    if (name.size() >= 2 && name[0] == 'o' && name[1] >= '1' && name[1] <= '9')
        return 200'000; // o1, o3, o3-mini, o4-mini
    return 0;
}

} // namespace

int defaultMaxPromptTokens(Provider provider, const std::string &model)
{
    std::string name = toLowerAscii(model);
    if (const auto slash = name.rfind('/'); slash != std::string::npos)
        name = name.substr(slash + 1);
    // SimLm has no real window. 32768 tokens (a small local model's) is far
    // above its largest prompt in any sample run (a proposer prompt with the
    // dataset summary and program code, a few thousand tokens), so no sample
    // changes, and low enough that a runaway example is refused as it would
    // be by a real model. The same name served over HTTP gets the same limit.
    if (provider == Provider::SimLm || startsWith(name, "sim-"))
        return kSimMaxPromptTokens;
    if (startsWith(name, "claude"))
        return 200'000;
    if (const int known = openAiFamily(name))
        return known;
    return kUnknownModelMaxPromptTokens;
}

int effectiveMaxPromptTokens(const ModelConfig &config)
{
    return config.maxPromptTokens ? *config.maxPromptTokens : defaultMaxPromptTokens(config.provider, config.model);
}

} // namespace prism
