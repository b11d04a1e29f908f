#pragma once

// The one JSON codec of run events. The wire format is that of the run
// store's events table (type + payload text) and of the JSONL event log (one
// object a line: seq, type, elapsed, then the payload's keys). Encoding is
// byte-exact with what earlier versions wrote, so stored runs, exported logs
// and their readers keep working; decoding names the event's seq and the key
// when a payload does not fit its type.
#include "core/result.h"
#include "events/events.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace prism {

// The payload as the JSON object written on the wire (keys in wire order).
nlohmann::ordered_json payloadToJson(const EventPayload &payload);
// The payload object's text, as stored in the events table.
std::string encodePayload(const EventPayload &payload);

// Reads a payload of the given type. seq only names the event in errors
// ("event 12 (trial_finished): key \"score\" must be a number or null").
Result<EventPayload> payloadFromJson(EventType type, const nlohmann::ordered_json &object, std::uint64_t seq);
Result<EventPayload> decodePayload(EventType type, const std::string &text, std::uint64_t seq);

// {"seq":..,"type":"trial_finished","elapsed":..,...payload}
std::string toJsonLine(const RunEvent &event);
// One line of a JSONL event log back to an event.
Result<RunEvent> runEventFromJsonLine(const std::string &line);

// Parts of payloads as the wire writes them, for the store's derived tables
// and reports that show them as JSON.
// A demo list (the demo_set_ready "demos" array).
std::string demosToJsonText(const std::vector<Demo> &demos);
// A trial config ({"<predictor>": {"instruction": i, "demos": j}}).
std::string configToJsonText(const std::vector<ConfigChoice> &config);
// Reads configToJsonText's text back; seq names the event in errors.
Result<std::vector<ConfigChoice>> configFromJsonText(const std::string &text, std::uint64_t seq);
// run_finished's "calls_by_role" and "tokens_by_role" objects.
nlohmann::ordered_json callsByRoleToJson(const std::map<std::string, RoleCallTotals> &calls);
nlohmann::ordered_json tokensByRoleToJson(const std::map<std::string, RoleTokenTotals> &tokens);

} // namespace prism
