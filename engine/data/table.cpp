#include "core/json.h"
#include "core/text.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "data/textutil.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace prism {

namespace {

namespace fs = std::filesystem;

Error parseError(const std::string &source, int line, int column, const std::string &what)
{
    std::string where = source + ":" + std::to_string(line);
    if (column > 0)
        where += ":" + std::to_string(column);
    return Error::make(ErrorKind::Parse, where + ": " + what);
}

std::string withArticle(const Json &j)
{
    switch (j.type()) {
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::null: return "null";
    default: return "a number";
    }
}

// Parses one JSON document; `lineOffset` shifts reported lines when `text`
// is one line of a bigger file.
Result<Json> parseJsonAt(std::string_view text, const std::string &source, int lineOffset)
{
    try {
        return Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error &e) {
        int line = 1, column = 1;
        lineColumnAt(text, e.byte > 0 ? e.byte - 1 : 0, line, column);
        std::string what = e.what();
        const auto pos = what.find("syntax error");
        if (pos != std::string::npos)
            what = what.substr(pos);
        return parseError(source, line + lineOffset, column, "invalid JSON: " + what);
    } catch (const Json::exception &) {
        // A number too large for a double (out_of_range): nlohmann gives no position.
        int line = 1, column = 1;
        if (const auto at = outOfRangeNumberAt(text))
            lineColumnAt(text, *at, line, column);
        return parseError(source, line + lineOffset, column, "invalid JSON: a number too large to represent");
    }
}

Error exampleTooLarge(const std::string &source, int line, std::uint64_t bytes, std::uint64_t limit)
{
    return Error::make(ErrorKind::Data, source + ":" + std::to_string(line) + ": this example is "
                                            + std::to_string(bytes) + " bytes, over the limit of "
                                            + describeBytes(limit)
                                            + " per example; raise data.max_example_bytes in the study to load it");
}

// The rows of a JSON array or a CSV file against the limit, once parsed.
Result<RawTable> withinExampleLimit(RawTable table, const std::string &source, std::uint64_t maxExampleBytes)
{
    for (std::size_t k = 0; k < table.rowBytes.size() && k < table.lineNumbers.size(); ++k)
        if (table.rowBytes[k] > maxExampleBytes)
            return exampleTooLarge(source, table.lineNumbers[k], table.rowBytes[k], maxExampleBytes);
    return table;
}

void addRow(RawTable &table, const Json &object, int line)
{
    Fields row;
    for (auto it = object.begin(); it != object.end(); ++it) {
        row.set(it.key(), valueFromJson(it.value()));
        if (std::find(table.columns.begin(), table.columns.end(), it.key()) == table.columns.end())
            table.columns.push_back(it.key());
    }
    table.rows.push_back(std::move(row));
    table.lineNumbers.push_back(line);
}

// Where each top-level element of a valid JSON array starts and ends (byte
// offsets, end exclusive: the element's own text, without the comma).
struct Span {
    std::size_t start = 0;
    std::size_t end = 0;
};

std::vector<Span> arrayElementSpans(std::string_view text)
{
    std::vector<Span> spans;
    std::size_t i = text.find('[');
    if (i == std::string_view::npos)
        return spans;
    int depth = 1;
    bool expect = true, open = false;
    std::size_t lastEnd = 0; // just past the last character that is not white space
    auto close = [&] {
        if (open)
            spans.back().end = lastEnd;
        open = false;
    };
    for (++i; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
            continue;
        if (depth == 1 && c == ',') {
            close();
            expect = true;
            continue;
        }
        if (c == ']' || c == '}') {
            if (--depth == 0)
                break;
            lastEnd = i + 1;
            continue;
        }
        if (depth == 1 && expect) {
            spans.push_back(Span{i, i});
            open = true;
            expect = false;
        }
        if (c == '"')
            i = std::min(jsonStringEnd(text, i), text.size() - 1);
        lastEnd = i + 1;
        if (c == '[' || c == '{')
            ++depth;
    }
    close();
    return spans;
}

Result<RawTable> parseJsonArray(std::string_view text, const std::string &source)
{
    auto parsed = parseJsonAt(text, source, 0);
    if (!parsed) {
        Error e = parsed.error();
        const std::string head = trimmed(text.substr(0, 64));
        if (!head.empty() && head.front() == '{')
            e.message += " (is this JSON Lines, one object per line? name the file .jsonl or set its format to jsonl)";
        return e;
    }
    const Json &doc = parsed.value();
    if (!doc.is_array()) {
        int line = 1, column = 1;
        lineColumnAt(text, text.find_first_not_of(" \t\r\n"), line, column);
        return parseError(source, line, 0,
                          "expected a JSON array of objects at the top level, got " + withArticle(doc));
    }
    const auto spans = arrayElementSpans(text);
    RawTable table;
    int line = 1;
    std::size_t scanned = 0; // starts are increasing: count newlines once, not per element
    for (std::size_t k = 0; k < doc.size(); ++k) {
        if (k < spans.size()) {
            for (; scanned < spans[k].start; ++scanned)
                line += text[scanned] == '\n' ? 1 : 0;
        }
        if (!doc[k].is_object())
            return parseError(source, line, 0,
                              "element " + std::to_string(k + 1) + " of the array is " + withArticle(doc[k])
                                  + ", expected an object");
        addRow(table, doc[k], line);
        table.rowBytes.push_back(k < spans.size() ? spans[k].end - spans[k].start : 0);
    }
    return table;
}

Result<RawTable> parseJsonLines(std::string_view text, const std::string &source, std::uint64_t maxExampleBytes)
{
    RawTable table;
    int lineNo = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view line = text.substr(pos, end - pos);
        ++lineNo;
        pos = end + 1;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (trimmed(line).empty())
            continue;
        // Checked before parsing: a 50 MB line is refused without building it.
        if (line.size() > maxExampleBytes)
            return exampleTooLarge(source, lineNo, line.size(), maxExampleBytes);
        auto parsed = parseJsonAt(line, source, lineNo - 1);
        if (!parsed)
            return parsed.error();
        if (!parsed->is_object())
            return parseError(source, lineNo, 0, "expected a JSON object, got " + withArticle(parsed.value()));
        addRow(table, parsed.value(), lineNo);
        table.rowBytes.push_back(line.size());
    }
    return table;
}

