// libFuzzer entry points for one target, chosen at build time by
// PRISM_FUZZ_TARGET (fuzz/CMakeLists.txt builds one executable per target).
#include "fuzz_targets.h"

#include <cstdio>
#include <cstdlib>

namespace {

const prism::fuzz::Target &target()
{
    static const prism::fuzz::Target *found = prism::fuzz::findTarget(PRISM_FUZZ_TARGET);
    if (!found) {
        std::fprintf(stderr, "no fuzz target named %s\n", PRISM_FUZZ_TARGET);
        std::abort();
    }
    return *found;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    prism::fuzz::initialize(target());
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    return target().body(data, size);
}
