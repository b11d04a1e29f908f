#pragma once

// A `prism simlm serve` child for tests that run the built CLI against a
// loopback server (campaigns, resume after SIGKILL). The including target
// defines PRISM_CLI_BINARY.
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace prism::testsupport {

// `prism simlm serve` with the given extra flags, on a free port (url() is
// empty if it did not start); stop() ends it with SIGTERM and returns its exit
// line, e.g. "simlm serve: stopped; N requests, M completions, faults: 429 x3".
class SimServerProcess {
public:
    SimServerProcess(const std::filesystem::path &dir, const std::vector<std::string> &flags)
        : m_errPath(dir / "server-stderr.txt")
    {
        int fds[2];
        if (::pipe(fds) != 0)
            return;
        m_pid = ::fork();
        if (m_pid == 0) {
            ::dup2(fds[1], STDOUT_FILENO);
            const int e = ::open(m_errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(e, STDERR_FILENO);
            ::close(fds[0]);
            ::close(fds[1]);
            std::vector<std::string> args = {PRISM_CLI_BINARY, "simlm", "serve"};
            args.insert(args.end(), flags.begin(), flags.end());
            std::vector<char *> argv;
            for (auto &a : args)
                argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(PRISM_CLI_BINARY, argv.data());
            ::_exit(127);
        }
        ::close(fds[1]);
        std::string line;
        char c;
        while (::read(fds[0], &c, 1) == 1 && c != '\n')
            line += c;
        ::close(fds[0]);
        const auto at = line.find("http://");
        if (at != std::string::npos)
            m_url = line.substr(at);
    }
    ~SimServerProcess() { stop(); }

    const std::string &url() const { return m_url; }

    // Stops the server and returns what it said on the way out:
    // "simlm serve: stopped; N requests, M completions, faults: 429 x3, stall x1".
    std::string stop()
    {
        if (m_pid > 0) {
            ::kill(m_pid, SIGTERM);
            ::waitpid(m_pid, nullptr, 0);
            m_pid = -1;
        }
        std::ifstream in(m_errPath, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        return text.str();
    }

private:
    pid_t m_pid = -1;
    std::string m_url;
    std::filesystem::path m_errPath;
};

} // namespace prism::testsupport
