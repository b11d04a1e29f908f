#pragma once

// The bodies of Prism's fuzz targets, one per parser of outside input. Plain
// C++ with no libFuzzer dependency: the same bodies run under libFuzzer
// (fuzz/fuzz_main.cpp, clang, ASan+UBSan) and in the regression test that
// replays the committed corpora (tests/fuzz/test_fuzz_regressions.cpp).
//
// A body checks invariants, not only "no crash": an accepted input survives a
// round trip, an error names the source it came from, parsed values have their
// declared types. A broken invariant traps, which libFuzzer reports as a crash
// and the regression test as a death.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace prism::fuzz {

using Body = int (*)(const std::uint8_t *data, std::size_t size);

struct Target {
    const char *name; // also the folder of its corpus and regressions
    Body body;
    bool needsScripting = false; // the JS metric target needs a QCoreApplication
};

// Every target, in a fixed order.
const std::vector<Target> &targets();
const Target *findTarget(const std::string &name);

// Called once before any body (libFuzzer's LLVMFuzzerInitialize): starts the
// scripting runtime when a target needs it and this build has it.
void initialize(const Target &target);

} // namespace prism::fuzz
