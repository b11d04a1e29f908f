// The engine's layering: engine/CMakeLists.txt declares each layer (a folder of engine/) with the
// layers it uses, and the build writes those declarations to engine_layers.txt
// ("run: core, lm, ... @ /path/libprism_run.a"). Two checks hold every layer to its declaration:
// each #include of its sources lands in itself or a layer it uses, and each symbol its archive
// needs from another layer is defined in a layer it uses, directly or through another.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cxxabi.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;

namespace {

struct Layer {
    std::string name;
    std::vector<std::string> uses;
    std::string archive;
    std::string where; // "engine_layers.txt:6", for the failure message
};

std::string trimmed(const std::string &s)
{
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string::npos)
        return {};
    return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// Parses "<layer>: <used>, <used> @ <archive>" lines. A malformed line is reported in `errors`
// as "<sourceName>:<line>: <what>" and skipped.
std::vector<Layer> parseLayers(const std::string &text, const std::string &sourceName, std::vector<std::string> &errors)
{
    static const std::regex layerLine(R"(^([A-Za-z0-9_]+)\s*:([^@]*)@\s*(.+)$)");
    std::vector<Layer> layers;
    std::istringstream in(text);
    std::string raw;
    for (int lineNo = 1; std::getline(in, raw); ++lineNo) {
        const std::string line = trimmed(raw);
        if (line.empty())
            continue;
        const std::string where = sourceName + ":" + std::to_string(lineNo);
        std::smatch m;
        if (!std::regex_match(line, m, layerLine)) {
            errors.push_back(where + ": expected \"<layer>: <layer>, ... @ <archive>\", got \"" + line + "\"");
            continue;
        }
        Layer layer{m[1].str(), {}, trimmed(m[3].str()), where};
        std::istringstream list(m[2].str());
        for (std::string item; std::getline(list, item, ',');) {
            item = trimmed(item);
            if (item.empty())
                continue;
            if (item.find_first_of(" \t/") != std::string::npos)
                errors.push_back(where + ": \"" + item + "\" is not a layer name");
            else
                layer.uses.push_back(item);
        }
        layers.push_back(std::move(layer));
    }
    return layers;
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

bool contains(const std::vector<std::string> &list, const std::string &item)
{
    return std::find(list.begin(), list.end(), item) != list.end();
}

std::vector<fs::path> sourcesOf(const fs::path &layerDir)
{
    std::vector<fs::path> files;
    if (!fs::is_directory(layerDir))
        return files;
    for (const auto &entry : fs::recursive_directory_iterator(layerDir)) {
        const auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".h" || ext == ".cpp"))
            files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

// Checks every .h/.cpp under engineDir/<layer>/ against the layer's uses: an include may land in
// the layer itself, in a layer it uses, or outside the engine's layers (the standard library,
// packages). One message per broken include: "engine/lm/x.cpp:3: includes \"sim/simlm.h\": layer
// lm does not use sim (declared at engine_layers.txt:5)", in layer, file, then line order.
std::vector<std::string> checkIncludes(const fs::path &engineDir, const std::vector<Layer> &layers)
{
    static const std::regex includeLine(R"(^\s*#\s*include\s*["<]([^">]+)[">])");
    std::set<std::string> layerNames;
    for (const Layer &layer : layers)
        layerNames.insert(layer.name);
    std::vector<std::string> violations;
    for (const Layer &layer : layers) {
        for (const fs::path &file : sourcesOf(engineDir / layer.name)) {
            std::ifstream in(file);
            std::string line;
            for (int lineNo = 1; std::getline(in, line); ++lineNo) {
                std::smatch m;
                if (!std::regex_search(line, m, includeLine))
                    continue;
                const std::string target = layerOfInclude(engineDir, file.parent_path(), m[1].str());
                if (target.empty() || target == layer.name || contains(layer.uses, target))
                    continue;
                if (!layerNames.count(target) && !fs::is_directory(engineDir / target))
                    continue; // a package's header that happens to have a folder, e.g. <nlohmann/json.hpp>
                const fs::path shown = engineDir.filename() / file.lexically_relative(engineDir);
                violations.push_back(shown.generic_string() + ":" + std::to_string(lineNo) + ": includes \""
                                     + m[1].str() + "\": layer " + layer.name + " does not use " + target
                                     + " (declared at " + layer.where + ")");
            }
        }
    }
    return violations;
}

// The layers `layer` may reach at link time: the ones it uses, and theirs, and so on.
std::set<std::string> reachable(const std::map<std::string, const Layer *> &byName, const std::string &layer)
{
    std::set<std::string> seen;
    std::vector<std::string> todo{layer};
    while (!todo.empty()) {
        const std::string next = todo.back();
        todo.pop_back();
        const auto it = byName.find(next);
        if (it == byName.end())
            continue;
        for (const auto &used : it->second->uses)
            if (seen.insert(used).second)
                todo.push_back(used);
    }
    return seen;
}

std::string demangled(const std::string &symbol)
{
    int status = 0;
    std::unique_ptr<char, void (*)(void *)> text(abi::__cxa_demangle(symbol.c_str(), nullptr, nullptr, &status),
                                                 std::free);
    return status == 0 && text ? std::string(text.get()) : symbol;
}

struct ArchiveSymbols {
    std::set<std::string> defined;   // strong definitions (text, data, bss, read-only data)
    std::set<std::string> undefined; // needed by some object of the archive
};

// Reads `nm -P` output (one "name type [value size]" a line; "archive[obj.o]:" headers skipped).
ArchiveSymbols parseNm(const std::string &output)
{
    ArchiveSymbols symbols;
    std::istringstream in(output);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string name, type;
        if (!(fields >> name >> type) || name.back() == ':')
            continue;
        if (type == "U")
            symbols.undefined.insert(name);
        else if (type == "T" || type == "D" || type == "B" || type == "R")
            symbols.defined.insert(name);
    }
    return symbols;
}

// Checks that each symbol a layer's archive needs and another layer defines comes from a layer it
// may reach. One message per symbol: "layer lm needs prism::SimLm::complete(...), defined in
// layer sim, which it does not use (declared at ...)". `symbols` is keyed by layer name.
std::vector<std::string> checkLinks(const std::vector<Layer> &layers,
                                    const std::map<std::string, ArchiveSymbols> &symbols)
{
    std::map<std::string, const Layer *> byName;
    std::map<std::string, std::string> definedIn;
    for (const Layer &layer : layers) {
        byName[layer.name] = &layer;
        const auto it = symbols.find(layer.name);
        if (it != symbols.end())
            for (const auto &symbol : it->second.defined)
                definedIn.emplace(symbol, layer.name);
    }
    std::vector<std::string> violations;
    for (const Layer &layer : layers) {
        const auto it = symbols.find(layer.name);
        if (it == symbols.end())
            continue;
        const std::set<std::string> allowed = reachable(byName, layer.name);
        for (const auto &symbol : it->second.undefined) {
            const auto owner = definedIn.find(symbol);
            if (owner == definedIn.end() || owner->second == layer.name || allowed.count(owner->second))
                continue;
            violations.push_back("layer " + layer.name + " needs " + demangled(symbol) + ", defined in layer "
                                 + owner->second + ", which it does not use (declared at " + layer.where + ")");
        }
    }
    return violations;
}

std::string commandOutput(const std::string &command)
{
    std::string out;
    FILE *pipe = ::popen(command.c_str(), "r");
    if (!pipe)
        return out;
    char buffer[65536];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
        out.append(buffer, n);
    ::pclose(pipe);
    return out;
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

std::vector<Layer> declaredLayers()
{
    std::vector<std::string> errors;
    auto layers = parseLayers(readFile(PRISM_LAYERS_FILE), "engine_layers.txt", errors);
    for (const auto &e : errors)
        ADD_FAILURE() << e;
    return layers;
}

} // namespace

TEST(Layering, EveryFolderOfTheEngineIsADeclaredLayer)
{
    const fs::path engineDir = PRISM_ENGINE_DIR;
    const auto layers = declaredLayers();
    ASSERT_GE(layers.size(), 12u) << "engine_layers.txt lists too few layers";
    std::set<std::string> names;
    for (const Layer &layer : layers) {
        names.insert(layer.name);
        EXPECT_TRUE(fs::is_directory(engineDir / layer.name)) << layer.where << ": no folder engine/" << layer.name;
        for (const auto &used : layer.uses)
            EXPECT_TRUE(fs::is_directory(engineDir / used)) << layer.where << ": no folder engine/" << used;
    }
    for (const auto &entry : fs::directory_iterator(engineDir)) {
        if (entry.is_directory() && !sourcesOf(entry.path()).empty()) {
            EXPECT_TRUE(names.count(entry.path().filename().string()))
                << "engine/" << entry.path().filename().string()
                << " is not declared as a layer in engine/CMakeLists.txt (prism_engine_layer)";
        }
    }
}

TEST(Layering, EveryIncludeLandsInALayerItsLayerUses)
{
    for (const auto &violation : checkIncludes(PRISM_ENGINE_DIR, declaredLayers()))
        ADD_FAILURE() << violation;
}

TEST(Layering, EveryArchiveNeedsOnlyLayersItUses)
{
    const auto layers = declaredLayers();
    std::map<std::string, ArchiveSymbols> symbols;
    for (const Layer &layer : layers) {
        ASSERT_TRUE(fs::exists(layer.archive)) << layer.where << ": no archive " << layer.archive;
        symbols[layer.name] = parseNm(commandOutput("nm -P '" + layer.archive + "' 2>/dev/null"));
        EXPECT_FALSE(symbols[layer.name].defined.empty()) << "nm found no symbol in " << layer.archive;
    }
    // The check must see the links that exist: run is built on core's text helpers.
    const auto &run = symbols["run"].undefined;
    const auto &core = symbols["core"].defined;
    EXPECT_TRUE(std::any_of(run.begin(), run.end(), [&](const std::string &s) { return core.count(s) > 0; }))
        << "no symbol of core is needed by run: the archives were not read";
    for (const auto &violation : checkLinks(layers, symbols))
        ADD_FAILURE() << violation;
}

TEST(Layering, NamesFileLineAndDeclarationOfABrokenInclude)
{
    const fs::path root = fs::temp_directory_path() / ("prism_layering_" + std::to_string(::getpid()));
    fs::remove_all(root);
    const fs::path engine = root / "engine";
    writeFile(engine / "core" / "text.h", "#pragma once\n");
    writeFile(engine / "sim" / "simlm.h", "#pragma once\n");
    writeFile(engine / "lm" / "lm.h", "#pragma once\n");
    writeFile(engine / "lm" / "sub" / "bad.cpp", "#include \"lm/lm.h\"\n"
                                                 "#include \"core/text.h\"\n"
                                                 "// #include \"sim/simlm.h\" is only a comment\n"
                                                 "#include \"sim/simlm.h\"\n"
                                                 "  #  include \"../../sim/simlm.h\"\n"
                                                 "#include <nlohmann/json.hpp>\n"
                                                 "#include <string>\n");
    std::vector<std::string> errors;
    const auto layers = parseLayers("core:  @ /a/libcore.a\n\nlm: core @ /a/liblm.a\nsim: core, lm @ /a/libsim.a\n",
                                    "engine_layers.txt", errors);
    ASSERT_TRUE(errors.empty());
    const auto violations = checkIncludes(engine, layers);
    ASSERT_EQ(violations.size(), 2u);
    EXPECT_EQ(violations[0], "engine/lm/sub/bad.cpp:4: includes \"sim/simlm.h\": layer lm does not use sim "
                             "(declared at engine_layers.txt:3)");
    EXPECT_EQ(violations[1], "engine/lm/sub/bad.cpp:5: includes \"../../sim/simlm.h\": layer lm does not use sim "
                             "(declared at engine_layers.txt:3)");
    fs::remove_all(root);
}

TEST(Layering, NamesTheSymbolALayerTakesFromALayerItDoesNotUse)
{
    std::vector<std::string> errors;
    const auto layers = parseLayers("core: @ c.a\nlm: core @ l.a\nsim: lm @ s.a\nrun: sim @ r.a\n", "layers", errors);
    ASSERT_TRUE(errors.empty());
    std::map<std::string, ArchiveSymbols> symbols;
    symbols["core"] = parseNm("c.a[text.o]:\n_ZN5prism4trimEv T 0 10\n");
    symbols["lm"] = parseNm("l.a[lm.o]:\n_ZN5prism4trimEv U\n_ZN5prism5SimLmC1Ev U\n_ZN5prism2LmD1Ev W 0 4\n");
    symbols["sim"] = parseNm("s.a[simlm.o]:\n_ZN5prism5SimLmC1Ev T 0 20\n_ZN5prism2LmD1Ev U\n");
    // run reaches core only through sim and lm: allowed.
    symbols["run"] = parseNm("r.a[run.o]:\n_ZN5prism4trimEv U\n_ZN5prism5SimLmC1Ev U\nmalloc U\n");
    const auto violations = checkLinks(layers, symbols);
    ASSERT_EQ(violations.size(), 1u);
    EXPECT_EQ(violations[0], "layer lm needs prism::SimLm::SimLm(), defined in layer sim, which it does not use "
                             "(declared at layers:2)");
}

TEST(Layering, RejectsAMalformedLayerLine)
{
    std::vector<std::string> errors;
    const auto layers = parseLayers("lm: core @ l.a\nlm uses core\nsim: a/b @ s.a\n", "engine_layers.txt", errors);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0], "engine_layers.txt:2: expected \"<layer>: <layer>, ... @ <archive>\", got \"lm uses core\"");
    EXPECT_EQ(errors[1], "engine_layers.txt:3: \"a/b\" is not a layer name");
    ASSERT_EQ(layers.size(), 2u);
    EXPECT_EQ(layers[0].uses, std::vector<std::string>{"core"});
    EXPECT_EQ(layers[0].archive, "l.a");
}
