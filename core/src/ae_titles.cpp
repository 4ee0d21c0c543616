// Consortium: the registry of DICOM calling AE titles, which is how a C-STORE is tied to its clinic.
#include <string>

#include "consortium_internal.hpp"
#include "teledx/core/consortium.hpp"

namespace teledx {

namespace cd = consortium_detail;

namespace {

std::string trim_spaces(std::string_view s) {
  const auto b = s.find_first_not_of(' ');
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(' ') - b + 1));
}

/// DICOM AE (PS3.5 6.2): at most 16 characters of the default repertoire without backslash or control
/// characters; leading and trailing spaces are not significant, so they are trimmed. Case is kept.
Result<std::string> normalise_ae_title(std::string_view ae) {
  std::string trimmed = trim_spaces(ae);
  if (trimmed.empty() || trimmed.size() > 16)
    return make_error(ErrorCode::BadRequest,
                      "ae_title must be 1 to 16 characters long, not counting leading or trailing spaces.");
  for (unsigned char c : trimmed)
    if (c < 0x20 || c > 0x7e || c == '\\')
      return make_error(ErrorCode::BadRequest,
                        "ae_title may contain only printable ASCII characters other than backslash.");
  return trimmed;
}

}  // namespace

Result<void> Consortium::add_ae_title(std::int64_t clinic_id, std::string_view ae_title) {
  auto ae = normalise_ae_title(ae_title);
  TELEDX_TRY(ae);
  return db_.write([&](db::Txn& txn) -> Result<void> {
    auto inst = cd::find_institution(txn, clinic_id);
    TELEDX_TRY(inst);
    if (!*inst) return cd::no_institution(clinic_id);
    if ((*inst)->kind != InstitutionKind::Clinic)
      return make_error(ErrorCode::BadRequest,
                        "Only clinics send studies: " + (*inst)->code + " cannot have an ae_title.");
    auto inserted = txn.exec(
        "INSERT INTO ae_titles (ae_title, institution_id) VALUES (?, ?) "
        "ON CONFLICT (ae_title) DO NOTHING",
        {*ae, clinic_id});
    TELEDX_TRY(inserted);
    if (*inserted == 0) {
      auto owner = txn.query(
          "SELECT i.code FROM ae_titles a JOIN institutions i ON i.id = a.institution_id "
          "WHERE a.ae_title = ?",
          {*ae});
      TELEDX_TRY(owner);
      const std::string who = owner->empty() ? std::string("another clinic") : owner->front().text(0);
      return make_error(ErrorCode::Conflict, "AE title " + *ae + " is already registered to " + who + ".");
    }
    return ok();
  });
}

Result<void> Consortium::remove_ae_title(std::string_view ae_title) {
  auto ae = normalise_ae_title(ae_title);
  TELEDX_TRY(ae);
  auto removed = db_.exec("DELETE FROM ae_titles WHERE ae_title = ?", {*ae});
  TELEDX_TRY(removed);
  if (*removed == 0) return make_error(ErrorCode::NotFound, "AE title " + *ae + " is not registered.");
  return ok();
}

std::optional<Institution> Consortium::clinic_by_ae_title(std::string_view ae_title) const {
  auto ae = normalise_ae_title(ae_title);
  if (!ae.ok()) return std::nullopt;
  auto rows =
      db_.query("SELECT " + std::string(cd::kInstitutionColumns) +
                    " FROM ae_titles a JOIN institutions i ON i.id = a.institution_id WHERE a.ae_title = ?",
                {*ae});
  if (!rows.ok()) {
    cd::log_failure("clinic_by_ae_title", rows.error());
    return std::nullopt;
  }
  if (rows->empty()) return std::nullopt;
  return cd::institution_from_row(rows->front());
}

Result<std::vector<std::string>> Consortium::ae_titles(std::int64_t clinic_id) const {
  std::vector<std::string> out;
  TELEDX_TRY(db_.read([&](db::Txn& txn) -> Result<void> {
    auto inst = cd::find_institution(txn, clinic_id);
    TELEDX_TRY(inst);
    if (!*inst) return cd::no_institution(clinic_id);
    auto rows =
        txn.query("SELECT ae_title FROM ae_titles WHERE institution_id = ? ORDER BY ae_title", {clinic_id});
    TELEDX_TRY(rows);
    for (const auto& row : *rows) out.push_back(row.text(0));
    return ok();
  }));
  return out;
}

}  // namespace teledx
