#pragma once

// GEPA's Pareto frontier over candidates x validation examples: the one copy
// the optimizer draws parents from and the Monitor marks its grid with.
#include <cstddef>
#include <optional>
#include <set>
#include <vector>

namespace prism {

// Rows are candidates, columns validation examples; a score is in [0, 1],
// empty when the example errored or was not scored.
using CandidateScores = std::vector<std::vector<std::optional<double>>>;

// For each of the first `examples` columns, the candidates with its best
// score (ties included); empty when no candidate scored the example.
std::vector<std::set<std::size_t>> paretoFronts(const CandidateScores &scores, std::size_t examples);

// Lowest overall score first (stable on ties), a candidate is dominated when
// every front it is in holds another candidate not yet dropped; a candidate
// in no front is dominated too. overall[c] is candidate c's aggregate score.
std::set<std::size_t> dominatedCandidates(const std::vector<std::set<std::size_t>> &fronts,
                                          const std::vector<double> &overall);

} // namespace prism
