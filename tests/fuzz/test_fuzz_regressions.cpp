// Every committed fuzz seed and every input a fuzzer once crashed on, run
// through the same target bodies libFuzzer runs (fuzz/fuzz_targets.cpp). A
// body traps when a parser breaks one of its promises (an error that does not
// name its source, a value of the wrong type, a round trip that changes the
// data), so a regression kills this test and names the input.
#include "fuzz_targets.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

const char *g_replaying = ""; // the input being replayed, for the trap handler

void reportTrap(int signal)
{
    const char prefix[] = "\nfuzz regression: a parser invariant broke on input ";
    [[maybe_unused]] auto a = ::write(STDERR_FILENO, prefix, sizeof prefix - 1);
    [[maybe_unused]] auto b = ::write(STDERR_FILENO, g_replaying, std::strlen(g_replaying));
    [[maybe_unused]] auto c = ::write(STDERR_FILENO, "\n", 1);
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}

std::vector<fs::path> inputsOf(const std::string &target)
{
    std::vector<fs::path> files;
    for (const char *kind : {"corpus", "regressions"}) {
        const fs::path dir = fs::path(PRISM_FUZZ_DIR) / kind / target;
        if (!fs::is_directory(dir))
            continue;
        for (const auto &entry : fs::directory_iterator(dir))
            if (entry.is_regular_file())
                files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

class FuzzRegressions : public ::testing::TestWithParam<std::string> {};

TEST_P(FuzzRegressions, EverySeedAndPastCrashKeepsTheParsersPromises)
{
    const prism::fuzz::Target *target = prism::fuzz::findTarget(GetParam());
    ASSERT_NE(target, nullptr);
    prism::fuzz::initialize(*target);
    std::signal(SIGILL, reportTrap);
    std::signal(SIGTRAP, reportTrap);

    const std::vector<fs::path> files = inputsOf(target->name);
    // Each target has seeds: an empty corpus would make this test vacuous.
    ASSERT_FALSE(files.empty()) << "no seeds under " << PRISM_FUZZ_DIR << "/corpus/" << target->name;
    for (const auto &file : files) {
        std::ifstream in(file, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const std::string name = file.string();
        g_replaying = name.c_str();
        EXPECT_EQ(target->body(reinterpret_cast<const std::uint8_t *>(bytes.data()), bytes.size()), 0) << name;
    }
    g_replaying = "";
}

std::vector<std::string> targetNames()
{
    std::vector<std::string> names;
    for (const auto &t : prism::fuzz::targets())
        names.push_back(t.name);
    return names;
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzRegressions, ::testing::ValuesIn(targetNames()),
                         [](const auto &info) { return info.param; });

// The list of targets the fuzz build makes is the list the issue asks for.
TEST(FuzzTargets, CoverEveryParserOfOutsideInput)
{
    for (const char *name : {"csv", "jsonl", "json", "study", "artifact", "chat_adapter", "json_adapter",
                             "openai_response", "anthropic_response", "prices"})
        EXPECT_NE(prism::fuzz::findTarget(name), nullptr) << name;
#ifdef PRISM_FUZZ_HAS_SCRIPTING
    EXPECT_NE(prism::fuzz::findTarget("jsmetric"), nullptr);
#endif
}

} // namespace
