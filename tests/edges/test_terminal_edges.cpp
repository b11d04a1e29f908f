// Issue 13, "Edges": what the terminal shows (item 20) and a fuzz input the
// artifact loader met (item 22b). Item 21 is tests/search/test_sampler_benchmark.cpp.
#include "edges_cli.h"

#include "artifact/artifact.h"
#include "core/study.h"

#include <nlohmann/json.hpp>

using namespace edges;
using namespace prism;

namespace {

// Terminal columns of a line, for the characters the tests below use:
// combining accents 0, emoji and CJK 2, every other code point 1.
std::size_t columns(const std::string &text)
{
    std::size_t width = 0;
    for (std::size_t i = 0; i < text.size();) {
        const auto lead = static_cast<unsigned char>(text[i]);
        const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        char32_t cp = length == 1 ? lead : lead & (0x7F >> length);
        for (std::size_t k = 1; k < length && i + k < text.size(); ++k)
            cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
        if (cp >= 0x0300 && cp <= 0x036F)
            width += 0;
        else if ((cp >= 0x1F300 && cp <= 0x1FAFF) || (cp >= 0x4E00 && cp <= 0x9FFF))
            width += 2;
        else
            width += 1;
        i += length;
    }
    return width;
}

std::vector<std::string> linesOf(const std::string &text)
{
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// The column (in terminal columns) where `needle` starts in `line`.
std::size_t columnOf(const std::string &line, const std::string &needle)
{
    const auto at = line.find(needle);
    return at == std::string::npos ? std::string::npos : columns(line.substr(0, at));
}

} // namespace

// Item 20: a dataset row with emoji, CJK, a combining accent, a right-to-left
// override and an escape sequence goes through `prism eval`: the columns line
// up in terminal columns, and no control or bidi character reaches stdout raw.
TEST_F(EdgeTest, EvalTableAlignsWideTextAndEscapesControlCharacters)
{
    const fs::path study = sampleCopy("moderation");
    // Inputs avoid the labels (low, medium, high), so the first label on a row is its "expected" cell.
    writeAll(
        study.parent_path() / "test.jsonl",
        "{\"snippet\": \"Thanks team \\ud83c\\udf89\\ud83c\\udf89 well done\", \"severity\": \"low\", "
        "\"policy_violations\": []}\n"
        "{\"snippet\": \"invoice \\u202eexe.pdf please open\", \"severity\": \"medium\", "
        "\"policy_violations\": [\"spam\"]}\n"
        "{\"snippet\": \"\\u001b[31mred alert\\u001b[0m caf\\u0065\\u0301 \\u4f60\\u597d\", \"severity\": \"low\", "
        "\"policy_violations\": []}\n"
        "{\"snippet\": \"\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00"
        "\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00"
        "\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00"
        "\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\", \"severity\": \"low\", "
        "\"policy_violations\": []}\n");
    const CliResult r = prism({"eval", study.string(), "--split", "test"});
    ASSERT_EQ(r.exitCode, 0) << r.err;

    // No raw control byte but line breaks, no bidi control (U+202E is E2 80 AE).
    for (char c : r.out)
        EXPECT_TRUE(static_cast<unsigned char>(c) >= 0x20 || c == '\n') << "raw control byte " << int(c);
    EXPECT_FALSE(contains(r.out, "\xE2\x80\xAE"));
    EXPECT_TRUE(contains(r.out, "invoice \\u202eexe.pdf")) << r.out;
    EXPECT_TRUE(contains(r.out, "\\u001b[31mred alert")) << r.out;

    const std::vector<std::string> lines = linesOf(r.out);
    std::size_t header = 0;
    while (header < lines.size() && lines[header].find("#  input") == std::string::npos)
        ++header;
    ASSERT_LT(header + 5, lines.size()) << r.out;
    const std::size_t expectedColumn = columnOf(lines[header], "expected");
    const std::size_t scoreColumn = columnOf(lines[header], "score") + std::string("score").size();
    ASSERT_NE(expectedColumn, std::string::npos);
    const std::vector<std::string> labels = {"low", "medium", "low", "low"};
    for (std::size_t row = 0; row < labels.size(); ++row) {
        const std::string &line = lines[header + 2 + row];
        EXPECT_EQ(columnOf(line, labels[row]), expectedColumn) << "row " << row + 1 << ":\n" << r.out;
        // The score column is right-aligned: its last digit sits under "score"'s last letter.
        const auto dot = line.find('.', line.find(labels[row]));
        ASSERT_NE(dot, std::string::npos) << line;
        EXPECT_EQ(columns(line.substr(0, dot + 3)), scoreColumn) << "row " << row + 1 << ":\n" << r.out;
    }
    // The 24-emoji input (48 columns) is cut to the 40-column limit, not to
    // 40 characters: 18 emoji (36 columns) and "...".
    std::string grins;
    for (int i = 0; i < 18; ++i)
        grins += "\xF0\x9F\x98\x80";
    EXPECT_TRUE(contains(lines[header + 5], "  " + grins + "...")) << lines[header + 5];
}

// Item 22b (fuzz, artifact target): a ChainOfThought artifact whose
// reasoning description is not DSPy's "${reasoning}" loads with the study's
// fields (reasoning first, then the study's outputs) and keeps the description,
// as DSPy does; the fuzz target's invariant compared declared outputs and was
// wrong. The input is fuzz/regressions/artifact/cot-reasoning-description-mutated.
TEST_F(EdgeTest, ChainOfThoughtArtifactWithCustomReasoningDescriptionKeepsTheStudysFields)
{
    const std::string input = readAll(fs::path(PRISM_SAMPLES_DIR).parent_path()
                                      / "fuzz/regressions/artifact/cot-reasoning-description-mutated");
    ASSERT_GT(input.size(), 1u);
    auto study = loadStudy(sampleCopy("moderation").string());
    ASSERT_TRUE(study.ok()) << study.error().message;
    Program program = study->program;
    program.predictors.at(0).kind = PredictorKind::ChainOfThought;

    auto loaded = loadDspyProgram(input.substr(1), "cot.json", program); // byte 0 is the fuzz target's selector
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    const Signature got = loaded->program.predictors.at(0).effectiveSignature();
    const Signature want = program.predictors.at(0).effectiveSignature();
    ASSERT_EQ(got.outputs.size(), want.outputs.size());
    for (std::size_t i = 0; i < want.outputs.size(); ++i) {
        EXPECT_EQ(got.outputs[i].name, want.outputs[i].name);
        EXPECT_TRUE(got.outputs[i].type == want.outputs[i].type) << want.outputs[i].name;
    }
    EXPECT_EQ(got.outputs.front().description, "$;reasoning}");
    // Saved again, the file says what it said.
    const auto saved = nlohmann::json::parse(programToDspyJson(loaded->program, std::nullopt));
    EXPECT_TRUE(contains(saved.dump(), "\"$;reasoning}\"")) << saved.dump();
}
