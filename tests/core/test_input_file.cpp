// readInputFile: every input file is read within a byte limit, enforced while
// reading (issue 13 item 15; the CLI-level tests are in tests/edges/).
#include "core/input_file.h"

#include <gtest/gtest.h>

#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace prism;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string &haystack, const std::string &needle)
{
    return haystack.find(needle) != std::string::npos;
}

class InputFile : public ::testing::Test {
protected:
    fs::path dir;

    void SetUp() override
    {
        const auto *info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() / ("prism-input-" + std::to_string(::getpid()) + "-" + info->name());
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override
    {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    fs::path fileOf(std::size_t bytes)
    {
        const fs::path path = dir / ("f" + std::to_string(bytes));
        std::ofstream(path, std::ios::binary) << std::string(bytes, 'a');
        return path;
    }
};

} // namespace

TEST_F(InputFile, AFileOfExactlyTheLimitIsRead)
{
    // Sizes around the reader's 64 KiB chunk as well as small ones.
    for (std::size_t bytes : {std::size_t{0}, std::size_t{1}, std::size_t{100}, std::size_t{65536}, std::size_t{65537},
                              std::size_t{200000}}) {
        auto text = readInputFile(fileOf(bytes).string(), ReadLimit{bytes, "a test file", ""});
        ASSERT_TRUE(text.ok()) << bytes << ": " << text.error().message;
        EXPECT_EQ(text->size(), bytes);
    }
}

TEST_F(InputFile, OneByteOverTheLimitFailsNamingFileLimitAndSetting)
{
    for (std::size_t bytes : {std::size_t{1}, std::size_t{100}, std::size_t{65536}, std::size_t{200000}}) {
        const fs::path path = fileOf(bytes + 1);
        auto text = readInputFile(path.string(), ReadLimit{bytes, "a data file", "data.max_file_bytes in the study"});
        ASSERT_FALSE(text.ok()) << bytes;
        EXPECT_EQ(text.error().kind, ErrorKind::Io);
        EXPECT_TRUE(contains(text.error().message, path.string() + ": larger than the limit of " + describeBytes(bytes)
                                                       + " for a data file; raise data.max_file_bytes in the study"))
            << text.error().message;
    }
}

TEST_F(InputFile, AFixedLimitSaysSo)
{
    auto text = readInputFile(fileOf(11).string(), ReadLimit{10, "a study, program or price file", ""});
    ASSERT_FALSE(text.ok());
    EXPECT_TRUE(contains(text.error().message, "limit of 10 bytes for a study, program or price file; this limit is "
                                               "fixed"))
        << text.error().message;
}

TEST_F(InputFile, DescribesBytesInTheUnitTheyWereSetIn)
{
    EXPECT_EQ(describeBytes(1), "1 byte");
    EXPECT_EQ(describeBytes(1000), "1000 bytes");
    EXPECT_EQ(describeBytes(65536), "64 KiB (65536 bytes)");
    EXPECT_EQ(describeBytes(256 * kMiB), "256 MiB (268435456 bytes)");
}

// /dev/zero reports a size of 0 and never ends: only a limit while reading stops it.
TEST_F(InputFile, AnEndlessCharacterDeviceIsBounded)
{
    auto text = readInputFile("/dev/zero", ReadLimit{100000, "a data file", ""});
    ASSERT_FALSE(text.ok());
    EXPECT_TRUE(contains(text.error().message, "/dev/zero: larger than the limit of 100000 bytes"))
        << text.error().message;
}

// A FIFO whose writer never stops is read up to the limit, then left.
TEST_F(InputFile, AnEndlessFifoIsBounded)
{
    const fs::path fifo = dir / "pipe";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    // The writer learns the reader left from EPIPE, not from a signal that would end the test.
    const auto previous = std::signal(SIGPIPE, SIG_IGN);
    std::thread writer([&fifo] {
        const int fd = ::open(fifo.c_str(), O_WRONLY);
        if (fd < 0)
            return;
        const std::string chunk(4096, 'z');
        while (::write(fd, chunk.data(), chunk.size()) > 0) {}
        ::close(fd);
    });
    auto text = readInputFile(fifo.string(), ReadLimit{50000, "a data file", ""});
    writer.join();
    std::signal(SIGPIPE, previous);
    ASSERT_FALSE(text.ok());
    EXPECT_TRUE(contains(text.error().message, "larger than the limit of 50000 bytes")) << text.error().message;
}

// A FIFO whose writer stops within the limit is read whole.
TEST_F(InputFile, AFifoWithinTheLimitIsReadWhole)
{
    const fs::path fifo = dir / "pipe";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    std::thread writer([&fifo] { std::ofstream(fifo, std::ios::binary) << "{\"a\": 1}\n"; });
    auto text = readInputFile(fifo.string(), ReadLimit{1000, "a data file", ""});
    writer.join();
    ASSERT_TRUE(text.ok()) << text.error().message;
    EXPECT_EQ(text.value(), "{\"a\": 1}\n");
}

TEST_F(InputFile, DirectoriesAndMissingFilesAreNamed)
{
    auto directory = readInputFile(dir.string());
    ASSERT_FALSE(directory.ok());
    EXPECT_TRUE(contains(directory.error().message, "is a directory, not a file")) << directory.error().message;
    auto missing = readInputFile((dir / "nope.json").string());
    ASSERT_FALSE(missing.ok());
    EXPECT_TRUE(contains(missing.error().message, "nope.json: cannot open file for reading"))
        << missing.error().message;
}