Result<RawTable> parseCsvTable(std::string_view text, const std::string &source)
{
    auto csv = parseCsv(text, source);
    if (!csv)
        return csv.error();
    RawTable table;
    table.columns = csv->header;
    table.lineNumbers = csv->lineNumbers;
    table.rowBytes = csv->rowBytes;
    for (const auto &cells : csv->rows) {
        Fields row;
        for (std::size_t k = 0; k < cells.size(); ++k)
            row.set(table.columns[k], Value(cells[k]));
        table.rows.push_back(std::move(row));
    }
    return table;
}

std::string formatFromPath(const std::string &path)
{
    const std::string ext = toLowerAscii(fs::path(path).extension().string());
    if (ext == ".json")
        return "json";
    if (ext == ".jsonl" || ext == ".ndjson")
        return "jsonl";
    if (ext == ".csv")
        return "csv";
    return {};
}

} // namespace

Result<RawTable> parseTable(const std::string &text, const std::string &format, const std::string &sourceName,
                            std::uint64_t maxExampleBytes)
{
    std::string_view body = text;
    if (body.substr(0, 3) == "\xEF\xBB\xBF")
        body.remove_prefix(3);

    const std::size_t bad = findInvalidUtf8(body);
    if (bad != std::string_view::npos) {
        int line = 1, column = 1;
        lineColumnAt(body, bad, line, column);
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(static_cast<unsigned char>(body[bad])));
        return parseError(sourceName, line, column,
                          std::string("invalid UTF-8 (byte ") + hex + "); save the file as UTF-8");
    }
    if (trimmed(body).empty())
        return parseError(sourceName, 1, 0, "the file is empty");

    std::string fmt = toLowerAscii(format);
    if (fmt == "ndjson")
        fmt = "jsonl";
    if (fmt == "jsonl")
        return parseJsonLines(body, sourceName, maxExampleBytes);
    if (fmt != "json" && fmt != "csv")
        return Error::make(ErrorKind::Config,
                           sourceName + ": unknown data format '" + format + "' (expected json, jsonl or csv)");
    auto table = fmt == "json" ? parseJsonArray(body, sourceName) : parseCsvTable(body, sourceName);
    if (!table)
        return table;
    return withinExampleLimit(std::move(table.value()), sourceName, maxExampleBytes);
}

Result<RawTable> loadTable(const std::string &path, const std::string &format, const DataLimits &limits)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        return Error::make(ErrorKind::Io, path + ": file not found");
    if (fs::is_directory(path, ec))
        return Error::make(ErrorKind::Io, path + ": is a directory, expected a data file");
    std::string fmt = format;
    if (fmt.empty()) {
        fmt = formatFromPath(path);
        if (fmt.empty())
            return Error::make(ErrorKind::Config, path
                                                      + ": cannot tell the data format from the file name; use .json, "
                                                        ".jsonl, .ndjson or .csv, or set the format");
    }
    auto text = readInputFile(path, ReadLimit{limits.maxFileBytes, "a data file", "data.max_file_bytes in the study"});
    if (!text)
        return text.error();
    return parseTable(text.value(), fmt, path, limits.maxExampleBytes);
}

} // namespace prism
