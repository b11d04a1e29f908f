#include "data/dataset.h"

#include "core/hash.h"
#include "core/json.h"
#include "core/text.h"
#include "data/import.h"
#include "data/textutil.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <optional>

namespace prism {

namespace {

// ---- value conversion ------------------------------------------------------

std::string scalarText(const Value &v)
{
    return v.isString() ? v.asString() : v.toText();
}

std::string describeValue(const Value &v)
{
    if (v.isList())
        return "a list";
    if (v.isString())
        return quotedForError(v.asString());
    return v.toText();
}

bool parseInt(std::string_view t, std::int64_t &out)
{
    if (!t.empty() && t.front() == '+')
        t.remove_prefix(1);
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    return !t.empty() && ec == std::errc() && ptr == t.data() + t.size();
}

bool parseDouble(std::string_view t, double &out)
{
    if (!t.empty() && t.front() == '+')
        t.remove_prefix(1);
    const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    return !t.empty() && ec == std::errc() && ptr == t.data() + t.size() && std::isfinite(out);
}

bool integralDouble(double d, std::int64_t &out)
{
    // 2^63 is exactly representable; anything at or beyond it does not fit.
    if (!std::isfinite(d) || std::trunc(d) != d || d >= 9223372036854775808.0 || d < -9223372036854775808.0)
        return false;
    out = static_cast<std::int64_t>(d);
    return true;
}

std::string joined(const std::vector<std::string> &items, const char *sep)
{
    std::string out;
    for (const auto &item : items) {
        if (!out.empty())
            out += sep;
        out += item;
    }
    return out;
}

bool convertValue(const Value &raw, const Type &type, const std::string &separator, Value &out, std::string &why);

bool convertList(const Value &raw, const Type &type, const std::string &separator, Value &out, std::string &why)
{
    Value::List items;
    if (raw.isList()) {
        items = raw.asList();
    } else if (raw.isString()) {
        const std::string text = trimmed(raw.asString());
        bool fromJson = false;
        if (!text.empty() && text.front() == '[') {
            // "[\"a\", \"b\"]" in a CSV cell; text like "[note] a; b" falls back to splitting.
            try {
                const Json j = Json::parse(text);
                if (j.is_array()) {
                    for (const auto &item : j)
                        items.push_back(valueFromJson(item));
                    fromJson = true;
                }
            } catch (const Json::exception &) {}
        }
        if (!fromJson && !text.empty()) {
            std::size_t pos = 0;
            while (pos <= text.size()) {
                std::size_t end = separator.empty() ? std::string::npos : text.find(separator, pos);
                if (end == std::string::npos)
                    end = text.size();
                std::string item = trimmed(std::string_view(text).substr(pos, end - pos));
                if (!item.empty())
                    items.emplace_back(std::move(item));
                pos = end + std::max<std::size_t>(separator.size(), 1);
            }
        }
    } else {
        items.push_back(raw);
    }
    Value::List converted;
    for (std::size_t k = 0; k < items.size(); ++k) {
        Value item;
        if (items[k].isNull()) {
            why = "item " + std::to_string(k + 1) + " of the list is null";
            return false;
        }
        if (!convertValue(items[k], type.element(), separator, item, why)) {
            why = "item " + std::to_string(k + 1) + " of the list: " + why;
            return false;
        }
        converted.push_back(std::move(item));
    }
    out = Value(std::move(converted));
    return true;
}

bool convertValue(const Value &raw, const Type &type, const std::string &separator, Value &out, std::string &why)
{
    switch (type.kind()) {
    case TypeKind::String:
        if (raw.isList()) {
            why = "expected text, got a list";
            return false;
        }
        out = Value(scalarText(raw));
        return true;
    case TypeKind::Int: {
        std::int64_t i = 0;
        double d = 0;
        bool ok = false;
        if (raw.isInt()) {
            i = raw.asInt();
            ok = true;
        } else if (raw.isFloat()) {
            ok = integralDouble(raw.asNumber(), i);
        } else if (raw.isString()) {
            const std::string t = trimmed(raw.asString());
            ok = parseInt(t, i) || (parseDouble(t, d) && integralDouble(d, i));
        }
        if (!ok) {
            why = "expected an integer, got " + describeValue(raw);
            return false;
        }
        out = Value(i);
        return true;
    }
    case TypeKind::Float: {
        double d = 0;
        bool ok = false;
        if (raw.isNumber()) {
            d = raw.asNumber();
            ok = true;
        } else if (raw.isString()) {
            ok = parseDouble(trimmed(raw.asString()), d);
        }
        if (!ok) {
            why = "expected a number, got " + describeValue(raw);
            return false;
        }
        out = Value(d);
        return true;
    }
    case TypeKind::Bool: {
        if (raw.isBool()) {
            out = raw;
            return true;
        }
        if (raw.isNumber() && (raw.asNumber() == 0.0 || raw.asNumber() == 1.0)) {
            out = Value(raw.asNumber() == 1.0);
            return true;
        }
        if (raw.isString()) {
            const std::string t = toLowerAscii(trimmed(raw.asString()));
            if (t == "true" || t == "yes" || t == "1") {
                out = Value(true);
                return true;
            }
            if (t == "false" || t == "no" || t == "0") {
                out = Value(false);
                return true;
            }
        }
        why = "expected true or false (or yes/no, 1/0), got " + describeValue(raw);
        return false;
    }
    case TypeKind::Enum: {
        if (!raw.isList()) {
            const std::string t = toLowerAscii(trimmed(scalarText(raw)));
            for (const auto &allowed : type.enumValues()) {
                if (toLowerAscii(allowed) == t) {
                    out = Value(allowed); // the canonical spelling
                    return true;
                }
            }
        }
        why = describeValue(raw) + " is not one of " + joined(type.enumValues(), ", ");
        return false;
    }
    case TypeKind::List: return convertList(raw, type, separator, out, why);
    }
    why = "unknown field type";
    return false;
}

// ---- mapping -----------------------------------------------------------------

enum class Role { Input, Label, Optional };

struct Slot {
    std::string field;
    std::string column;
    Type type;
    Role role = Role::Input;
};

Result<std::vector<Slot>> buildSlots(const DatasetSource &source, const Program &program, const std::string &sourceName)
{
    if (program.predictors.empty())
        return Error::make(ErrorKind::Config, sourceName + ": the program has no predictors, so no fields to read");
    std::vector<Slot> slots;
    auto findSlot = [&](const std::string &name) {
        return std::find_if(slots.begin(), slots.end(), [&](const Slot &s) { return s.field == name; });
    };
    for (const auto &name : program.externalInputs()) {
        Slot slot;
        slot.field = name;
        for (const auto &p : program.predictors) {
            if (const Field *f = p.signature.findInput(name)) {
                slot.type = f->type;
                break;
            }
        }
        slots.push_back(std::move(slot));
    }
    for (std::size_t k = 0; k < program.predictors.size(); ++k) {
        const bool last = k + 1 == program.predictors.size();
        for (const auto &f : program.predictors[k].signature.outputs) {
            auto it = findSlot(f.name);
            if (it != slots.end()) {
                if (last && it->role == Role::Optional)
                    it->role = Role::Label;
                continue;
            }
            Slot slot;
            slot.field = f.name;
            slot.type = f.type;
            slot.role = last ? Role::Label : Role::Optional;
            slots.push_back(std::move(slot));
        }
    }
    std::vector<std::string> names;
    for (auto &slot : slots) {
        names.push_back(slot.field);
        const auto mapped = source.columns.find(slot.field);
        slot.column = mapped != source.columns.end() ? mapped->second : slot.field;
    }
    for (const auto &[field, column] : source.columns) {
        if (findSlot(field) == slots.end())
            return Error::make(ErrorKind::Config,
                               sourceName + ": the column mapping names field '" + field + "' (from column '" + column
                                   + "'), which the program does not have; its fields are " + joined(names, ", "));
    }
    return slots;
}

std::string missingMessage(const Slot &slot, bool isNull)
{
    const char *role = slot.role == Role::Input ? "input" : "label";
    std::string what = std::string(isNull ? "null " : "missing ") + role + " column '" + slot.column + "'";
    if (slot.column != slot.field)
        what += " (mapped to field '" + slot.field + "')";
    return what;
}

} // namespace

namespace {

std::string rowWhere(const RawTable &table, std::size_t r, const std::string &sourceName)
{
    const int line = r < table.lineNumbers.size() ? table.lineNumbers[r] : 0;
    return line > 0 ? sourceName + ":" + std::to_string(line) + ": "
                    : sourceName + ": row " + std::to_string(r + 1) + ": ";
}

// One row to an example; on failure the error (prefixed by `where`) and the
// field that did not fit.
std::optional<Error> mapRow(const Fields &row, const std::vector<Slot> &slots,
                            const std::vector<std::string> &inputKeys, const DatasetSource &source,
                            const std::string &where, Example &example, std::string &badField)
{
    example.inputKeys = inputKeys;
    for (const auto &slot : slots) {
        const Value *raw = row.find(slot.column);
        bool missing = !raw || raw->isNull();
        // An empty CSV cell for an intermediate output means "not given".
        if (!missing && slot.role == Role::Optional && raw->isString() && trimmed(raw->asString()).empty())
            missing = true;
        if (missing) {
            if (slot.role == Role::Optional)
                continue;
            badField = slot.field;
            return Error::make(ErrorKind::Data, where + missingMessage(slot, raw != nullptr));
        }
        Value converted;
        std::string why;
        if (!convertValue(*raw, slot.type, source.listSeparator, converted, why)) {
            badField = slot.field;
            return Error::make(ErrorKind::Data, where + "field '" + slot.field + "': " + why);
        }
        example.values.set(slot.field, std::move(converted));
    }
    return std::nullopt;
}

} // namespace

namespace {

// Maps every row in order; each row is freed once mapped when `rowsToFree`
// is the table's own rows.
Result<std::vector<Example>> mapAllRows(const RawTable &table, std::vector<Fields> *rowsToFree,
                                        const DatasetSource &source, const Program &program,
                                        const std::string &sourceName)
{
    auto slots = buildSlots(source, program, sourceName);
    if (!slots)
        return slots.error();
    const std::vector<std::string> inputKeys = program.externalInputs();

    std::vector<Example> examples;
    examples.reserve(table.rows.size());
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
        Example example;
        std::string badField;
        if (auto error = mapRow(table.rows[r], slots.value(), inputKeys, source, rowWhere(table, r, sourceName),
                                example, badField))
            return *error;
        examples.push_back(std::move(example));
        if (rowsToFree)
            (*rowsToFree)[r] = Fields();
    }
    return examples;
}

} // namespace

