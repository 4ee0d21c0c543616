#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace teledx {

/// Cryptographically random bytes as lowercase hex (2*n characters). Uses libsodium.
std::string random_hex(std::size_t n_bytes);
/// Random identifier for requests, sessions and records: 16 random bytes as hex.
std::string new_id();
/// Lowercase hex SHA-256 of the bytes.
std::string sha256_hex(std::string_view bytes);
/// Initialises libsodium once; safe to call from many threads. Returns false if the library is unusable.
bool crypto_init();

}  // namespace teledx
