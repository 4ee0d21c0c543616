#pragma once
#include <filesystem>
#include <string>

#include "teledx/server/services.hpp"

namespace teledx::server {

/// Creates the demo consortium (idempotent): one county hospital with an imaging and an ECG reading center,
/// clinics CLINIC1..3 with those AE titles, and the demo users, all with the password "teledx-demo".
/// Returns the printable table of what exists.
Result<std::string> seed_demo(Services& services);

/// Writes a self-signed certificate and key (EC P-256, CN=localhost, SAN localhost/127.0.0.1/::1) unless present.
Result<void> ensure_self_signed(const std::filesystem::path& cert, const std::filesystem::path& key);

}  // namespace teledx::server
