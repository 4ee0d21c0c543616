#pragma once
// The server's fuzz target for STOW-RS bodies: the multipart splitter that spools each part into its own file while
// the request arrives. A body arrives in whatever pieces TCP hands over, so the promise checked is that the pieces
// do not matter: any cut gives the same parts with the same bytes, or the same refusal. Built by scripts/fuzz.sh and
// replayed over tests/data/server/fuzz by the server tests.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace teledx::server::fuzz {

/// The first byte seeds the cuts; then the boundary up to the first '\n' (at most 70 bytes, as RFC 2046 allows),
/// then the body. The body is split whole and in pieces of 1 to 64 bytes; the outcomes must agree.
void stow_multipart(std::span<const std::uint8_t> input);

using Target = void (*)(std::span<const std::uint8_t>);
/// The targets by name ("stow_multipart"); nullptr for another name.
Target target_named(std::string_view name);

}  // namespace teledx::server::fuzz
