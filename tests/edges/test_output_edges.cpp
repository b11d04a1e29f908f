// Issue 13, "Edges": the files a command writes. Output paths that are
// symlinks, FIFOs or devices were replaced by regular files (item 1), a bad
// --out was found only after the whole run (item 8), and a load error left an
// empty events file and run store behind (item 13).
#include "../support/bound_socket.h"
#include "edges_cli.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstring>
#include <thread>

using namespace edges;

namespace {

class OutputEdges : public EdgeTest {
protected:
    fs::path store() const { return dir / "runs.sqlite"; }

    // A finished run (LabeledFewShot: a second or so on SimLm) to export; its
    // artifact, events, prompt and trials written to plain files in plain/.
    std::string finishedRun()
    {
        const fs::path study = sampleCopy("moderation");
        const CliResult r = prism({"optimize", study.string(), "--optimizer", "labeled", "--no-compare", "--json",
                                   "--quiet", "--store", store().string(), "--out", (dir / "optimized.json").string()});
        EXPECT_EQ(r.exitCode, 0) << r.err;
        const std::string key = "\"run_id\": \"";
        const auto at = r.out.find(key);
        if (at == std::string::npos)
            return {};
        const std::string id = r.out.substr(at + key.size(), r.out.find('"', at + key.size()) - at - key.size());
        fs::create_directories(dir / "plain");
        const CliResult plain = exportTo(id, {{"--out", dir / "plain" / "out"},
                                              {"--events", dir / "plain" / "events"},
                                              {"--prompt", dir / "plain" / "prompt"},
                                              {"--trials", dir / "plain" / "trials"}});
        EXPECT_EQ(plain.exitCode, 0) << plain.err;
        return id;
    }

    CliResult exportTo(const std::string &runId, const std::vector<std::pair<std::string, fs::path>> &outputs)
    {
        std::vector<std::string> args = {"export", runId, "--store", store().string()};
        for (const auto &[flag, path] : outputs) {
            args.push_back(flag);
            args.push_back(path.string());
        }
        return prism(args);
    }

    // What the same flag wrote to a plain file.
    std::string plain(const std::string &flag) const { return readAll(dir / "plain" / flag.substr(2)); }
};

const std::vector<std::string> kExportFlags = {"--out", "--events", "--prompt", "--trials"};

// Item 1: a symlink to a regular file is written through; the link stays.
TEST_F(OutputEdges, ExportWritesThroughASymlinkToItsTarget)
{
    const std::string run = finishedRun();
    ASSERT_FALSE(run.empty());
    for (const auto &flag : kExportFlags) {
        SCOPED_TRACE(flag);
        const fs::path target = dir / ("target" + flag);
        const fs::path link = dir / ("link" + flag);
        writeAll(target, "old");
        fs::create_symlink(target, link);
        const CliResult r = exportTo(run, {{flag, link}});
        ASSERT_EQ(r.exitCode, 0) << r.err;
        EXPECT_TRUE(fs::is_symlink(link));
        EXPECT_FALSE(plain(flag).empty());
        EXPECT_EQ(readAll(target), plain(flag));
    }
}

// Item 1: replacing the target keeps its permission bits (a 0600 file stays private).
TEST_F(OutputEdges, ReplacingAFileKeepsItsPermissions)
{
    const std::string run = finishedRun();
    ASSERT_FALSE(run.empty());
    const fs::path target = dir / "private.json";
    writeAll(target, "old");
    fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write);
    fs::create_symlink(target, dir / "link.json");
    ASSERT_EQ(exportTo(run, {{"--out", dir / "link.json"}}).exitCode, 0);
    EXPECT_EQ(readAll(target), plain("--out"));
    EXPECT_EQ(fs::status(target).permissions(), fs::perms::owner_read | fs::perms::owner_write);
}

// Item 1: a chain of relative links is followed, each from its own directory
// (not the working directory), to the final file.
TEST_F(OutputEdges, ExportFollowsAChainOfRelativeLinks)
{
    const std::string run = finishedRun();
    ASSERT_FALSE(run.empty());
    fs::create_directories(dir / "a");
    fs::create_directories(dir / "b");
    fs::create_symlink("../b/second", dir / "a" / "first");
    fs::create_symlink("trials.csv", dir / "b" / "second");
    writeAll(dir / "b" / "trials.csv", "old");
    const CliResult r = exportTo(run, {{"--trials", dir / "a" / "first"}});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_TRUE(fs::is_symlink(dir / "a" / "first"));
    EXPECT_TRUE(fs::is_symlink(dir / "b" / "second"));
    EXPECT_EQ(readAll(dir / "b" / "trials.csv"), plain("--trials"));
    EXPECT_FALSE(fs::exists(dir / "a" / "trials.csv"));
}

