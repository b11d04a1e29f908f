// A study's base_url comes from a shared file: whatever it says, Prism speaks
// HTTP(S) only. libcurl would otherwise read local files (file://) or talk
// dict, gopher, telnet or smb to any host.
#include "core/study.h"
#include "lm/http.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace prism;

namespace {

TEST(HttpProtocols, OnlyHttpAndHttpsAreSpoken)
{
    const std::filesystem::path secret =
        std::filesystem::temp_directory_path() / ("prism-secret-" + std::to_string(::getpid()) + ".txt");
    std::ofstream(secret) << "secret-marker\n";
    for (const std::string &url : {"file://" + secret.string(), std::string("dict://127.0.0.1:1/d:x"),
                                   std::string("gopher://127.0.0.1:1/x"), std::string("ftp://127.0.0.1:1/x"),
                                   std::string("telnet://127.0.0.1:1"), std::string("smb://127.0.0.1:1/x")}) {
        HttpRequest request;
        request.url = url;
        request.timeoutSeconds = 2;
        request.connectTimeoutSeconds = 1;
        auto response = httpSend(request);
        ASSERT_FALSE(response.ok()) << url << " was fetched";
        EXPECT_NE(response.error().message.find("not supported"), std::string::npos)
            << url << ": " << response.error().message;
    }
    std::filesystem::remove(secret);
}

// The study says so first, when it is loaded, naming the field.
TEST(HttpProtocols, AStudyWithANonHttpBaseUrlDoesNotLoad)
{
    const nlohmann::json study = nlohmann::json::parse(R"({
      "prism_study": 1, "name": "s",
      "data": {"train": {"path": "train.jsonl"}},
      "program": {"predictors": [{"name": "p", "signature": {"inputs": [{"name": "q", "type": "str"}],
                                                              "outputs": [{"name": "a", "type": "str"}]}}]},
      "metric": {"kind": "composite", "fields": [{"field": "a", "metric": "exact"}]},
      "models": {"task": {"provider": "openai", "model": "m", "base_url": "http://127.0.0.1:1/v1"}}})");
    ASSERT_TRUE(studyFromJsonText(study.dump(), "ok.prism.json").ok());

    for (const char *url :
         {"file:///etc/passwd", "FTP://host/x", "dict://host", "gopher://host", "/v1", "127.0.0.1:8000"}) {
        nlohmann::json bad = study;
        bad["models"]["task"]["base_url"] = url;
        auto loaded = studyFromJsonText(bad.dump(), "shared.prism.json");
        ASSERT_FALSE(loaded.ok()) << url;
        EXPECT_NE(loaded.error().message.find("models.task.base_url must be an http:// or https:// URL"),
                  std::string::npos)
            << loaded.error().message;
    }
    nlohmann::json spaced = study;
    spaced["models"]["task"]["base_url"] = "http://host/v1 -o /tmp/x";
    EXPECT_FALSE(studyFromJsonText(spaced.dump(), "shared.prism.json").ok());

    nlohmann::json key = study;
    key["models"]["task"]["api_key_env"] = "HOME; rm -rf ~";
    auto badKey = studyFromJsonText(key.dump(), "shared.prism.json");
    ASSERT_FALSE(badKey.ok());
    EXPECT_NE(badKey.error().message.find("api_key_env must be the name of an environment variable"), std::string::npos)
        << badKey.error().message;

    nlohmann::json header = study;
    header["models"]["task"]["extra_headers"] = {{"X-Note", "a\r\nAuthorization: Bearer stolen"}};
    auto badHeader = studyFromJsonText(header.dump(), "shared.prism.json");
    ASSERT_FALSE(badHeader.ok());
    EXPECT_NE(badHeader.error().message.find("contains a line break"), std::string::npos) << badHeader.error().message;
}

} // namespace