Result<std::vector<Example>> mapRows(const RawTable &table, const DatasetSource &source, const Program &program,
                                     const std::string &sourceName)
{
    return mapAllRows(table, nullptr, source, program, sourceName);
}

Result<std::vector<Example>> mapRows(RawTable &&table, const DatasetSource &source, const Program &program,
                                     const std::string &sourceName)
{
    return mapAllRows(table, &table.rows, source, program, sourceName);
}

Result<LenientRows> mapRowsLenient(const RawTable &table, const DatasetSource &source, const Program &program,
                                   const std::string &sourceName)
{
    auto slots = buildSlots(source, program, sourceName);
    if (!slots)
        return slots.error();
    const std::vector<std::string> inputKeys = program.externalInputs();
    LenientRows out;
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
        Example example;
        std::string badField;
        if (auto error = mapRow(table.rows[r], slots.value(), inputKeys, source, rowWhere(table, r, sourceName),
                                example, badField)) {
            const int line = r < table.lineNumbers.size() ? table.lineNumbers[r] : 0;
            out.problems.push_back(RowProblem{r, line, badField, error->message});
            continue;
        }
        out.examples.push_back(std::move(example));
        out.rowOf.push_back(r);
    }
    return out;
}

std::string hashExamples(const std::vector<Example> &examples)
{
    Sha256 sha;
    for (const auto &example : examples) {
        sha.update(toJson(example).dump(-1, ' ', false, Json::error_handler_t::replace));
        sha.update("\n");
    }
    return sha.finishHex();
}

