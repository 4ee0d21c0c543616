#include <catch2/catch.hpp>

#include "teledx/core/age.hpp"

using teledx::age_on;

TEST_CASE("An age in whole years turns on the birthday itself", "[core]") {
  CHECK(age_on("19860615", 2026, 6, 14) == 39);
  CHECK(age_on("19860615", 2026, 6, 15) == 40);
  CHECK(age_on("19861231", 2026, 1, 1) == 39);
  CHECK(age_on("20260101", 2026, 1, 1) == 0);
}

TEST_CASE("A birth date that is not eight digits or gives no human age is no age", "[core]") {
  CHECK_FALSE(age_on("", 2026, 1, 1));
  CHECK_FALSE(age_on("1986", 2026, 1, 1));
  CHECK_FALSE(age_on("1986-06-15", 2026, 1, 1));
  CHECK_FALSE(age_on("19860a15", 2026, 1, 1));
  CHECK_FALSE(age_on("20300101", 2026, 1, 1));  // born after the day
  CHECK_FALSE(age_on("18000101", 2026, 1, 1));  // 226 years
}