// Item 1: a dangling link creates its target; one into a missing directory is refused.
TEST_F(OutputEdges, ADanglingLinkCreatesItsTarget)
{
    const std::string run = finishedRun();
    ASSERT_FALSE(run.empty());
    fs::create_directories(dir / "out");
    fs::create_symlink("out/program.json", dir / "program.json");
    const CliResult r = exportTo(run, {{"--out", dir / "program.json"}});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_TRUE(fs::is_symlink(dir / "program.json"));
    EXPECT_EQ(readAll(dir / "out" / "program.json"), plain("--out"));

    fs::create_symlink("gone/program.json", dir / "nowhere.json");
    const CliResult refused = exportTo(run, {{"--out", dir / "nowhere.json"}});
    EXPECT_EQ(refused.exitCode, 3);
    EXPECT_TRUE(contains(refused.err, (dir / "nowhere.json").string())) << refused.err;
    EXPECT_TRUE(contains(refused.err, "gone does not exist")) << refused.err;
    EXPECT_TRUE(fs::is_symlink(dir / "nowhere.json"));
}

// Item 1: a link to /proc/self/fd/1 (what /dev/stdout is) writes to the
// command's stdout, and the link stays a link.
TEST_F(OutputEdges, ALinkToStdoutWritesToStdout)
{
    const std::string run = finishedRun();
    ASSERT_FALSE(run.empty());
    fs::create_symlink("/proc/self/fd/1", dir / "stdout-link");
    const CliResult r = exportTo(run, {{"--trials", dir / "stdout-link"}});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_TRUE(fs::is_symlink(dir / "stdout-link"));
    EXPECT_EQ(r.out, plain("--trials"));
}

// Item 1: a FIFO is streamed to its reader, no temporary file, no rename.
TEST_F(OutputEdges, ExportAndOptimizeStreamIntoAFifo)
{
    const std::string run = finishedRun();
    ASSERT_FALSE(run.empty());
    const fs::path fifo = dir / "pipe";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto throughFifo = [&](const std::vector<std::string> &args) {
        std::string received;
        std::thread reader([&] { received = readAll(fifo); });
        const CliResult r = prism(args);
        // Had the command never opened the FIFO, the reader would wait forever.
        const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
        if (fd >= 0)
            ::close(fd);
        reader.join();
        EXPECT_EQ(r.exitCode, 0) << r.err;
        EXPECT_TRUE(fs::is_fifo(fifo));
        return received;
    };
    for (const auto &flag : kExportFlags) {
        SCOPED_TRACE(flag);
        EXPECT_EQ(throughFifo({"export", run, "--store", store().string(), flag, fifo.string()}), plain(flag));
    }
    // The event log of a run is streamed as it happens.
    const std::string events =
        throughFifo({"optimize", (dir / "study" / "moderation.prism.json").string(), "--optimizer", "labeled",
                     "--no-compare", "--quiet", "--store", store().string(), "--events", fifo.string()});
    EXPECT_TRUE(contains(events, "\"run_started\"")) << events;
    EXPECT_TRUE(contains(events, "\"run_finished\"")) << events;
    EXPECT_TRUE(fs::is_fifo(fifo));
}

// Item 1: a character device is written, never replaced. Our own node for
// /dev/null's device where we may make one (root), so that a regression
// replaces a file in the test directory, not the system's /dev/null.
TEST_F(OutputEdges, ACharacterDeviceStaysADevice)
{
    const std::string run = finishedRun();
    ASSERT_FALSE(run.empty());
    fs::path device = dir / "null";
    if (::mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0)
        device = "/dev/null";
    for (const auto &flag : kExportFlags) {
        SCOPED_TRACE(flag);
        const CliResult r = exportTo(run, {{flag, device}});
        EXPECT_EQ(r.exitCode, 0) << r.err;
        EXPECT_TRUE(fs::is_character_file(device));
    }
    const CliResult r =
        prism({"optimize", (dir / "study" / "moderation.prism.json").string(), "--optimizer", "labeled", "--no-compare",
               "--quiet", "--store", store().string(), "--out", device.string(), "--events", device.string()});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    EXPECT_TRUE(fs::is_character_file(device));
}

