#include "server/stream_ticket.h"

#include "core/hash.h"

namespace prism {

namespace {

std::string signature(const std::string &secret, const std::string &runId, const std::string &team,
                      const std::string &expiresAt)
{
    return hmacSha256Hex(secret, "prism-run-events|" + runId + "|" + team + "|" + expiresAt);
}

// Compares in time that does not depend on where the texts differ.
bool sameText(const std::string &a, const std::string &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

} // namespace

std::string makeStreamTicket(const std::string &secret, const std::string &runId, const std::string &team,
                             long long expiresAt)
{
    const std::string expiry = std::to_string(expiresAt);
    return expiry + "." + signature(secret, runId, team, expiry);
}

bool streamTicketValid(const std::string &secret, const std::string &ticket, const std::string &runId,
                       const std::string &team, long long now)
{
    const auto dot = ticket.find('.');
    if (dot == std::string::npos || dot == 0 || dot > 12)
        return false;
    const std::string expiry = ticket.substr(0, dot);
    if (expiry.find_first_not_of("0123456789") != std::string::npos)
        return false;
    if (std::stoll(expiry) <= now)
        return false;
    return sameText(ticket.substr(dot + 1), signature(secret, runId, team, expiry));
}

} // namespace prism
