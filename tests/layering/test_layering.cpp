// Layer rules of engine/: the rules are lines of tests/layering/rules.txt
// ("lm: must not include sim, modelsetup"), so a new rule is one more line, not new code.
// Every #include of every source under engine/<layer>/ is checked against its layer's rule.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;

namespace {

struct LayerRule {
    std::string layer;
    std::vector<std::string> forbidden;
    std::string where; // "rules.txt:6", for the failure message
};

std::string trimmed(const std::string &s)
{
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string::npos)
        return {};
    return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// Parses rules text ("<layer>: must not include a, b, c"; '#' starts a comment line).
// A malformed line is reported in `errors` as "<sourceName>:<line>: <what>" and skipped.
std::vector<LayerRule> parseRules(const std::string &text, const std::string &sourceName,
                                  std::vector<std::string> &errors)
{
    static const std::regex ruleLine(R"(^([A-Za-z0-9_]+)\s*:\s*must not include\s+(.+)$)");
    std::vector<LayerRule> rules;
    std::istringstream in(text);
    std::string raw;
    for (int lineNo = 1; std::getline(in, raw); ++lineNo) {
        const std::string line = trimmed(raw);
        if (line.empty() || line[0] == '#')
            continue;
        const std::string where = sourceName + ":" + std::to_string(lineNo);
        std::smatch m;
        if (!std::regex_match(line, m, ruleLine)) {
            errors.push_back(where + ": expected \"<layer>: must not include <layer>, ...\", got \"" + line + "\"");
            continue;
        }
        LayerRule rule{m[1].str(), {}, where};
        std::istringstream list(m[2].str());
        for (std::string item; std::getline(list, item, ',');) {
            item = trimmed(item);
            if (item.empty() || item.find_first_of(" \t/") != std::string::npos)
                errors.push_back(where + ": \"" + item + "\" is not a layer name");
            else
                rule.forbidden.push_back(item);
        }
        rules.push_back(std::move(rule));
    }
    return rules;
}

// The layer (first folder under engineDir) an include lands in, or "" when it lands outside
// engine/ or is a bare file name. A path starting with '.' or naming an existing file next to
// the includer is relative to the includer; any other path is relative to engine/ (the include root).
std::string layerOfInclude(const fs::path &engineDir, const fs::path &includerDir, const std::string &include)
{
    fs::path target;
    if (include.rfind(".", 0) == 0 || fs::exists(includerDir / include))
        target = (includerDir / include).lexically_normal().lexically_relative(engineDir);
    else
        target = fs::path(include).lexically_normal();
    if (target.empty() || std::distance(target.begin(), target.end()) < 2)
        return {};
    const std::string first = target.begin()->string();
    return first == ".." || first == "." ? std::string() : first;
}

// Checks every .h/.cpp under engineDir/<rule.layer>/ against its rule. Returns one message per
// broken include: "engine/lm/x.cpp:3: includes \"sim/simlm.h\": layer lm must not include sim
// (rule at rules.txt:6)", in file then line order.
std::vector<std::string> checkLayers(const fs::path &engineDir, const std::vector<LayerRule> &rules)
{
    static const std::regex includeLine(R"(^\s*#\s*include\s*["<]([^">]+)[">])");
    std::vector<std::string> violations;
    for (const LayerRule &rule : rules) {
        const fs::path layerDir = engineDir / rule.layer;
        std::vector<fs::path> files;
        for (const auto &entry : fs::recursive_directory_iterator(layerDir)) {
            const auto ext = entry.path().extension();
            if (entry.is_regular_file() && (ext == ".h" || ext == ".cpp"))
                files.push_back(entry.path());
        }
        std::sort(files.begin(), files.end());
        for (const fs::path &file : files) {
            std::ifstream in(file);
            std::string line;
            for (int lineNo = 1; std::getline(in, line); ++lineNo) {
                std::smatch m;
                if (!std::regex_search(line, m, includeLine))
                    continue;
                const std::string target = layerOfInclude(engineDir, file.parent_path(), m[1].str());
                if (std::find(rule.forbidden.begin(), rule.forbidden.end(), target) == rule.forbidden.end())
                    continue;
                const fs::path shown = engineDir.filename() / file.lexically_relative(engineDir);
                violations.push_back(shown.generic_string() + ":" + std::to_string(lineNo) + ": includes \""
                                     + m[1].str() + "\": layer " + rule.layer + " must not include " + target
                                     + " (rule at " + rule.where + ")");
            }
        }
    }
    return violations;
}

std::string readFile(const fs::path &path)
{
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void writeFile(const fs::path &path, const std::string &text)
{
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

} // namespace

TEST(Layering, EngineFollowsEveryRule)
{
    const fs::path engineDir = PRISM_ENGINE_DIR;
    const fs::path rulesPath = PRISM_LAYER_RULES;
    ASSERT_TRUE(fs::exists(rulesPath)) << rulesPath;
    std::vector<std::string> errors;
    const auto rules = parseRules(readFile(rulesPath), "tests/layering/rules.txt", errors);
    for (const auto &e : errors)
        ADD_FAILURE() << e;
    ASSERT_FALSE(rules.empty());
    // A misspelt layer name would make its rule check nothing: every name must be a folder.
    for (const LayerRule &rule : rules) {
        EXPECT_TRUE(fs::is_directory(engineDir / rule.layer)) << rule.where << ": no folder engine/" << rule.layer;
        for (const auto &layer : rule.forbidden)
            EXPECT_TRUE(fs::is_directory(engineDir / layer)) << rule.where << ": no folder engine/" << layer;
    }
    for (const auto &violation : checkLayers(engineDir, rules))
        ADD_FAILURE() << violation;
}

TEST(Layering, NamesFileLineAndRuleOfABrokenInclude)
{
    const fs::path root = fs::temp_directory_path() / ("prism_layering_" + std::to_string(::getpid()));
    fs::remove_all(root);
    const fs::path engine = root / "engine";
    writeFile(engine / "sim" / "simlm.h", "#pragma once\n");
    writeFile(engine / "lm" / "lm.h", "#pragma once\n");
    writeFile(engine / "lm" / "sub" / "bad.cpp", "#include \"lm/lm.h\"\n"
                                                 "// #include \"sim/simlm.h\" is only a comment\n"
                                                 "#include \"sim/simlm.h\"\n"
                                                 "  #  include \"../../sim/simlm.h\"\n"
                                                 "#include <string>\n");
    std::vector<std::string> errors;
    const auto rules = parseRules("# comment\n\nlm: must not include sim, run\n", "rules.txt", errors);
    ASSERT_TRUE(errors.empty());
    const auto violations = checkLayers(engine, rules);
    ASSERT_EQ(violations.size(), 2u);
    EXPECT_EQ(violations[0],
              "engine/lm/sub/bad.cpp:3: includes \"sim/simlm.h\": layer lm must not include sim (rule at rules.txt:3)");
    EXPECT_EQ(violations[1], "engine/lm/sub/bad.cpp:4: includes \"../../sim/simlm.h\": layer lm must not include sim "
                             "(rule at rules.txt:3)");
    fs::remove_all(root);
}

TEST(Layering, RejectsAMalformedRuleLine)
{
    std::vector<std::string> errors;
    const auto rules =
        parseRules("lm: must not include sim\nlm may include sim\nsim: must not include a/b\n", "rules.txt", errors);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0],
              "rules.txt:2: expected \"<layer>: must not include <layer>, ...\", got \"lm may include sim\"");
    EXPECT_EQ(errors[1], "rules.txt:3: \"a/b\" is not a layer name");
    ASSERT_EQ(rules.size(), 2u);
    EXPECT_EQ(rules[0].forbidden, std::vector<std::string>{"sim"});
}
