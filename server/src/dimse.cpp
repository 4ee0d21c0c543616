#include "dimse.hpp"

#include "teledx/core/log.hpp"

namespace teledx::server {

std::unique_ptr<dicom::StoreScp> make_store_scp(Services& s, bool tls) {
  dicom::StoreScpConfig cfg;
  cfg.port = tls ? s.config.dicom_tls_port : s.config.dicom_port;
  if (tls) {
    cfg.tls_cert = s.config.tls_cert;
    cfg.tls_key = s.config.tls_key;
  }
  cfg.ae_title = s.config.ae_title;
  cfg.max_associations = s.config.max_associations;
  auto resolve = [&s](const std::string& calling_ae) -> std::optional<std::int64_t> {
    auto clinic = s.consortium->clinic_by_ae_title(calling_ae);
    if (!clinic) return std::nullopt;
    return clinic->id;
  };
  // One entry per study per association keeps the audit chain cheap for 300-instance series.
  auto on_end = [&s](const dicom::AssociationSummary& a) {
    for (const auto& [study_uid, count] : a.stored_per_study) {
      auto r = s.audit->append({"ae:" + a.calling_ae, "store", "study:" + study_uid, a.peer,
                                "{\"instances\":" + std::to_string(count) + ",\"clinic_id\":" +
                                    std::to_string(a.clinic_id) + "}"});
      if (!r.ok()) log::error("dimse", "audit of a C-STORE association failed: " + r.error().detail);
    }
    if (a.failed > 0) {
      log::warn("dimse", "association from '" + a.calling_ae + "' (" + a.peer + ") had " + std::to_string(a.failed) +
                             " refused instance(s)");
    }
  };
  return std::make_unique<dicom::StoreScp>(cfg, *s.instances, resolve, on_end);
}

}  // namespace teledx::server
