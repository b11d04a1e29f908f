#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace prism {

// Small text helpers shared by the dataset readers.

// Offset of the first byte that is not valid UTF-8 (overlong forms,
// surrogates and code points above U+10FFFF are invalid), or npos.
std::size_t findInvalidUtf8(std::string_view text);

// 1-based line and column of a byte offset; the column counts code points,
// as editors do.
void lineColumnAt(std::string_view text, std::size_t offset, int &line, int &column);

// Column (1-based, in code points) of `offset` within a line starting at `lineStart`.
int columnAt(std::string_view text, std::size_t lineStart, std::size_t offset);

// "'text'", shortened for error messages.
std::string quotedForError(std::string_view text);

} // namespace prism
