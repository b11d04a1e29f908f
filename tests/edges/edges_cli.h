#pragma once

// Runs the built `prism` binary as a user would, in a private temporary
// directory with its own data directory (cache, prices, run store).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace edges {

namespace fs = std::filesystem;

struct CliResult {
    int exitCode = -1;
    std::string out;
    std::string err;
};

inline std::string readAll(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void writeAll(const fs::path &path, const std::string &text)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

inline std::string shellQuoted(const std::string &arg)
{
    std::string out = "'";
    for (char c : arg)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

class EdgeTest : public ::testing::Test {
protected:
    fs::path dir;

    void SetUp() override
    {
        const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() / ("prism-edges-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override
    {
        std::error_code ec;
        if (!HasFailure())
            fs::remove_all(dir, ec);
    }

    // Runs `prism ARGS` with `cwd` as the working directory (default: dir).
    CliResult prism(const std::vector<std::string> &args, const fs::path &cwd = {})
    {
        std::string cmd = "cd " + shellQuoted((cwd.empty() ? dir : cwd).string()) + " && PRISM_DATA_DIR="
                          + shellQuoted((dir / "data").string()) + " " + shellQuoted(PRISM_CLI_BINARY);
        for (const auto &a : args)
            cmd += " " + shellQuoted(a);
        cmd += " >" + shellQuoted((dir / "stdout.txt").string()) + " 2>" + shellQuoted((dir / "stderr.txt").string())
               + " </dev/null";
        const int status = std::system(cmd.c_str());
        CliResult r;
        r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r.out = readAll(dir / "stdout.txt");
        r.err = readAll(dir / "stderr.txt");
        return r;
    }

    // A copy of a sample study (and its data files) in dir/NAME/, with `edit`
    // applied to the study text; returns the study's path.
    fs::path sampleCopy(const std::string &sample, const std::string &name = "study")
    {
        const fs::path target = dir / name;
        fs::create_directories(target);
        for (const auto &entry : fs::directory_iterator(fs::path(PRISM_SAMPLES_DIR) / sample))
            fs::copy_file(entry.path(), target / entry.path().filename(), fs::copy_options::overwrite_existing);
        return target / (sample + ".prism.json");
    }

    static void replaceOnce(const fs::path &file, const std::string &from, const std::string &to)
    {
        std::string text = readAll(file);
        const auto at = text.find(from);
        ASSERT_NE(at, std::string::npos) << from << " not in " << file;
        text.replace(at, from.size(), to);
        writeAll(file, text);
    }
};

inline bool contains(const std::string &haystack, const std::string &needle)
{
    return haystack.find(needle) != std::string::npos;
}

} // namespace edges