Result<Dataset> loadDataset(const DatasetSource &source, const std::string &resolvedPath, const Program &program,
                            const DataLimits &limits)
{
    auto table = loadTable(resolvedPath, source.format, limits);
    if (!table)
        return table.error();
    auto examples = mapRows(std::move(table.value()), source, program, resolvedPath);
    if (!examples)
        return examples.error();
    Dataset dataset;
    dataset.examples = std::move(examples.value());
    dataset.hash = hashExamples(dataset.examples);
    dataset.path = resolvedPath;
    return dataset;
}

void splitByFraction(const std::vector<Example> &all, double valFraction, double testFraction, std::uint64_t seed,
                     std::vector<Example> &rest, std::vector<Example> &val, std::vector<Example> &test)
{
    rest.clear();
    val.clear();
    test.clear();
    const std::size_t n = all.size();
    auto count = [n](double fraction) {
        if (!(fraction > 0))
            return std::size_t{0};
        return static_cast<std::size_t>(
            std::min<double>(static_cast<double>(n), std::llround(static_cast<double>(n) * fraction)));
    };
    const std::size_t nVal = count(valFraction);
    const std::size_t nTest = std::min(count(testFraction), n - nVal);

    // Fisher-Yates with SplitMix64: the same seed gives the same split on every
    // platform, which std::shuffle does not promise.
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::uint64_t state = seed;
    for (std::size_t i = n; i > 1; --i) {
        state += 0x9e3779b97f4a7c15ULL;
        const std::size_t j = static_cast<std::size_t>(mix64(state) % i);
        std::swap(order[i - 1], order[j]);
    }
    // Each split keeps the file order, which makes them easier to read.
    auto take = [&](std::size_t from, std::size_t to, std::vector<Example> &out) {
        std::vector<std::size_t> picked(order.begin() + static_cast<std::ptrdiff_t>(from),
                                        order.begin() + static_cast<std::ptrdiff_t>(to));
        std::sort(picked.begin(), picked.end());
        for (std::size_t index : picked)
            out.push_back(all[index]);
    };
    take(0, nVal, val);
    take(nVal, nVal + nTest, test);
    take(nVal + nTest, n, rest);
}

