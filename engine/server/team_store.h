#pragma once

// Who may use a team server's API (docs/SERVER.md "Tokens and teams"): bearer
// tokens, each belonging to one team, kept as SHA-256 hashes (the token text
// is shown once, when it is made), and the team each API run belongs to. Its
// tables live in the run store's PostgreSQL database.
#include "core/result.h"

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace prism {

class SqlDb;

struct ApiToken {
    std::string name;
    std::string team;
    std::string createdAt;
};

class TeamStore {
public:
    // Connects to a postgresql:// URL and creates or migrates its tables.
    static Result<std::unique_ptr<TeamStore>> open(const std::string &url);
    ~TeamStore();
    TeamStore(const TeamStore &) = delete;
    TeamStore &operator=(const TeamStore &) = delete;

    // A new token for team; returns its text ("prism_" + 64 hex digits), which
    // is not stored anywhere. A Config error when the name is taken.
    Result<std::string> addToken(const std::string &name, const std::string &team);
    Result<std::vector<ApiToken>> tokens();
    // False when there was no such token.
    Result<bool> revokeToken(const std::string &name);
    // The token's name and team; nothing for an unknown token.
    Result<std::optional<ApiToken>> authenticate(const std::string &token);

    // The secret event-stream tickets are signed with (server/stream_ticket.h),
    // made once per database.
    Result<std::string> streamSecret();

    Result<void> setRunTeam(const std::string &runId, const std::string &team);
    // Nothing for a run no API client created.
    Result<std::optional<std::string>> runTeam(const std::string &runId);
    Result<std::vector<std::string>> teamRuns(const std::string &team);

private:
    explicit TeamStore(std::unique_ptr<SqlDb> db);
    std::unique_ptr<SqlDb> m_db;
    std::mutex m_mutex;
};

// A token, team or run name a person types: 1-64 letters, digits, '.', '-', '_'.
Result<void> checkTeamName(const std::string &what, const std::string &name);

} // namespace prism
