#include "server/api_client.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace prism {

namespace {

std::string transportProblem(httplib::Error error)
{
    switch (error) {
    case httplib::Error::Connection: return "cannot connect (is the server running, and is the address right?)";
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLServerVerification:
        return "the TLS connection failed (the proxy's certificate, or http:// for an https:// server)";
    case httplib::Error::Read:
    case httplib::Error::Write: return "the connection broke before the server answered";
    default: return "no answer (" + httplib::to_string(error) + ")";
    }
}

} // namespace

ApiClient::ApiClient(std::string baseUrl, std::string token) : m_baseUrl(std::move(baseUrl)), m_token(std::move(token))
{}

ApiClient::~ApiClient() = default;

Result<std::shared_ptr<ApiClient>> ApiClient::connect(const std::string &baseUrl, const std::string &token)
{
    std::string url = baseUrl;
    while (!url.empty() && url.back() == '/')
        url.pop_back();
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
        return Error::make(ErrorKind::Config,
                           "the server address must start with http:// or https://, got \"" + baseUrl + "\"");
    if (url.find('/', url.find("//") + 2) != std::string::npos)
        return Error::make(ErrorKind::Config,
                           "the server address is a host and port only (no path): \"" + baseUrl + "\"");
    if (token.empty())
        return Error::make(ErrorKind::Config, "a team token is needed to connect (prism serve token add)");
    std::shared_ptr<ApiClient> client(new ApiClient(url, token));
    client->m_http = std::make_unique<httplib::Client>(url);
    if (!client->m_http->is_valid())
        return Error::make(ErrorKind::Config, "\"" + url + "\" is not a server address this build can reach");
    client->m_http->set_connection_timeout(10, 0);
    client->m_http->set_read_timeout(60, 0);
    client->m_http->set_keep_alive(true);
    // Proxies are for the internet; a team server is reached directly.
    return client;
}

Result<std::string> ApiClient::request(const std::string &method, const std::string &path, const std::string &body,
                                       const char *accept)
{
    std::lock_guard lock(m_mutex);
    httplib::Headers headers = {{"Authorization", "Bearer " + m_token}, {"Accept", accept}};
    auto res = method == "POST" ? m_http->Post(path.c_str(), headers, body, "application/json")
                                : m_http->Get(path.c_str(), headers);
    if (!res)
        return Error::make(ErrorKind::Transport, m_baseUrl + ": " + transportProblem(res.error()));
    if (res->status >= 200 && res->status < 300)
        return res->body;
    const Json error = Json::parse(res->body, nullptr, false);
    const std::string message = error.is_object() && error.contains("message") && error["message"].is_string()
                                    ? error["message"].get<std::string>()
                                    : "HTTP " + std::to_string(res->status);
    const std::string where = m_baseUrl + ": ";
    if (res->status == 401)
        return Error::make(ErrorKind::Auth, where + message);
    if (res->status == 404 || res->status == 409)
        return Error::make(ErrorKind::Data, where + message);
    if (res->status < 500)
        return Error::make(ErrorKind::Config, where + message);
    return Error::make(ErrorKind::Server, where + message);
}

Result<Json> ApiClient::getJson(const std::string &path)
{
    auto body = request("GET", path, "", "application/json");
    if (!body)
        return body.error();
    Json parsed = Json::parse(body.value(), nullptr, false);
    if (parsed.is_discarded())
        return Error::make(ErrorKind::Parse, m_baseUrl + path + ": the answer is not JSON");
    return parsed;
}

Result<Json> ApiClient::postJson(const std::string &path, const std::string &body)
{
    auto answer = request("POST", path, body, "application/json");
    if (!answer)
        return answer.error();
    Json parsed = Json::parse(answer.value(), nullptr, false);
    if (parsed.is_discarded())
        return Error::make(ErrorKind::Parse, m_baseUrl + path + ": the answer is not JSON");
    return parsed;
}

Result<std::string> ApiClient::getText(const std::string &path)
{
    return request("GET", path, "", "*/*");
}

} // namespace prism
