#include "teledx/core/error.hpp"

#include <array>
#include <cstddef>

namespace teledx {
namespace {

// C-STORE statuses (PS3.4 Table B.2-1, PS3.7 Annex C), named as in DCMTK's dimse.h.
constexpr std::uint16_t kProcessingFailure = 0x0110;  // general failure: the SCP could not process it
constexpr std::uint16_t kNotAuthorized = 0x0124;      // Refused: Not Authorized
constexpr std::uint16_t kOutOfResources = 0xA700;     // Refused: Out of Resources (the SCU may retry later)
constexpr std::uint16_t kCannotUnderstand = 0xC000;   // Error: Cannot understand
constexpr std::uint16_t kCoercionWarning = 0xB000;    // Warning: stored, but not exactly what was sent

struct ErrorInfo {
  ErrorCode code;
  std::string_view name;
  int http;
  std::uint16_t dimse;
};

// One row per ErrorCode, in declaration order (checked below). Why each DIMSE status:
// - Request-shaped errors (bad parameters, JSON, media type, size) have no C-STORE meaning; a dataset we
//   cannot use is "cannot understand" (0xC000), which tells the modality that resending will not help.
// - Authentication, authorisation and an unregistered calling AE are "Refused: Not Authorized" (0x0124):
//   the site must fix its configuration, and the operator sees a refusal rather than a parsing error.
// - DuplicateDifferent keeps the first instance and drops the new bytes. It is a *warning* (0xB000,
//   the coercion warning class) rather than the 0x0111 "duplicate SOP instance" refusal: the modality
//   must not retry or queue the study forever, yet its log shows that we did not keep what it sent.
// - StorageFailure, Unavailable and TooManyAttempts are "Refused: Out of Resources" (0xA700): nothing was
//   acknowledged and the same request may succeed later, which is exactly what SCUs retry on.
// - Conflict, NotFound and Internal are a plain processing failure (0x0110).
// 0xA900 (data set does not match SOP class) is reserved for a future mismatch check; no code maps to it.
constexpr std::array<ErrorInfo, 16> kTable{{
    {ErrorCode::BadRequest, "bad_request", 400, kCannotUnderstand},
    {ErrorCode::InvalidJson, "invalid_json", 400, kCannotUnderstand},
    {ErrorCode::Unauthenticated, "unauthenticated", 401, kNotAuthorized},
    {ErrorCode::Forbidden, "forbidden", 403, kNotAuthorized},
    {ErrorCode::NotFound, "not_found", 404, kProcessingFailure},
    {ErrorCode::MethodNotAllowed, "method_not_allowed", 405, kCannotUnderstand},
    {ErrorCode::Conflict, "conflict", 409, kProcessingFailure},
    {ErrorCode::PayloadTooLarge, "payload_too_large", 413, kCannotUnderstand},
    {ErrorCode::UnsupportedMediaType, "unsupported_media_type", 415, kCannotUnderstand},
    {ErrorCode::TooManyAttempts, "too_many_attempts", 429, kOutOfResources},
    {ErrorCode::InvalidDicom, "invalid_dicom", 400, kCannotUnderstand},
    {ErrorCode::DuplicateDifferent, "duplicate_different", 409, kCoercionWarning},
    {ErrorCode::UnknownCaller, "unknown_caller", 403, kNotAuthorized},
    {ErrorCode::StorageFailure, "storage_failure", 500, kOutOfResources},
    {ErrorCode::Unavailable, "unavailable", 503, kOutOfResources},
    {ErrorCode::Internal, "internal", 500, kProcessingFailure},
}};

constexpr bool table_in_order() {
  for (std::size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<std::size_t>(kTable[i].code) != i) return false;
  }
  return kTable.back().code == ErrorCode::Internal;
}
static_assert(table_in_order(), "kTable must list every ErrorCode in declaration order");

const ErrorInfo& info(ErrorCode code) {
  auto i = static_cast<std::size_t>(code);
  // An out-of-range value can only come from a bad cast; answer as Internal rather than read past the table.
  return i < kTable.size() ? kTable[i] : kTable.back();
}

}  // namespace

std::string_view error_code_name(ErrorCode code) { return info(code).name; }
int http_status(ErrorCode code) { return info(code).http; }
std::uint16_t dimse_status(ErrorCode code) { return info(code).dimse; }

}  // namespace teledx
