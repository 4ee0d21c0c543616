#include "multipart_fuzz_targets.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <unistd.h>
#include <vector>

#include "teledx/server/multipart_stream.hpp"

namespace teledx::server::fuzz {
namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "multipart fuzz: %s\n", what);
  std::abort();
}

struct Outcome {
  bool ok = false;
  std::string error;
  std::vector<std::string> content_types, bodies;
};

std::string read_whole(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Splits `body` fed in pieces whose sizes come from `seed` (0: whole), as the STOW route feeds what it reads.
Outcome split(const std::string& boundary, std::string_view body, std::uint32_t seed, const std::filesystem::path& dir) {
  int n = 0;
  MultipartSpooler spooler(boundary, [&] { return dir / ("part-" + std::to_string(n++)); }, 16);
  bool ok = true;
  while (ok && !body.empty()) {
    std::size_t piece = body.size();
    if (seed != 0) {
      seed = seed * 1103515245u + 12345u;
      piece = std::min<std::size_t>(body.size(), 1 + (seed >> 16) % 64);
    }
    ok = spooler.feed(body.substr(0, piece));
    body.remove_prefix(piece);
  }
  Outcome out;
  out.ok = ok && spooler.finish();
  if (!out.ok) {
    out.error = spooler.error();
    if (out.error.empty()) broken("a body was refused without a reason");
  } else {
    for (const auto& p : spooler.parts()) {
      if (p.write_failed) broken("a part's file could not be written");
      out.content_types.push_back(p.content_type);
      out.bodies.push_back(read_whole(p.file));
      if (out.bodies.back().size() != p.size) broken("a part's size is not its file's");
    }
  }
  spooler.discard();
  return out;
}

}  // namespace

void stow_multipart(std::span<const std::uint8_t> input) {
  if (input.empty()) return;
  const std::uint32_t seed = 1 + input[0];
  const std::string_view rest(reinterpret_cast<const char*>(input.data()) + 1, input.size() - 1);
  const auto eol = rest.find('\n');
  if (eol == std::string_view::npos || eol > 70) return;
  const std::string boundary(rest.substr(0, eol));
  const std::string_view body = rest.substr(eol + 1);
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("teledx-multipart-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  const Outcome whole = split(boundary, body, 0, dir);
  const Outcome pieces = split(boundary, body, seed, dir);
  if (whole.ok != pieces.ok) broken(whole.ok ? "a body accepted whole was refused in pieces" : "a body refused whole was accepted in pieces");
  if (whole.content_types != pieces.content_types) broken("the parts' content types depend on how the body was cut");
  if (whole.bodies != pieces.bodies) broken("the parts' bytes depend on how the body was cut");
}

Target target_named(std::string_view name) {
  if (name == "stow_multipart") return &stow_multipart;
  return nullptr;
}

}  // namespace teledx::server::fuzz
