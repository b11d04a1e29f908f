// SimLm behind the loopback server: with faults and retries, every answer is
// the in-process SimLm's, for DSPy-rendered prompts of the samples.
#include "core/json.h"
#include "lm/openai_client.h"
#include "sim/sim_server.h"
#include "sim/simlm.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include <filesystem>

using namespace prism;

namespace {

std::vector<std::vector<ChatMessage>> renderedPrompts()
{
    std::vector<std::vector<ChatMessage>> prompts;
    const std::filesystem::path dir = std::filesystem::path(PRISM_TEST_DATA_DIR) / "dspy-renderings";
    std::vector<std::filesystem::path> files;
    for (const auto &entry : std::filesystem::directory_iterator(dir))
        if (entry.path().filename().string().find("Adapter.json") != std::string::npos)
            files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto &file : files) {
        auto json = readJsonFile(file.string());
        if (!json.ok() || !json->contains("messages"))
            continue;
        std::vector<ChatMessage> messages;
        for (const auto &m : (*json)["messages"])
            messages.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
        prompts.push_back(std::move(messages));
    }
    return prompts;
}

} // namespace

TEST(SimServerSimLm, SameAnswersAsInProcessDespiteFaults)
{
    const auto prompts = renderedPrompts();
    ASSERT_GE(prompts.size(), 4u);

    SimServerOptions options;
    options.seed = 5;
    // All kinds but the stall (which would cost a client timeout per hit here).
    options.faultRates = {{SimFault::RateLimit, 0.1},  {SimFault::Error500, 0.1},   {SimFault::Error503, 0.05},
                          {SimFault::Truncated, 0.05}, {SimFault::Malformed, 0.05}, {SimFault::Empty, 0.05}};
    SimServer server(
        [](const std::string &model) -> std::shared_ptr<Lm> {
            return SimLm::isKnownModel(model) ? std::make_shared<SimLm>(model) : nullptr;
        },
        SimLm::modelNames(), options);
    ASSERT_TRUE(server.start().ok());

    int faultsSeen = 0;
    for (const std::string model : {"sim-small", "sim-large"}) {
        ModelConfig config;
        config.provider = Provider::OpenAi;
        config.model = model;
        config.baseUrl = server.baseUrl();
        config.timeoutSeconds = 5;
        OpenAiClient client(config);
        SimLm local(model);
        for (const auto &messages : prompts) {
            for (std::uint64_t rollout : {0u, 3u}) {
                ChatRequest req;
                req.messages = messages;
                req.temperature = rollout ? 0.7 : 0.0;
                req.rollout = rollout;
                auto expected = local.complete(req);
                Result<ChatResponse> got = Error::make(ErrorKind::Internal, "not called");
                for (int attempt = 0; attempt < 40; ++attempt) {
                    got = client.complete(req);
                    if (got.ok() || !isRetryable(got.error()))
                        break;
                    ++faultsSeen;
                }
                if (!expected.ok()) {
                    ASSERT_FALSE(got.ok());
                    EXPECT_EQ(got.error().kind, ErrorKind::InvalidRequest);
                    continue;
                }
                ASSERT_TRUE(got.ok()) << got.error().describe();
                EXPECT_EQ(got->choices, expected->choices) << model;
                EXPECT_EQ(got->usage.promptTokens, expected->usage.promptTokens);
                EXPECT_EQ(got->usage.completionTokens, expected->usage.completionTokens);
            }
        }
    }
    EXPECT_GT(faultsSeen, 0);
}
