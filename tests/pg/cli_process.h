#pragma once

// The built `prism` as a child of a PostgreSQL test: one command run to its
// end, or a long-lived process (a worker, the API server) spawned with its
// own data folder and waited for.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char **environ;

namespace prism::test {

inline std::string fileText(const std::filesystem::path &path)
{
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

struct CliRun {
    int exitCode = -1;
    std::string out;
};

// `prism ARGS` with its own data folder; stdout (and stderr) captured.
inline CliRun runCli(const std::filesystem::path &dir, const std::string &env, const std::string &args)
{
    const std::string out = (dir / "out.txt").string();
    const std::string cmd = "PRISM_DATA_DIR='" + (dir / "data").string() + "' " + env + " '" + PRISM_CLI_BINARY + "' "
                            + args + " >'" + out + "' 2>'" + (dir / "err.txt").string() + "' </dev/null";
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, fileText(out) + fileText(dir / "err.txt")};
}

// `prism ARGS` as a child process with its own data folder (and extra
// environment variables), stdout and stderr to log.
inline pid_t spawnPrism(const std::vector<std::string> &args, const std::filesystem::path &dataDir,
                        const std::filesystem::path &log, const std::vector<std::string> &extraEnv = {})
{
    std::vector<std::string> env;
    for (char **e = environ; *e; ++e)
        if (std::string(*e).rfind("PRISM_DATA_DIR=", 0) != 0)
            env.emplace_back(*e);
    env.push_back("PRISM_DATA_DIR=" + dataDir.string());
    env.insert(env.end(), extraEnv.begin(), extraEnv.end());
    std::vector<char *> envp;
    for (auto &e : env)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> full = {"prism"};
    full.insert(full.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (const auto &a : full)
        argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::execve(PRISM_CLI_BINARY, argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(fd);
    return pid;
}

// `prism serve --worker` on the queue of url, quick to claim and to lose a lease.
inline pid_t spawnWorker(const std::filesystem::path &dataDir, const std::string &url, const std::filesystem::path &log,
                         const std::vector<std::string> &extraEnv = {}, const std::vector<std::string> &extraArgs = {})
{
    std::vector<std::string> args = {"serve",          "--worker", "--store",         url, "--lease-seconds", "2",
                                     "--poll-seconds", "0.1",      "--exit-when-idle"};
    args.insert(args.end(), extraArgs.begin(), extraArgs.end());
    return spawnPrism(args, dataDir, log, extraEnv);
}

// Waits for a child; -1 when it did not end within the time (it is killed).
inline int waitExit(pid_t pid, std::chrono::seconds limit)
{
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return -1;
}

} // namespace prism::test
