#pragma once

#include <string>
#include <string_view>

namespace prism {

// Byte-wise ASCII text helpers, the one copy the engine uses. They never
// consult the C locale: std::isspace and std::tolower follow setlocale (which
// QCoreApplication calls with the user's locale), and under a legacy 8-bit
// locale they would treat bytes of UTF-8 sequences as spaces or letters. In the
// "C" locale and in any UTF-8 locale they agree with these helpers.

// The bytes std::isspace accepts in the "C" locale: space, \t, \n, \v, \f, \r.
inline constexpr std::string_view kAsciiWhitespace = " \t\n\v\f\r";

// `text` without its leading and trailing bytes that occur in `chars` (ASCII
// whitespace unless told). Inner bytes are kept; all-whitespace gives "".
std::string trimmed(std::string_view text, std::string_view chars = kAsciiWhitespace);

// `text` with A-Z mapped to a-z; every other byte, UTF-8 sequences included,
// is kept as it is.
std::string toLowerAscii(std::string_view text);

// Now in UTC, as strftime's format writes it (at most 63 characters).
std::string utcNow(const char *format);
// Now as ISO 8601 UTC to the second ("2026-12-05T21:00:00Z"): the stores' timestamps.
std::string isoNowUtc();

} // namespace prism
