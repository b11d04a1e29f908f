#pragma once

// A team server's runs copied into a local run store, so the studio's pages
// read them exactly as they read local runs (the same store queries, the same
// fold of the same events). Each sync asks the server for its runs and, for
// each run that is new or still going, its new events (appended as the run
// store appends any event, deriving trials, candidates...), its new ledger rows
// and, once there is one, its artifact. A run that ended and was copied whole
// is not asked about again.
#include "core/result.h"
#include "events/events.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace prism {

class ApiClient;
class RunStore;

class RunMirror {
public:
    RunMirror(std::shared_ptr<ApiClient> client, std::shared_ptr<RunStore> mirror);

    // What one sync brought for a run.
    struct Change {
        std::string runId;
        bool added = false;           // not in the mirror before
        std::vector<RunEvent> events; // new events, in order
        bool ended = false;           // the run ended and the mirror has all of it
    };
    // One pass over the team's runs; only runs that changed are returned.
    Result<std::vector<Change>> sync();
    // The same for one run (the one the studio watches), without listing.
    Result<Change> syncRun(const std::string &runId);

private:
    struct Known {
        std::string status;
        bool complete = false;
    };
    std::shared_ptr<ApiClient> m_client;
    std::shared_ptr<RunStore> m_mirror;
    std::map<std::string, Known> m_known;
};

} // namespace prism
