#include "data/import.h"

#include "data/schema_guess.h"
#include "data/textutil.h"

#include "core/json.h"

#include <nlohmann/json.hpp>

namespace prism {

Result<std::vector<DataSplit>> splitsFromColumn(const RawTable &table, const std::string &column,
                                                const std::string &sourceName)
{
    std::vector<DataSplit> splits;
    splits.reserve(table.rows.size());
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
        const Value *v = table.rows[r].find(column);
        const std::string text = v && !v->isNull() && !v->isList() ? (v->isString() ? v->asString() : v->toText()) : "";
        const auto split = splitFromName(text);
        if (!split) {
            const int line = r < table.lineNumbers.size() ? table.lineNumbers[r] : 0;
            const std::string where =
                line > 0 ? sourceName + ":" + std::to_string(line) : sourceName + ": row " + std::to_string(r + 1);
            return Error::make(ErrorKind::Data, where + ": column '" + column + "' is " + quotedForError(text)
                                                    + ", not a split (train, val, dev, validation or test)");
        }
        splits.push_back(*split);
    }
    return splits;
}

std::string examplesToJsonl(const std::vector<Example> &examples)
{
    std::string out;
    for (const auto &example : examples) {
        out += toJson(example.values).dump(-1, ' ', false, Json::error_handler_t::replace);
        out += '\n';
    }
    return out;
}

} // namespace prism
