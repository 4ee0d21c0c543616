#include "teledx/core/ids.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <thread>
#include <vector>

TEST_CASE("random_hex returns lowercase hex of twice the byte count", "[core]") {
  REQUIRE(teledx::crypto_init());
  for (std::size_t n : {0u, 1u, 16u, 33u}) {
    const auto s = teledx::random_hex(n);
    CHECK(s.size() == 2 * n);
    CHECK(s.find_first_not_of("0123456789abcdef") == std::string::npos);
  }
}

TEST_CASE("new_id gives distinct 32-character ids across threads", "[core]") {
  std::vector<std::vector<std::string>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& ids : per_thread) {
    threads.emplace_back([&ids] {
      for (int i = 0; i < 500; ++i) ids.push_back(teledx::new_id());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& ids : per_thread) {
    for (const auto& id : ids) {
      CHECK(id.size() == 32);
      all.insert(id);
    }
  }
  CHECK(all.size() == 2000);
}

TEST_CASE("sha256_hex matches the FIPS 180-2 test vectors", "[core]") {
  CHECK(teledx::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(teledx::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
