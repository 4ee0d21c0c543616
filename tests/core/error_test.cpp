#include "teledx/core/error.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using teledx::ErrorCode;

namespace {
constexpr int kCodes = static_cast<int>(ErrorCode::Internal) + 1;
}

TEST_CASE("every error code has a distinct snake_case name", "[core]") {
  std::set<std::string> names;
  for (int i = 0; i < kCodes; ++i) {
    const auto name = std::string(teledx::error_code_name(static_cast<ErrorCode>(i)));
    INFO("code " << i << " name '" << name << "'");
    REQUIRE(!name.empty());
    for (char c : name) CHECK(((c >= 'a' && c <= 'z') || c == '_'));
    CHECK(names.insert(name).second);
  }
  CHECK(teledx::error_code_name(ErrorCode::NotFound) == "not_found");
  CHECK(teledx::error_code_name(ErrorCode::InvalidJson) == "invalid_json");
  CHECK(teledx::error_code_name(ErrorCode::TooManyAttempts) == "too_many_attempts");
  CHECK(teledx::error_code_name(ErrorCode::StorageFailure) == "storage_failure");
}

TEST_CASE("every error code maps to an HTTP error status", "[core]") {
  for (int i = 0; i < kCodes; ++i) {
    const int s = teledx::http_status(static_cast<ErrorCode>(i));
    INFO("code " << i);
    CHECK(s >= 400);
    CHECK(s <= 599);
  }
  CHECK(teledx::http_status(ErrorCode::BadRequest) == 400);
  CHECK(teledx::http_status(ErrorCode::Unauthenticated) == 401);
  CHECK(teledx::http_status(ErrorCode::Forbidden) == 403);
  CHECK(teledx::http_status(ErrorCode::NotFound) == 404);
  CHECK(teledx::http_status(ErrorCode::MethodNotAllowed) == 405);
  CHECK(teledx::http_status(ErrorCode::Conflict) == 409);
  CHECK(teledx::http_status(ErrorCode::PayloadTooLarge) == 413);
  CHECK(teledx::http_status(ErrorCode::UnsupportedMediaType) == 415);
  CHECK(teledx::http_status(ErrorCode::TooManyAttempts) == 429);
  CHECK(teledx::http_status(ErrorCode::StorageFailure) == 500);
  CHECK(teledx::http_status(ErrorCode::Unavailable) == 503);
  CHECK(teledx::http_status(ErrorCode::Internal) == 500);
}

TEST_CASE("every error code maps to a non-success DIMSE status", "[core]") {
  for (int i = 0; i < kCodes; ++i) {
    INFO("code " << i);
    CHECK(teledx::dimse_status(static_cast<ErrorCode>(i)) != 0x0000);
  }
  CHECK(teledx::dimse_status(ErrorCode::InvalidDicom) == 0xC000);
  CHECK(teledx::dimse_status(ErrorCode::StorageFailure) == 0xA700);
  CHECK(teledx::dimse_status(ErrorCode::Unavailable) == 0xA700);
  CHECK(teledx::dimse_status(ErrorCode::UnknownCaller) == 0x0124);
  // A duplicate with different bytes is a warning (0xBxxx): the modality must not keep retrying it.
  CHECK((teledx::dimse_status(ErrorCode::DuplicateDifferent) & 0xF000) == 0xB000);
}

TEST_CASE("make_error keeps the code, the user message and the log detail apart", "[core]") {
  const auto e = teledx::make_error(ErrorCode::Conflict, "Already claimed.", "study 1.2.3 claimed by user 7");
  CHECK(e.code == ErrorCode::Conflict);
  CHECK(e.message == "Already claimed.");
  CHECK(e.detail == "study 1.2.3 claimed by user 7");
}
