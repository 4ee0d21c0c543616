#include "teledx/core/clock.hpp"

#include <catch2/catch.hpp>

TEST_CASE("format_iso8601 writes UTC with milliseconds", "[core]") {
  CHECK(teledx::format_iso8601(0) == "1970-01-01T00:00:00.000Z");
  CHECK(teledx::format_iso8601(1'795'909'626'123) == "2026-11-28T23:47:06.123Z");
  CHECK(teledx::format_iso8601(951'782'400'007) == "2000-02-29T00:00:00.007Z");
  CHECK(teledx::format_iso8601(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("the system clock reads the current time in milliseconds", "[core]") {
  teledx::SystemClock clock;
  const auto a = clock.now_ms();
  const auto b = clock.now_ms();
  CHECK(a > 1'700'000'000'000);  // after 2023
  CHECK(b >= a);
}
