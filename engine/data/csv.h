#pragma once

#include "core/result.h"

#include <string>
#include <string_view>
#include <vector>

namespace prism {

// A CSV file split into cells. The first record is the header.
struct CsvTable {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::vector<int> lineNumbers;      // 1-based line where each row starts
    std::vector<std::size_t> rowBytes; // each row's size in the file, line end excluded
};

// RFC 4180: comma separated, quoted fields with "" for a quote, newlines
// inside quotes, CRLF or LF line ends, an optional UTF-8 BOM. Blank lines are
// skipped; header names are trimmed and must be unique; every row must have as
// many cells as the header. Errors read "source:line[:column]: what".
Result<CsvTable> parseCsv(std::string_view text, const std::string &sourceName);

} // namespace prism
