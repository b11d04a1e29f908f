#pragma once

#include "data/dataset.h"
#include "data/stratify.h"

#include <string>
#include <vector>

namespace prism {

// A row of a file that does not fit the program's fields.
struct RowProblem {
    std::size_t row = 0; // index in the table
    int line = 0;        // 1-based line in the file, 0 when unknown
    std::string field;   // the field that did not fit
    std::string message; // as mapRows would report it: "file:line: field 'x': ..."
};

struct LenientRows {
    std::vector<Example> examples;
    std::vector<std::size_t> rowOf; // the table row of each example
    std::vector<RowProblem> problems;
};

// mapRows that skips the rows that do not fit instead of failing on the
// first, and says which they were and why. Errors only for a mapping that
// cannot apply to any row (a field the program does not have).
Result<LenientRows> mapRowsLenient(const RawTable &table, const DatasetSource &source, const Program &program,
                                   const std::string &sourceName);

// The split of each row from the values of `column` (see splitFromName); an
// error names the line of the first value that is not a split.
Result<std::vector<DataSplit>> splitsFromColumn(const RawTable &table, const std::string &column,
                                                const std::string &sourceName);

// The rows as JSON Lines, one object per example (field -> value), as the
// wizard and the studio write a split file; readable by loadDataset.
std::string examplesToJsonl(const std::vector<Example> &examples);

} // namespace prism
