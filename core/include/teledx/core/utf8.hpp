#pragma once
// UTF-8 checks and the GB18030 decoding Chinese devices need: text from files and modalities is UTF-8 before it is
// stored, indexed or written as JSON (nlohmann's dump() throws on invalid UTF-8).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace teledx {

/// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no overlong forms, no surrogates, at most
/// U+10FFFF), 0 when none starts there.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);
bool is_utf8(std::string_view s);
/// The whole text decoded from GB18030 (a superset of GB2312 and GBK, what Chinese carts, modalities and PCs write
/// without declaring it); nullopt when some byte sequence does not decode.
std::optional<std::string> gb18030_to_utf8(std::string_view s);

}  // namespace teledx
