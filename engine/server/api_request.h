#pragma once

// The JSON bodies a team server's API accepts (docs/openapi.yaml), read as
// strictly as the CLI reads its files: every error names the key and what is
// wrong, and unknown keys are warnings the response carries.
#include "core/result.h"
#include "run/run_controller.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace prism {

// POST /v1/runs
//   {"study": {...a .prism.json study...},
//    "files": {"train.jsonl": "...text...", ...},      (optional)
//    "settings": {"optimizer": "miprov2", "auto": "light", "seed": 0, "threads": 4,
//                 "compare_on_test": true, "use_cache": true,
//                 "budget": {"calls": 500, "tokens": 0, "dollars": 1.5, "seconds": 600}}}  (optional)
struct CreateRunRequest {
    std::string studyText; // the study object as JSON text, for studyFromJsonText
    std::map<std::string, std::string> files;
    RunSettings settings;
    std::vector<std::string> warnings;
};

// A Parse error for a body that is not the JSON object described above, a
// Data error for a bad file list, a Config error for a bad setting.
Result<CreateRunRequest> parseCreateRunRequest(std::string_view body);

// POST /v1/runs/{id}/compares
//   {"split": "test",               (train, val or test; default test)
//    "baseline": "baseline",        (default: the run's study program)
//    "candidate": "optimized"}      (default: the run's artifact)
// A program is "baseline" (the run's study program), "optimized" (the run's
// artifact), {"run": "r-..."} (another run's artifact) or {"program": {...}}
// (a Prism program or a DSPy saved program, inline).
struct ProgramSpec {
    enum class Kind { Baseline, Optimized, Run, Inline };
    Kind kind = Kind::Baseline;
    std::string runId;       // Run
    std::string programText; // Inline: the program object as JSON text
    std::string specText;    // what the client sent, as JSON text (shown back)
};

struct CreateCompareRequest {
    std::string split = "test";
    ProgramSpec baseline;
    ProgramSpec candidate;
    std::vector<std::string> warnings;
};

// A Parse error for a body that is not JSON, a Config error naming the key
// of anything else that is wrong. An empty body is every default.
Result<CreateCompareRequest> parseCreateCompareRequest(std::string_view body);

} // namespace prism

namespace prism {

struct Study;

// What an uploaded study may touch on the machines that run it: its data
// paths must be files uploaded with it (no path on the server's disk is read),
// and every model endpoint must be a provider's own URL or start with one of
// `allowedEndpoints` (the server's --allow-endpoint): the workers' keys go
// only where the team said. A Config error names the path or the URL.
Result<void> checkUploadedStudy(const Study &study, const std::map<std::string, std::string> &files,
                                const std::vector<std::string> &allowedEndpoints);

// The POST /v1/runs body for a study on this machine: the study, its data
// files read from disk (a relative path is kept; any other becomes
// "data/<split>.<ext>" in the uploaded study), and the settings the server
// reads back. An Io error names a data file that cannot be read.
Result<std::string> createRunRequestBody(const Study &study, const RunSettings &settings);

} // namespace prism
