#pragma once

#include "core/signature.h"
#include "data/dataset.h"
#include "data/stratify.h"

#include <optional>
#include <string>
#include <vector>

namespace prism {

enum class ColumnKind {
    Bool,
    Int,
    Float,
    Enum,
    List,
    String,
};

enum class ColumnRole {
    Input,
    Output,
    Ignore,
};

// What the values of one column of a loaded file look like, and what the
// column is probably for: a first guess the user edits, never a decision.
struct ColumnGuess {
    std::string column;
    ColumnKind kind = ColumnKind::String;
    // Enum: the values, most frequent first (ties in order of first appearance).
    // List: the items' values when they are few enough to be an enum, else empty.
    std::vector<std::string> values;
    std::string listSeparator; // List read from text cells ("a; b"); empty for JSON arrays
    std::size_t distinct = 0;  // distinct values among the cells that are not missing
    std::size_t missing = 0;   // absent, null or blank cells
    ColumnRole role = ColumnRole::Input;
    std::string why; // why the role, for a tooltip: "looks like a row id", "named like a label"

    // The field type this guess proposes: enum[values], list[enum[...]] or list[str], ...
    Type type() const;
};

// An enum has at most this many values; beyond it the column is text.
inline constexpr std::size_t kMaxGuessedEnumValues = 20;

ColumnGuess guessColumn(const RawTable &table, const std::string &column);

// Every column, in file order. When no column is named like a label, the
// last enum or bool column becomes the output; the split column (if any) is
// ignored.
std::vector<ColumnGuess> guessColumns(const RawTable &table);

// A column that says which split each row belongs to.
struct SplitColumn {
    std::string column;
    std::vector<DataSplit> splitOf;      // one per row
    std::array<std::size_t, 3> counts{}; // rows in train, val, test
};

// "train", "training" -> Train; "val", "valid", "validation", "dev" -> Val;
// "test", "testing", "eval", "holdout" -> Test (ignoring case and spaces).
std::optional<DataSplit> splitFromName(const std::string &value);

// A column named split, set, partition, fold or subset (ignoring case) whose
// every value maps to a split by splitFromName; none when no column does.
std::optional<SplitColumn> detectSplitColumn(const RawTable &table);

} // namespace prism
