#pragma once
// Shared by the DICOMweb route files: who may see which clinic's studies, URLs as the client sees them,
// and the DICOM JSON views of index records.
#include <string>

#include "teledx/dicom/instance_store.hpp"
#include "teledx/server/router.hpp"

namespace teledx::server {

/// Clinics whose studies the caller may see: a clinic user its own clinic; a reader, senior or lead the
/// clinics their center serves (same hospital). Others (admin) see none: patient data stays with care.
dicom::ClinicScope clinic_scope(const RequestContext& ctx);
/// The clinic on whose behalf the caller uploads; Forbidden unless the caller belongs to a clinic.
std::int64_t uploading_clinic(const RequestContext& ctx);

/// "https://host:port/dicom-web" as the client reached us (honours X-Forwarded-Proto/Host, then Host).
std::string dicomweb_base(const RequestContext& ctx);

nlohmann::json study_json(const dicom::StudyRecord& s, const std::string& base);
nlohmann::json series_json(const dicom::SeriesRecord& s, const std::string& base);
nlohmann::json instance_json(const dicom::InstanceMeta& m, const std::string& base);

/// Adds one DICOM JSON attribute (omits "Value" for an empty string).
void put_attr(nlohmann::json& obj, const char* tag, const char* vr, const std::string& value);

void add_dicomweb_routes(Router& router);  // QIDO-RS, WADO-RS
void add_stow_routes(Router& router);      // STOW-RS
void add_upload_routes(Router& router);    // the browser upload API (exam request + files, zip, ECG formats)
void add_render_routes(Router& router);    // rendered frames, thumbnails, whole-study zip
/// Schema of the browser upload sessions (module "uploads").
std::vector<db::Migration> upload_migrations();

}  // namespace teledx::server
