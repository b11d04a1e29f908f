#pragma once

// The one reader of a program file, for every command and page that takes one
// (prism eval --program, prism compare --program / --baseline, prism export's
// prompt, the studio's Compare and Export pages): each accepts exactly the
// files the others accept, and refuses the others with the same message.
#include "artifact/artifact.h"
#include "core/program.h"
#include "core/result.h"

#include <string>

namespace prism {

// Reads either program format and checks it against the study's program:
//  - Prism's program JSON, {"predictors": [...]} (what a study's "program"
//    holds): its predictors must be the study's, in the same order, with the
//    same names and the same fields (by name and type); its instructions,
//    descriptions, kinds and demos are its own;
//  - a DSPy saved program or a Prism artifact (what optimize --out, export
//    --out and the studio's program export write), read by loadDspyProgram.
// Demo values are checked by the one rule of core/demo_value.h in both.
// Errors name the source and what is wrong: line and column of malformed
// JSON, the key path and line of a bad predictor, the predictor and field
// that differ from the study's. `info` is set for an artifact's prism block;
// `warnings` lists what was ignored.
Result<LoadedArtifact> loadProgramText(const std::string &text, const std::string &sourceName,
                                       const Program &studyProgram);
Result<LoadedArtifact> loadProgramFile(const std::string &path, const Program &studyProgram);

} // namespace prism
