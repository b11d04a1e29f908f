#pragma once

#include "core/example.h"
#include "core/program.h"
#include "core/result.h"
#include "core/study.h"

#include <string>
#include <vector>

namespace prism {

// Rows as read from a file, before mapping to fields. Values keep their JSON
// type (CSV cells are strings).
struct RawTable {
    std::vector<std::string> columns; // union of keys / the CSV header, in first-seen order
    std::vector<Fields> rows;
    std::vector<int> lineNumbers;      // 1-based line where each row starts
    std::vector<std::size_t> rowBytes; // each row's size in the file (checked against data.max_example_bytes)
};

// Reads a JSON array of objects, JSONL (one object per line) or CSV (RFC 4180:
// quotes, embedded newlines, CRLF, UTF-8 BOM). format "" = from the extension.
// Errors name the file, the line (and column where it applies) and what was
// expected; on error nothing is returned. The file is read within
// limits.maxFileBytes, and a row (a JSONL line, a CSV record, an element of a
// JSON array) over limits.maxExampleBytes is an error naming its line.
Result<RawTable> loadTable(const std::string &path, const std::string &format = {}, const DataLimits &limits = {});
Result<RawTable> parseTable(const std::string &text, const std::string &format, const std::string &sourceName,
                            std::uint64_t maxExampleBytes = kDefaultMaxExampleBytes);

// Maps columns to the program's fields (source.columns: field -> column,
// identity otherwise) and converts each value to its field's type. Inputs are
// the program's external inputs; every other field the program outputs is a
// label when present. List fields accept JSON arrays, or text split on
// source.listSeparator.
Result<std::vector<Example>> mapRows(const RawTable &table, const DatasetSource &source, const Program &program,
                                     const std::string &sourceName);
// The same, freeing each row once mapped: a large file is not held twice.
Result<std::vector<Example>> mapRows(RawTable &&table, const DatasetSource &source, const Program &program,
                                     const std::string &sourceName);

struct Dataset {
    std::vector<Example> examples;
    std::string hash; // content hash of the mapped examples (hex), stable across runs and machines
    std::string path;
};

std::string hashExamples(const std::vector<Example> &examples);

Result<Dataset> loadDataset(const DatasetSource &source, const std::string &resolvedPath, const Program &program,
                            const DataLimits &limits = {});

// The study's train / val / test splits. Explicit files win; otherwise
// val/test are carved out of train by the study's fractions with its seed.
struct StudyData {
    Dataset train;
    Dataset val;
    Dataset test;
};

Result<StudyData> loadStudyData(const Study &study);

// Deterministic seeded split into (rest, val, test) by fractions.
void splitByFraction(const std::vector<Example> &all, double valFraction, double testFraction, std::uint64_t seed,
                     std::vector<Example> &rest, std::vector<Example> &val, std::vector<Example> &test);

} // namespace prism
