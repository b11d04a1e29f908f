#pragma once

// Runs the built `prism` binary (PRISM_CLI_BINARY, defined for RUNS_CLI tests)
// with its output captured, for tests of the command line.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace prism::testsupport {

struct CliResult {
    int exitCode = -1;
    std::string out;
    std::string err;
};

inline std::string readWholeFile(const std::filesystem::path &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline std::string shellQuoted(const std::string &arg)
{
    std::string out = "'";
    for (char c : arg)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// stdout and stderr go through files in `scratch`; stdin is /dev/null.
inline CliResult runCli(const std::string &binary, const std::vector<std::string> &args,
                        const std::filesystem::path &scratch)
{
    std::string cmd = shellQuoted(binary);
    for (const auto &a : args)
        cmd += " " + shellQuoted(a);
    const auto out = scratch / "cli-stdout.txt", err = scratch / "cli-stderr.txt";
    cmd += " >" + shellQuoted(out.string()) + " 2>" + shellQuoted(err.string()) + " </dev/null";
    const int status = std::system(cmd.c_str());
    CliResult r;
    r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = readWholeFile(out);
    r.err = readWholeFile(err);
    return r;
}

} // namespace prism::testsupport
