#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace teledx {

/// Every failure a user can see. Each code maps to one HTTP status, one DIMSE status and a stable name.
enum class ErrorCode {
  BadRequest,            // malformed request or parameters
  InvalidJson,           // body is not the JSON the route expects
  Unauthenticated,       // no, bad or expired credentials
  Forbidden,             // authenticated, but the role/institution may not do this
  NotFound,              // unknown route or resource (also used to hide other institutions' data)
  MethodNotAllowed,      // route exists, method does not
  Conflict,              // state conflict: already claimed, already exists, illegal transition
  PayloadTooLarge,       // body over the route's limit
  UnsupportedMediaType,  // wrong Content-Type
  TooManyAttempts,       // login lockout
  InvalidDicom,          // not DICOM, truncated, missing UIDs, inconsistent pixel data
  DuplicateDifferent,    // same SOP Instance UID, different bytes: first kept
  UnknownCaller,         // calling AE title not registered
  StorageFailure,        // disk or index write failed: nothing was acknowledged
  Unavailable,           // shutting down / overloaded
  Internal,              // a bug: logged with detail
};

/// Stable machine-readable name, e.g. "not_found".
std::string_view error_code_name(ErrorCode code);
/// HTTP status for the code (400, 401, 403, 404, 409, 413, 415, 429, 500, 503).
int http_status(ErrorCode code);
/// DIMSE C-STORE status for the code (0xA700 out of resources, 0xA900 mismatch, 0xC000 cannot understand...).
std::uint16_t dimse_status(ErrorCode code);

/// A failure with a sentence a technician can act on; `detail` goes to the log only.
struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;
  std::string detail;
};

inline Error make_error(ErrorCode code, std::string message, std::string detail = {}) {
  return Error{code, std::move(message), std::move(detail)};
}

}  // namespace teledx
