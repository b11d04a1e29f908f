#pragma once

#include "core/result.h"

#include <string>

namespace prism {

// Where Prism keeps per-user state (response cache, price table):
// $PRISM_DATA_DIR, else $XDG_DATA_HOME/prism, else ~/.local/share/prism.
// Created on demand; an Io error says which directory could not be made.
Result<std::string> userDataDir();

// userDataDir() + "/" + name.
Result<std::string> userDataPath(const std::string &name);

} // namespace prism
