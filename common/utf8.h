// UTF-8 checks for text that arrives from outside (URLs, JSON strings) and
// for text the coordinator cuts (error texts, messages that quote input), so
// that nothing it stores or sends is ill-formed UTF-8: JSON serialisers reject
// such text, and a reply that cannot be serialised is a crash waiting to happen.
//
// Thread safety: pure functions.
#ifndef HPSWEEP_COMMON_UTF8_H_
#define HPSWEEP_COMMON_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace hpsweep {

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// The longest prefix of `text` of at most `max_bytes` that does not end inside
// a multi-byte character. REQUIRES nothing of `text`; the result is valid
// UTF-8 when `text` is.
std::string_view TruncateUtf8(std::string_view text, size_t max_bytes);

// `text` made safe to quote in a message: well-formed characters are kept,
// every byte of an ill-formed sequence and every C0 control character and
// DEL becomes "\xHH", every C1 control character (U+0080..U+009F, which
// some terminals take as escape sequences) "\u00HH", and the result is cut
// to about `max_bytes` with "..." appended. Always valid UTF-8.
std::string QuoteForMessage(std::string_view text, size_t max_bytes = 80);

// True when `text` holds a control character: C0 (U+0000..U+001F, tab and
// newline included), DEL, or C1 (U+0080..U+009F). Names that a terminal
// shows (sweeps, parameters, metrics, clients) must have none: an escape
// sequence in a name would rewrite the screen of whoever lists it.
bool HasControlCharacter(std::string_view text);

}  // namespace hpsweep

#endif  // HPSWEEP_COMMON_UTF8_H_