Result<StudyData> loadStudyData(const Study &study)
{
    const std::string studyName = study.name.empty() ? std::string("the study") : "study '" + study.name + "'";
    if (!study.data.train)
        return Error::make(ErrorKind::Config, studyName + " has no training data (data.train)");
    const DataConfig &config = study.data;
    const double valFraction = config.val ? 0.0 : config.valFraction;
    const double testFraction = config.test ? 0.0 : config.testFraction;
    if (valFraction < 0 || testFraction < 0 || valFraction + testFraction >= 1.0)
        return Error::make(ErrorKind::Config,
                           studyName + ": val_fraction and test_fraction must be >= 0 and sum to less than 1");

    StudyData data;
    auto load = [&](const DatasetSource &source, Dataset &out) -> Result<void> {
        auto loaded = loadDataset(source, study.resolvePath(source.path), study.program, config.limits);
        if (!loaded)
            return loaded.error();
        out = std::move(loaded.value());
        return {};
    };
    if (auto r = load(*config.train, data.train); !r)
        return r.error();
    if (config.val)
        if (auto r = load(*config.val, data.val); !r)
            return r.error();
    if (config.test)
        if (auto r = load(*config.test, data.test); !r)
            return r.error();

    const bool carve = valFraction > 0 || testFraction > 0;
    if (carve) {
        std::vector<Example> rest, val, test;
        splitByFraction(data.train.examples, valFraction, testFraction, config.splitSeed, rest, val, test);
        data.train.examples = std::move(rest);
        data.train.hash = hashExamples(data.train.examples);
        if (valFraction > 0) {
            data.val.examples = std::move(val);
            data.val.hash = hashExamples(data.val.examples);
            data.val.path = data.train.path;
        }
        if (testFraction > 0) {
            data.test.examples = std::move(test);
            data.test.hash = hashExamples(data.test.examples);
            data.test.path = data.train.path;
        }
    }
    if (data.train.examples.empty())
        return Error::make(ErrorKind::Data, data.train.path + ": the training split is empty"
                                                + (carve ? std::string(" after carving out val/test") : std::string()));
    return data;
}

} // namespace prism
