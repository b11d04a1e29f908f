// prism_bench_cache [--answers N] [--no-check]
//
// Disk writes of the response cache per new answer (issue 17): N answers
// (default 20,000) put into a fresh cache file, as an evaluation on
// distinct examples does, once with one transaction per answer (what Prism
// did before batching: writeBatch 1) and once with the default batched
// writes, side by side in one run. "Written" is the bytes the process handed
// to write() (wchar of /proc/self/io: the WAL, the checkpoints into the file,
// the file itself); block-layer writes (write_bytes) are printed too.
//
// One JSON line per mode on stdout. Exits 1 when the batched mode writes
// more than 2 KB per answer (the target), unless --no-check.

#include "core/hash.h"
#include "lm/response_cache.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using namespace prism;
namespace fs = std::filesystem;

namespace {

struct IoCounters {
    long long wchar = 0;
    long long writeBytes = 0;
};

IoCounters readIo()
{
    IoCounters io;
    std::ifstream in("/proc/self/io");
    std::string name;
    long long value = 0;
    while (in >> name >> value) {
        if (name == "wchar:")
            io.wchar = value;
        else if (name == "write_bytes:")
            io.writeBytes = value;
    }
    return io;
}

// An answer the size of a moderation answer through the ChatAdapter.
ChatResponse answerFor(long long i)
{
    ChatResponse r;
    r.choices = {"[[ ## severity ## ]]\nmedium\n\n[[ ## policy_violations ## ]]\n[\"harassment\"]\n\n[[ ## completed "
                 "## ]]\n(answer "
                 + std::to_string(i) + ")"};
    r.usage.promptTokens = 412;
    r.usage.completionTokens = 31;
    r.model = "sim-small";
    r.requestId = "sim-" + std::to_string(i);
    r.latencyMs = 50.0;
    return r;
}

struct Measured {
    double bytesPerAnswer = 0.0;
    double blockBytesPerAnswer = 0.0;
    long long fileBytes = 0;
    double seconds = 0.0;
};

Measured measure(const fs::path &dir, const char *name, ResponseCacheOptions options, long long answers)
{
    const fs::path file = dir / (std::string(name) + ".sqlite");
    const IoCounters before = readIo();
    const auto start = std::chrono::steady_clock::now();
    {
        auto cache = ResponseCache::open(file.string(), options);
        if (!cache) {
            std::fprintf(stderr, "%s\n", cache.error().message.c_str());
            std::exit(2);
        }
        for (long long i = 0; i < answers; ++i) {
            const std::string key = sha256Hex("bench-key-" + std::to_string(i));
            if (auto put = cache.value()->put(key, answerFor(i)); !put) {
                std::fprintf(stderr, "%s\n", put.error().message.c_str());
                std::exit(2);
            }
        }
    } // closing writes what is held and checkpoints the WAL
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const IoCounters after = readIo();
    Measured m;
    m.bytesPerAnswer = static_cast<double>(after.wchar - before.wchar) / static_cast<double>(answers);
    m.blockBytesPerAnswer = static_cast<double>(after.writeBytes - before.writeBytes) / static_cast<double>(answers);
    m.fileBytes = static_cast<long long>(fs::file_size(file));
    m.seconds = seconds;
    std::printf("{\"mode\": \"%s\", \"answers\": %lld, \"written_bytes_per_answer\": %.0f, "
                "\"block_bytes_per_answer\": %.0f, \"file_bytes\": %lld, \"seconds\": %.2f}\n",
                name, answers, m.bytesPerAnswer, m.blockBytesPerAnswer, m.fileBytes, m.seconds);
    std::fflush(stdout);
    return m;
}

} // namespace

int main(int argc, char **argv)
{
    long long answers = 20000;
    bool check = true;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--answers" && i + 1 < argc)
            answers = std::atoll(argv[++i]);
        else if (arg == "--no-check")
            check = false;
        else {
            std::fprintf(stderr, "usage: prism_bench_cache [--answers N] [--no-check]\n");
            return 2;
        }
    }
    char pattern[] = "/tmp/prism-bench-cache-XXXXXX";
    if (!::mkdtemp(pattern))
        return 2;
    const fs::path dir = pattern;
    ResponseCacheOptions perAnswer;
    perAnswer.writeBatch = 1;
    const Measured before = measure(dir, "one_transaction_per_answer", perAnswer, answers);
    const Measured after = measure(dir, "batched", ResponseCacheOptions{}, answers);
    std::printf("{\"ratio_written\": %.3f}\n", after.bytesPerAnswer / before.bytesPerAnswer);
    fs::remove_all(dir);
    if (check && after.bytesPerAnswer > 2048.0) {
        std::fprintf(stderr, "batched writes: %.0f bytes per answer, above the 2 KB target\n", after.bytesPerAnswer);
        return 1;
    }
    return 0;
}
