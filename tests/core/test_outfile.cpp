// writeFileAtomic and checkWritableOutput on every kind of thing an output path
// can name (issue 13 items 1 and 8; the CLI-level tests are in tests/edges/).
#include "core/outfile.h"

#include <gtest/gtest.h>

#include "../support/bound_socket.h"
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <thread>
#include <unistd.h>

using namespace prism;
namespace fs = std::filesystem;

namespace {

std::string readAll(const fs::path &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool contains(const std::string &haystack, const std::string &needle)
{
    return haystack.find(needle) != std::string::npos;
}

class OutFile : public ::testing::Test {
protected:
    fs::path dir;

    void SetUp() override
    {
        dir = fs::temp_directory_path()
              / ("prism-outfile-" + std::to_string(::getpid()) + "-"
                 + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override
    {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    // The names in dir, so a test can see that no temporary file was left.
    std::size_t entries() const
    {
        std::size_t n = 0;
        for ([[maybe_unused]] const auto &e : fs::directory_iterator(dir))
            ++n;
        return n;
    }
};

TEST_F(OutFile, ARegularFileIsReplacedKeepingItsPermissions)
{
    const fs::path file = dir / "key.json";
    std::ofstream(file) << "old";
    ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
    ASSERT_TRUE(writeFileAtomic(file.string(), "new"));
    EXPECT_EQ(readAll(file), "new");
    EXPECT_EQ(fs::status(file).permissions(), fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_EQ(entries(), 1u);
}

TEST_F(OutFile, ASymlinkIsWrittenThroughAndStaysALink)
{
    const fs::path target = dir / "target.json";
    const fs::path link = dir / "link.json";
    std::ofstream(target) << "old";
    fs::create_symlink(target, link);
    ASSERT_TRUE(writeFileAtomic(link.string(), "new"));
    EXPECT_TRUE(fs::is_symlink(link));
    EXPECT_EQ(readAll(target), "new");
    EXPECT_EQ(entries(), 2u);
}

TEST_F(OutFile, AChainOfRelativeLinksIsFollowedFromEachLinksDirectory)
{
    // a/first -> ../b/second -> real.json (in b/); neither is relative to the working directory.
    fs::create_directories(dir / "a");
    fs::create_directories(dir / "b");
    fs::create_symlink("../b/second", dir / "a" / "first");
    fs::create_symlink("real.json", dir / "b" / "second");
    std::ofstream(dir / "b" / "real.json") << "old";
    ASSERT_TRUE(writeFileAtomic((dir / "a" / "first").string(), "new"));
    EXPECT_TRUE(fs::is_symlink(dir / "a" / "first"));
    EXPECT_TRUE(fs::is_symlink(dir / "b" / "second"));
    EXPECT_EQ(readAll(dir / "b" / "real.json"), "new");
}

TEST_F(OutFile, ADanglingLinkCreatesItsTargetWhereItsDirectoryExists)
{
    fs::create_directories(dir / "out");
    fs::create_symlink("out/new.json", dir / "link");
    ASSERT_TRUE(writeFileAtomic((dir / "link").string(), "new"));
    EXPECT_TRUE(fs::is_symlink(dir / "link"));
    EXPECT_EQ(readAll(dir / "out" / "new.json"), "new");

    fs::create_symlink("missing/new.json", dir / "nowhere");
    auto refused = writeFileAtomic((dir / "nowhere").string(), "x");
    ASSERT_FALSE(refused);
    EXPECT_TRUE(contains(refused.error().message, (dir / "nowhere").string())) << refused.error().message;
    EXPECT_TRUE(contains(refused.error().message, "missing does not exist")) << refused.error().message;
    EXPECT_TRUE(fs::is_symlink(dir / "nowhere"));
}

TEST_F(OutFile, ALinkLoopIsRefused)
{
    fs::create_symlink("b", dir / "a");
    fs::create_symlink("a", dir / "b");
    auto refused = writeFileAtomic((dir / "a").string(), "x");
    ASSERT_FALSE(refused);
    EXPECT_TRUE(contains(refused.error().message, "symbolic links")) << refused.error().message;
    EXPECT_TRUE(fs::is_symlink(dir / "a"));
}

TEST_F(OutFile, AFifoIsStreamedToItsReader)
{
    const fs::path fifo = dir / "pipe";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    std::string received;
    std::thread reader([&] { received = readAll(fifo); });
    auto written = writeFileAtomic(fifo.string(), "streamed");
    if (!written) { // the reader still waits for a writer: let it go
        const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
        if (fd >= 0)
            ::close(fd);
    }
    reader.join();
    ASSERT_TRUE(written) << written.error().message;
    EXPECT_EQ(received, "streamed");
    EXPECT_TRUE(fs::is_fifo(fifo));
    EXPECT_EQ(entries(), 1u);
}

TEST_F(OutFile, ACharacterDeviceIsWrittenNotReplaced)
{
    // Our own node for /dev/null's device where we may make one (root), so a
    // regression replaces a file in dir, never the system's /dev/null.
    fs::path device = dir / "null";
    if (::mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0)
        device = "/dev/null";
    ASSERT_TRUE(writeFileAtomic(device.string(), "discarded"));
    EXPECT_TRUE(fs::is_character_file(device));
    const fs::path link = dir / "to-null";
    fs::create_symlink(device, link);
    ASSERT_TRUE(writeFileAtomic(link.string(), "discarded"));
    EXPECT_TRUE(fs::is_symlink(link));
    EXPECT_TRUE(fs::is_character_file(device));
}

TEST_F(OutFile, ADirectoryOrSocketIsRefusedAndLeftAlone)
{
    fs::create_directories(dir / "sub");
    auto refused = writeFileAtomic((dir / "sub").string(), "x");
    ASSERT_FALSE(refused);
    EXPECT_TRUE(contains(refused.error().message, (dir / "sub").string() + ": is a directory"))
        << refused.error().message;
    EXPECT_TRUE(fs::is_directory(dir / "sub"));

    const fs::path socketPath = dir / "sock";
    const prism::test::BoundSocket socket(socketPath.string());
    ASSERT_GE(socket.fd(), 0) << socketPath;
    auto socketRefused = checkWritableOutput(socketPath.string());
    ASSERT_FALSE(socketRefused);
    EXPECT_TRUE(contains(socketRefused.error().message, "is a socket")) << socketRefused.error().message;
    EXPECT_TRUE(fs::is_socket(socketPath));
}

TEST_F(OutFile, TheCheckSaysWhatTheWriteWouldMeetAndCreatesNothing)
{
    EXPECT_TRUE(checkWritableOutput((dir / "new.json").string()));
    auto missing = checkWritableOutput((dir / "no" / "such" / "x.json").string());
    ASSERT_FALSE(missing);
    EXPECT_TRUE(contains(missing.error().message, (dir / "no" / "such").string() + " does not exist"))
        << missing.error().message;
    std::ofstream(dir / "file") << "x";
    auto underFile = checkWritableOutput((dir / "file" / "x.json").string());
    ASSERT_FALSE(underFile);
    EXPECT_TRUE(contains(underFile.error().message, "not a directory")) << underFile.error().message;
    // Checking a FIFO must not open it: that would wait for a reader forever.
    ASSERT_EQ(::mkfifo((dir / "pipe").c_str(), 0600), 0);
    EXPECT_TRUE(checkWritableOutput((dir / "pipe").string()));
    EXPECT_EQ(entries(), 2u);
}

TEST_F(OutFile, AStreamOpensThroughALinkAndTruncatesInPlace)
{
    const fs::path target = dir / "events.jsonl";
    std::ofstream(target) << "an older, longer log\n";
    fs::create_symlink("events.jsonl", dir / "log");
    auto opened = openOutputStream((dir / "log").string());
    ASSERT_TRUE(opened) << opened.error().message;
    std::fputs("{}\n", opened.value());
    std::fclose(opened.value());
    EXPECT_TRUE(fs::is_symlink(dir / "log"));
    EXPECT_EQ(readAll(target), "{}\n");
}

} // namespace
