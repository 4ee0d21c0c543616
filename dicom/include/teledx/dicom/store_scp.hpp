#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "teledx/core/result.hpp"

namespace teledx::dicom {

class InstanceStore;

struct StoreScpConfig {
  std::uint16_t port = 11112;
  std::string ae_title = "TELEDX";   // called AE title an SCU must use
  int max_associations = 32;         // concurrent associations; more are rejected (transient)
  int acse_timeout_seconds = 30;
  int dimse_timeout_seconds = 60;    // idle time within an association before it is aborted
  std::uint32_t max_pdu = 131072;    // receive PDU size offered to SCUs (DCMTK allows 4096..131072)
  /// PEM certificate chain and private key: both set -> DICOM over TLS (BCP 195 non-downgrading profile) on
  /// `port`. Callers are still identified by their registered calling AE title; no client certificate needed.
  std::filesystem::path tls_cert, tls_key;
};

/// What one association stored; reported once when it ends (e.g. for one audit entry per study).
struct AssociationSummary {
  std::string calling_ae;
  std::string peer;  // peer host address
  std::int64_t clinic_id = 0;
  std::map<std::string, std::int64_t> stored_per_study;  // study UID -> instances acknowledged (incl. duplicates)
  std::int64_t failed = 0;                                // C-STOREs answered with an error status
};

/// C-ECHO and C-STORE SCP on DCMTK's thread pool: one thread per association up to max_associations.
/// Accepts every storage SOP class DCMTK knows with the common transfer syntaxes as sent (uncompressed,
/// deflated, JPEG, JPEG-LS, RLE, JPEG 2000). Each C-STORE is written to InstanceStore::new_landing_path() and
/// handed to InstanceStore::ingest_file; success is answered only once that returned ok (durable and indexed).
class StoreScp {
 public:
  /// Clinic of a calling AE title; nullopt refuses the association ("calling AE title not recognized").
  using ClinicResolver = std::function<std::optional<std::int64_t>(const std::string& calling_ae)>;
  /// Called on the association's thread when it is released (before the release is acknowledged) or aborted,
  /// if it stored or failed at least one instance.
  using AssociationHook = std::function<void(const AssociationSummary&)>;

  StoreScp(StoreScpConfig config, InstanceStore& store, ClinicResolver resolver, AssociationHook on_end = {});
  ~StoreScp();  // stop()
  StoreScp(const StoreScp&) = delete;
  StoreScp& operator=(const StoreScp&) = delete;

  /// Binds the port and starts listening on a background thread. StorageFailure/Unavailable when the port
  /// cannot be opened or the DICOM dictionary is not loaded.
  Result<void> start();
  /// Stops accepting, lets running associations finish, joins the listener. Idempotent.
  void stop();
  bool running() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One-time DCMTK set-up (idempotent, thread-safe): checks the data dictionary, sets oflog to WARN.
/// Unavailable when the dictionary is missing (DCMDICTPATH wrong).
Result<void> init_dcmtk();

}  // namespace teledx::dicom
