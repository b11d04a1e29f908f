#pragma once

// A client of a team server's REST API (docs/openapi.yaml): what the studio's
// File > Connect to Server talks through. Errors say what the server said.
#include "core/json.h"
#include "core/result.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace httplib {
class Client;
}

namespace prism {

class ApiClient {
public:
    // baseUrl: "http://host:port" or "https://host[:port]" (TLS through a
    // reverse proxy); the token of a team (`prism serve token add`).
    static Result<std::shared_ptr<ApiClient>> connect(const std::string &baseUrl, const std::string &token);
    ~ApiClient();
    ApiClient(const ApiClient &) = delete;
    ApiClient &operator=(const ApiClient &) = delete;

    const std::string &baseUrl() const { return m_baseUrl; }
    // GET or POST with a JSON answer. A 401 is an Auth error, a 404 or 409 a
    // Data error, another 4xx a Config error, 5xx a Server error, no answer a
    // Transport error; each with the server's message.
    Result<Json> getJson(const std::string &path);
    Result<Json> postJson(const std::string &path, const std::string &body);
    // GET of a text body (an artifact).
    Result<std::string> getText(const std::string &path);

private:
    ApiClient(std::string baseUrl, std::string token);
    Result<std::string> request(const std::string &method, const std::string &path, const std::string &body,
                                const char *accept);

    std::string m_baseUrl;
    std::string m_token;
    std::unique_ptr<httplib::Client> m_http;
    std::mutex m_mutex;
};

} // namespace prism
