#include "cli.h"
#include "spool.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>

namespace prism::cli {

namespace {

constexpr std::size_t kInputWidth = 40;
constexpr std::size_t kValueWidth = 28;
constexpr std::size_t kErrorWidth = 70;

std::string cellText(const Value &v)
{
    if (v.isList()) {
        std::string out = "[";
        for (const auto &item : v.asList())
            out += (out.size() > 1 ? ", " : "") + cellText(item);
        return out + "]";
    }
    return oneLine(v.toText());
}

std::string fieldsCell(const Fields &values, const std::vector<std::string> &names)
{
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0)
            out += "; ";
        if (const Value *v = values.find(names[i]))
            out += cellText(*v);
    }
    // Nothing at all (an errored example) reads better as blank than as "; ".
    return values.empty() ? std::string() : out;
}

std::string inputCell(const Fields &inputs)
{
    if (inputs.size() == 1)
        return cellText(inputs.begin()->second);
    std::string out;
    for (const auto &[name, value] : inputs)
        out += (out.empty() ? "" : "; ") + name + "=" + cellText(value);
    return out;
}

std::string padRight(const std::string &text, std::size_t width)
{
    const std::size_t w = displayWidth(text);
    return w >= width ? text : text + std::string(width - w, ' ');
}

std::string padLeft(const std::string &text, std::size_t width)
{
    const std::size_t w = displayWidth(text);
    return w >= width ? text : std::string(width - w, ' ') + text;
}

std::string usageLine(const TokenUsage &usage)
{
    // No call made means zero tokens, not unknown ones.
    auto count = [&](const std::optional<long long> &n) {
        return usage.calls == 0 ? std::string("0") : n ? withThousands(*n) : std::string("unknown");
    };
    return fmt::format("LM calls: {}, tokens in: {}, out: {}", withThousands(usage.calls), count(usage.promptTokens),
                       count(usage.completionTokens));
}

} // namespace

EvalTextRow evalTextRow(const EvalContext &context, const ExampleResult &r)
{
    return {std::to_string(r.index + 1),
            tableCell(inputCell(r.example.inputs()), kInputWidth),
            tableCell(fieldsCell(r.example.values, context.shownFields), kValueWidth),
            tableCell(fieldsCell(r.prediction.values, context.shownFields), kValueWidth),
            r.score ? fmt::format("{:.2f}", *r.score) : std::string("-"),
            r.error ? tableCell(r.error->describe(), kErrorWidth) : std::string()};
}

namespace {

const EvalTextRow kEvalHeader = {"#", "input", "expected", "predicted", "score", "error"};

} // namespace

void EvalTextTable::add(const EvalTextRow &row)
{
    if (widths.empty())
        for (const std::string &cell : kEvalHeader)
            widths.push_back(displayWidth(cell));
    for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c)
        widths[c] = std::max(widths[c], displayWidth(row[c]));
}

void writeEvalText(std::FILE *stream, const EvalContext &context, const EvalReport &report, PieceSpool &rows,
                   const EvalTextTable &table)
{
    auto put = [stream](const std::string &text) { std::fwrite(text.data(), 1, text.size(), stream); };
    put(fmt::format("{}: split {}, {} examples, model {}, adapter {}\n\n", escapeControls(context.studyName),
                    context.split, report.total, escapeControls(context.model), context.adapter));

    EvalTextTable sized = table;
    sized.add(kEvalHeader);
    const std::vector<std::size_t> &widths = sized.widths;
    auto renderRow = [&](const EvalTextRow &row) {
        std::string line = padLeft(row[0], widths[0]);
        for (std::size_t c = 1; c < row.size(); ++c) {
            line += "  ";
            line += c == 4 ? padLeft(row[c], widths[c]) : c == 5 ? row[c] : padRight(row[c], widths[c]);
        }
        line.erase(line.find_last_not_of(' ') + 1);
        return line + "\n";
    };
    put(renderRow(kEvalHeader));
    EvalTextRow rule;
    for (std::size_t c = 0; c < widths.size(); ++c)
        rule.push_back(std::string(c == 5 ? std::size_t(5) : widths[c], '-'));
    put(renderRow(rule));
    rows.forEach([&](const std::string &piece) { put(renderRow(unpackCells(piece))); });

    std::string out;
    out += fmt::format("\nScore: {:.2f}% ({} scored, {} error{})\n", report.scorePercent, report.scored, report.errors,
                       report.errors == 1 ? "" : "s");
    if (report.stoppedEarly) {
        const std::size_t notRun = report.total - report.ran;
        if (report.stopReason == "max_errors")
            out += fmt::format("Stopped early: {} errors reached the limit of {}; {} of {} examples did not run\n",
                               report.errors, context.maxErrors, notRun, report.total);
        else if (report.stopReason.rfind("budget", 0) == 0)
            out += fmt::format("Stopped: {}; {} of {} examples did not run\n", report.stopReason, notRun, report.total);
        else
            out += fmt::format("Stopped early ({}): {} of {} examples did not run\n", report.stopReason, notRun,
                               report.total);
    }
    if (!context.ledger) {
        out += usageLine(report.usage) + "\n";
    } else {
        out += renderLedgerText(*context.ledger);
        out += renderCacheLine(context.cache, context.ledger->totals());
    }
    put(out);
}

} // namespace prism::cli
