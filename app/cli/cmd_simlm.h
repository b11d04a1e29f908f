#pragma once

#include <string>
#include <vector>

namespace prism::cli {

std::string simlmServeUsage();
// `prism simlm serve ...`: args are what follows "serve". Serves SimLm on
// 127.0.0.1 until SIGINT or SIGTERM; returns the process exit code (2 on bad flags).
int cmdSimlmServe(const std::vector<std::string> &args);

} // namespace prism::cli
