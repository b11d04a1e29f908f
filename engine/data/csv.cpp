#include "data/csv.h"

#include "core/text.h"
#include "data/textutil.h"

#include <map>

namespace prism {

namespace {

Error csvError(const std::string &source, int line, int column, const std::string &what)
{
    std::string where = source + ":" + std::to_string(line);
    if (column > 0)
        where += ":" + std::to_string(column);
    return Error::make(ErrorKind::Parse, where + ": " + what);
}

// The first record becomes the header (names trimmed, unique); every other
// record must have as many cells.
Result<CsvTable> splitHeader(CsvTable records, const std::string &sourceName)
{
    if (records.rows.empty())
        return csvError(sourceName, 1, 0, "the file is empty (a CSV file needs a header row naming the columns)");

    CsvTable table;
    std::map<std::string, std::size_t> seen;
    for (std::size_t k = 0; k < records.rows.front().size(); ++k) {
        std::string name = trimmed(records.rows.front()[k]);
        auto [it, inserted] = seen.emplace(name, k);
        if (!inserted)
            return csvError(sourceName, records.lineNumbers.front(), 0,
                            "duplicate column name " + quotedForError(name) + " in the header (columns "
                                + std::to_string(it->second + 1) + " and " + std::to_string(k + 1) + ")");
        table.header.push_back(std::move(name));
    }
    for (std::size_t r = 1; r < records.rows.size(); ++r) {
        if (records.rows[r].size() != table.header.size())
            return csvError(sourceName, records.lineNumbers[r], 0,
                            std::to_string(records.rows[r].size()) + (records.rows[r].size() == 1 ? " cell" : " cells")
                                + ", but the header has " + std::to_string(table.header.size())
                                + (table.header.size() == 1 ? " column" : " columns"));
        table.rows.push_back(std::move(records.rows[r]));
        table.lineNumbers.push_back(records.lineNumbers[r]);
        table.rowBytes.push_back(records.rowBytes[r]);
    }
    return table;
}

} // namespace

Result<CsvTable> parseCsv(std::string_view text, const std::string &sourceName)
{
    if (text.substr(0, 3) == "\xEF\xBB\xBF")
        text.remove_prefix(3);

    CsvTable records; // every record, the header among them
    std::vector<std::string> record;
    std::string cell;
    bool cellQuoted = false;   // the current cell started with a quote
    bool recordQuoted = false; // some cell of the current record was quoted
    bool inQuotes = false;
    int line = 1, recordLine = 1;
    std::size_t lineStart = 0;
    int openLine = 0, openColumn = 0;
    const std::size_t n = text.size();
    std::size_t i = 0;
    std::size_t recordStart = 0; // byte offset of the current record

    auto endCell = [&] {
        record.push_back(std::move(cell));
        cell.clear();
        cellQuoted = false;
    };
    auto endRecord = [&] {
        endCell();
        // A line with nothing on it is not a record (trailing newline, blank separators).
        const bool blank = record.size() == 1 && record.front().empty() && !recordQuoted;
        if (!blank) {
            records.rows.push_back(std::move(record));
            records.lineNumbers.push_back(recordLine);
            records.rowBytes.push_back(i - recordStart);
        }
        record.clear();
        recordQuoted = false;
    };
    auto newLine = [&](std::size_t next) {
        ++line;
        lineStart = next;
    };

    while (i < n) {
        const char c = text[i];
        if (inQuotes) {
            if (c == '"') {
                if (i + 1 < n && text[i + 1] == '"') {
                    cell += '"';
                    i += 2;
                    continue;
                }
                inQuotes = false;
                ++i;
                if (i < n && text[i] != ',' && text[i] != '\n'
                    && !(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n'))
                    return csvError(
                        sourceName, line, columnAt(text, lineStart, i),
                        "unexpected character after a closing quote (write a quote inside a quoted field as \"\")");
                continue;
            }
            if (c == '\r' && i + 1 < n && text[i + 1] == '\n') {
                // CRLF inside a cell becomes LF, so the same data saved on Windows hashes the same.
                cell += '\n';
                i += 2;
                newLine(i);
                continue;
            }
            cell += c;
            ++i;
            if (c == '\n')
                newLine(i);
            continue;
        }
        if (c == ',') {
            endCell();
            ++i;
        } else if (c == '"' && cell.empty() && !cellQuoted) {
            inQuotes = true;
            cellQuoted = recordQuoted = true;
            openLine = line;
            openColumn = columnAt(text, lineStart, i);
            ++i;
        } else if (c == '\n' || (c == '\r' && i + 1 < n && text[i + 1] == '\n')) {
            endRecord();
            i += c == '\n' ? 1 : 2;
            newLine(i);
            recordLine = line;
            recordStart = i;
        } else {
            cell += c;
            ++i;
        }
    }
    if (inQuotes)
        return csvError(sourceName, openLine, openColumn,
                        "unterminated quoted field (opened at line " + std::to_string(openLine) + ")");
    endRecord();

    return splitHeader(std::move(records), sourceName);
}

} // namespace prism
