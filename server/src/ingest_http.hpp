#pragma once
// Shared by the two ways exams come in over HTTP (STOW-RS and the browser upload API): handing a received
// file to the instance store and describing the outcome per file.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "teledx/server/router.hpp"
#include "teledx/server/services.hpp"

namespace teledx::server {

inline constexpr std::size_t kMaxUpload = std::size_t{4} << 30;  // 4 GiB per request
inline const std::vector<Role> kClinicStaff{Role::ClinicTech, Role::ClinicDoctor};

/// Writes bytes of a received part to a new file (a landing slot or temp file); false on any write error.
bool write_file(const std::filesystem::path& path, std::string_view bytes);

/// Ingests one file already in tmp/ or a landing slot, returning a per-file JSON result (status "stored",
/// "already_stored", "duplicate_different" or "failed" with error and DIMSE failure reason). Never throws for
/// bad input. With expected_study, an instance of another study is refused (STOW-RS to /studies/{study}).
nlohmann::json ingest_one(Services& s, const std::filesystem::path& temp, std::int64_t clinic, const std::string& source,
                          const std::string& name, const std::string& expected_study = {});

}  // namespace teledx::server
