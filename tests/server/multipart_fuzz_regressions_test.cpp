// Replays tests/data/server/fuzz/stow_multipart/ through the STOW multipart fuzz target of scripts/fuzz.sh in the
// ordinary build: bodies split whole and in pieces must give the same parts or the same refusal.
#include <catch2/catch.hpp>

#include "fuzz/multipart_fuzz_targets.hpp"
#include "fuzz/replay.hpp"

TEST_CASE("STOW bodies from the fuzz corpus split the same whole and in pieces", "[server][multipart][fuzz]") {
  const auto dir = std::filesystem::path(TELEDX_TEST_DATA_DIR) / "server/fuzz/stow_multipart";
  CHECK(teledx::test::replay_corpus(dir, teledx::server::fuzz::target_named("stow_multipart")) >= 3);
}