// Item 1: a directory or a socket is refused, named, and left as it was; no
// other file of the command is written.
TEST_F(OutputEdges, ADirectoryOrSocketIsRefusedByName)
{
    const std::string run = finishedRun();
    ASSERT_FALSE(run.empty());
    fs::create_directories(dir / "folder");
    for (const auto &flag : kExportFlags) {
        SCOPED_TRACE(flag);
        const CliResult r = exportTo(run, {{"--out", dir / "first.json"}, {flag, dir / "folder"}});
        EXPECT_EQ(r.exitCode, 3);
        EXPECT_TRUE(contains(r.err, (dir / "folder").string() + ": is a directory, not a file")) << r.err;
        EXPECT_TRUE(fs::is_directory(dir / "folder"));
        EXPECT_TRUE(fs::is_empty(dir / "folder"));
        if (flag != "--out") {
            EXPECT_FALSE(fs::exists(dir / "first.json")) << "an output was written before all were checked";
        }
    }

    const fs::path socketPath = dir / "sock";
    const prism::test::BoundSocket socket(socketPath.string());
    ASSERT_GE(socket.fd(), 0) << socketPath;
    const CliResult r = exportTo(run, {{"--trials", socketPath}});
    EXPECT_EQ(r.exitCode, 3);
    EXPECT_TRUE(contains(r.err, socketPath.string() + ": is a socket")) << r.err;
    EXPECT_TRUE(fs::is_socket(socketPath));
}

// Item 8: optimize's --out or --events into a missing directory is refused
// before any model call: no run, no store, no other file.
TEST_F(OutputEdges, OptimizeRefusesAMissingDirectoryBeforeTheRun)
{
    const fs::path study = sampleCopy("moderation");
    for (const std::string flag : {"--out", "--events"}) {
        SCOPED_TRACE(flag);
        const fs::path bad = dir / "no-such-dir" / "file";
        const CliResult r = prism({"optimize", study.string(), "--quiet", "--store", store().string(), flag,
                                   bad.string(), flag == "--out" ? "--events" : "--out", (dir / "other").string()});
        EXPECT_EQ(r.exitCode, 3);
        EXPECT_TRUE(
            contains(r.err, bad.string() + ": the directory " + (dir / "no-such-dir").string() + " does not exist"))
            << r.err;
        EXPECT_FALSE(contains(r.err, "run ")) << "a run was started: " << r.err;
        EXPECT_FALSE(fs::exists(store()));
        EXPECT_FALSE(fs::exists(dir / "other"));
        EXPECT_FALSE(fs::exists(dir / "no-such-dir"));
    }
}

// Item 8: resume checks its outputs before it replays anything.
TEST_F(OutputEdges, ResumeRefusesABadOutputBeforeTheRun)
{
    const std::string run = finishedRun();
    ASSERT_FALSE(run.empty());
    fs::create_directories(dir / "folder");
    const CliResult r = prism({"resume", run, "--store", store().string(), "--out", (dir / "folder").string()});
    EXPECT_EQ(r.exitCode, 3);
    EXPECT_TRUE(contains(r.err, (dir / "folder").string() + ": is a directory")) << r.err;
}

// Item 13: a study that does not load leaves nothing behind: no events file,
// no run store, no artifact.
TEST_F(OutputEdges, ALoadErrorCreatesNoFiles)
{
    const fs::path study = sampleCopy("moderation");
    writeAll(study.parent_path() / "train.jsonl", "{\"snippet\": \"unterminated\n");
    const CliResult r = prism({"optimize", study.string(), "--quiet", "--store", store().string(), "--events",
                               (dir / "events.jsonl").string(), "--out", (dir / "program.json").string()});
    EXPECT_EQ(r.exitCode, 3) << r.err;
    EXPECT_TRUE(contains(r.err, "train.jsonl")) << r.err;
    EXPECT_FALSE(fs::exists(dir / "events.jsonl"));
    EXPECT_FALSE(fs::exists(store()));
    EXPECT_FALSE(fs::exists(dir / "program.json"));
    EXPECT_FALSE(fs::exists(dir / "artifacts"));
}

// Item 13: export and resume read an existing store; a mistyped --store is
// said so, not created empty.
TEST_F(OutputEdges, AMissingStoreIsNotCreated)
{
    for (const std::string command : {"export", "resume"}) {
        SCOPED_TRACE(command);
        const fs::path typo = dir / "rnus.sqlite";
        const CliResult r = prism({command, "20260101-000000-abcd", "--store", typo.string()});
        EXPECT_EQ(r.exitCode, 3);
        EXPECT_TRUE(contains(r.err, "no run 20260101-000000-abcd: the run store " + typo.string() + " does not exist"))
            << r.err;
        EXPECT_FALSE(fs::exists(typo));
    }
}

} // namespace
