#pragma once

// A ticket to one run's live event stream, for clients that cannot send an
// Authorization header: a browser's EventSource. A team member's client asks
// for one with its token (POST /v1/runs/{id}/events/ticket) and opens
// /v1/runs/{id}/events?ticket=...; the ticket opens that run's events only,
// until it expires, and the team's token never appears in a URL (where proxy
// logs would keep it). It is signed with a secret the API servers of a
// database share, so any of them accepts it, also after a restart.
#include <string>

namespace prism {

// "<expires_at>.<hmac>": expiresAt in seconds since the epoch.
std::string makeStreamTicket(const std::string &secret, const std::string &runId, const std::string &team,
                             long long expiresAt);

// True when the ticket was made with secret for this run and team, and
// expires after `now`.
bool streamTicketValid(const std::string &secret, const std::string &ticket, const std::string &runId,
                       const std::string &team, long long now);

} // namespace prism
