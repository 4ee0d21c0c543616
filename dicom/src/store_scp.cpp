// C-ECHO / C-STORE SCP on DCMTK's association pool (one thread per association).
#include "teledx/dicom/store_scp.hpp"

#include <dcmtk/config/osconfig.h>  // first, as DCMTK requires
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/dcmnet/scppool.h>
#include <dcmtk/dcmnet/scpthrd.h>
#include <dcmtk/dcmtls/tlslayer.h>
#include <dcmtk/oflog/oflog.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_set>

#include "teledx/core/log.hpp"
#include "teledx/dicom/instance_store.hpp"

namespace teledx::dicom {
namespace {

// Preferred first: when an SCU offers several syntaxes in one context we take the first of ours it offers, so
// uncompressed and lossless syntaxes come before lossy ones (we must never make a modality compress lossily).
// A file already compressed is normally proposed in a context of its own syntax and accepted as sent.
const char* const kStorageSyntaxes[] = {
    UID_LittleEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,
    UID_JPEGLSLosslessTransferSyntax,
    UID_JPEGProcess14SV1TransferSyntax,
    UID_JPEGProcess14TransferSyntax,
    UID_JPEG2000LosslessOnlyTransferSyntax,
    UID_RLELosslessTransferSyntax,
    UID_JPEG2000Part2MulticomponentImageCompressionLosslessOnlyTransferSyntax,
    UID_JPEGProcess1TransferSyntax,
    UID_JPEGProcess2_4TransferSyntax,
    UID_JPEGLSLossyTransferSyntax,
    UID_JPEG2000TransferSyntax,
    UID_JPEG2000Part2MulticomponentImageCompressionTransferSyntax,
    UID_MPEG2MainProfileAtMainLevelTransferSyntax,
    UID_MPEG2MainProfileAtHighLevelTransferSyntax,
    UID_MPEG4HighProfileLevel4_1TransferSyntax,
    UID_MPEG4BDcompatibleHighProfileLevel4_1TransferSyntax,
    UID_MPEG4HighProfileLevel4_2_For2DVideoTransferSyntax,
    UID_MPEG4HighProfileLevel4_2_For3DVideoTransferSyntax,
    UID_MPEG4StereoHighProfileLevel4_2TransferSyntax,
    UID_HEVCMainProfileLevel5_1TransferSyntax,
    UID_HEVCMain10ProfileLevel5_1TransferSyntax,
};
const char* const kUncompressedSyntaxes[] = {
    UID_LittleEndianExplicitTransferSyntax,
    UID_LittleEndianImplicitTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,
};

std::string trim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

// Shared by the pool and all its workers; outlives them (owned by StoreScp::Impl).
struct Shared {
  StoreScpConfig config;
  InstanceStore& store;
  StoreScp::ClinicResolver resolver;
  StoreScp::AssociationHook on_end;
  std::atomic<bool> stopping{false};
};

// One association: negotiation, the caller's clinic, and each C-STORE handed to the InstanceStore.
class AssociationScp final : public DcmThreadSCP {
 public:
  explicit AssociationScp(Shared& shared) : shared_(shared) {}

 protected:
  void notifyAssociationRequest(const T_ASC_Parameters& params, DcmSCPActionType& desired) override {
    // DcmSCP keeps its association private; the negotiation below needs the parameters it is deciding on.
    params_ = const_cast<T_ASC_Parameters*>(&params);
    summary_ = AssociationSummary{};
    desired = DCMSCP_ACTION_UNDEFINED;
  }

  OFBool checkCalledAETitleAccepted(const OFString& called) override {
    const std::string ae = trim(called.c_str());
    if (ae == shared_.config.ae_title) return OFTrue;
    log::warn("dimse", "refused association from " + std::string(getPeerIP().c_str()) + ": called AE title '" + ae +
                           "' is not this server's ('" + shared_.config.ae_title + "')");
    return OFFalse;
  }

  OFBool checkCallingAETitleAccepted(const OFString& calling) override {
    const std::string ae = trim(calling.c_str());
    summary_.calling_ae = ae;
    summary_.peer = getPeerIP().c_str();
    std::optional<std::int64_t> clinic;
    try {
      clinic = shared_.resolver ? shared_.resolver(ae) : std::nullopt;
    } catch (const std::exception& e) {
      log::error("dimse", std::string("clinic lookup failed: ") + e.what());
    }
    if (!clinic) {
      log::warn("dimse", "refused association from " + summary_.peer + ": calling AE title '" + ae +
                             "' is not registered to any clinic (register it in the admin API)");
      return OFFalse;
    }
    summary_.clinic_id = *clinic;
    return OFTrue;
  }

  // Accepts every storage SOP class DCMTK knows (more than one 128-context profile holds) plus Verification,
  // each proposed context with the first of our transfer syntaxes it offers. One pass over the proposed
  // contexts: DCMTK's ASC_acceptContextsWithPreferredTransferSyntaxes walks every context once per transfer
  // syntax against every SOP class by strcmp (~400,000 comparisons), 6-7 ms of CPU per association.
  OFCondition negotiateAssociation() override {
    if (params_ == nullptr) return DIMSE_ILLEGALASSOCIATION;
    const int n = ASC_countPresentationContexts(params_);
    for (int i = 0; i < n; ++i) {
      T_ASC_PresentationContext pc;
      if (OFCondition cond = ASC_getPresentationContext(params_, i, &pc); cond.bad()) return negotiation_failed(cond);
      const std::string_view abstract(pc.abstractSyntax);
      const bool verification = abstract == UID_VerificationSOPClass;
      OFCondition cond = EC_Normal;
      if (!verification && storage_sop_classes().count(abstract) == 0) {
        cond = ASC_refusePresentationContext(params_, pc.presentationContextID, ASC_P_ABSTRACTSYNTAXNOTSUPPORTED);
      } else if (const char* ts = verification ? first_offered(pc, kUncompressedSyntaxes)
                                               : first_offered(pc, kStorageSyntaxes)) {
        cond = ASC_acceptPresentationContext(params_, pc.presentationContextID, ts);
      } else {
        cond = ASC_refusePresentationContext(params_, pc.presentationContextID, ASC_P_TRANSFERSYNTAXESNOTSUPPORTED);
      }
      if (cond.bad()) return negotiation_failed(cond);
    }
    if (ASC_countAcceptedPresentationContexts(params_) == 0) {
      log::warn("dimse", "refused association from " + summary_.peer + " (AE '" + summary_.calling_ae +
                             "'): none of its presentation contexts is a storage class/transfer syntax we accept");
    }
    return EC_Normal;
  }

  static OFCondition negotiation_failed(const OFCondition& cond) {
    log::error("dimse", std::string("presentation context negotiation failed: ") + cond.text());
    return cond;
  }

  // Our most preferred transfer syntax among those the context proposes, or null.
  template <std::size_t N>
  static const char* first_offered(const T_ASC_PresentationContext& pc, const char* const (&ours)[N]) {
    for (const char* ts : ours)
      for (int k = 0; k < pc.transferSyntaxCount; ++k)
        if (std::strcmp(pc.proposedTransferSyntaxes[k], ts) == 0) return ts;
    return nullptr;
  }

  static const std::unordered_set<std::string_view>& storage_sop_classes() {
    static const std::unordered_set<std::string_view> set(dcmAllStorageSOPClassUIDs,
                                                          dcmAllStorageSOPClassUIDs + numberOfDcmAllStorageSOPClassUIDs);
    return set;
  }

  OFCondition handleIncomingCommand(T_DIMSE_Message* msg, const DcmPresentationContextInfo& info) override {
    if (msg->CommandField == DIMSE_C_STORE_RQ) return handle_store(msg->msg.CStoreRQ, info.presentationContextID);
    return DcmThreadSCP::handleIncomingCommand(msg, info);
  }

  // Reported before the release is acknowledged, so an SCU that has finished sees its audit entry written.
  void notifyReleaseRequest() override { report(); }

  // Aborted or timed-out associations are reported here.
  void notifyAssociationTermination() override {
    report();
    params_ = nullptr;
  }

  // Called as each PDU of a dataset has been written: the kernel starts writing it to the disk now, so the
  // flush that must precede the acknowledgement finds most of the instance already there. Every 256 KiB, not
  // every PDU: each submission rings the disk's doorbell (a VM exit on a virtual disk), a cost the profile
  // showed at five submissions per 525 KB slice.
  void notifyRECEIVEProgress(const unsigned long bytes) override {
    if (writeback_fd_ < 0 || bytes < written_back_ + kWritebackStep) return;
    (void)::sync_file_range(writeback_fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
    written_back_ = bytes;
  }

 private:
  OFCondition handle_store(T_DIMSE_C_StoreRQ& rq, T_ASC_PresentationContextID pres_id) {
    // A landing slot when available: DCMTK writes into it in place, and sealing it is the only flush.
    const std::filesystem::path temp = shared_.store.new_landing_path();
    // A landing slot exists already (a temp file does not, and is simply not written back early).
    writeback_fd_ = ::open(temp.c_str(), O_WRONLY | O_CLOEXEC);
    written_back_ = 0;
    const auto receive_started = std::chrono::steady_clock::now();
    const OFCondition received = receiveSTORERequest(rq, pres_id, OFString(temp.c_str()));
    const auto receive_time = std::chrono::steady_clock::now() - receive_started;
    if (writeback_fd_ >= 0) ::close(writeback_fd_);
    writeback_fd_ = -1;
    if (received.bad()) {
      // The peer went away or sent garbage mid-dataset: nothing was acknowledged, the association ends.
      std::error_code ec;
      std::filesystem::remove(temp, ec);
      ++summary_.failed;
      log::warn("dimse", "C-STORE from '" + summary_.calling_ae + "' not received completely: " + received.text());
      return received;
    }
    Uint16 status = STATUS_Success;
    std::string comment;
    auto r = shared_.store.ingest_file(temp, summary_.clinic_id, "dimse:" + summary_.calling_ae);
    if (r.ok()) {
      if (r->status == IngestOutcome::Status::Stored) shared_.store.timings().receive.observe(receive_time);
      ++summary_.stored_per_study[r->meta.study_uid];
      if (r->status == IngestOutcome::Status::DuplicateDifferent) {
        status = dimse_status(ErrorCode::DuplicateDifferent);
        comment = "Duplicate SOP Instance UID with different content: first copy kept";
      }
    } else {
      const Error& e = r.error();
      ++summary_.failed;
      status = dimse_status(e.code);
      comment = e.message;
      log::warn("dimse", "C-STORE of " + std::string(rq.AffectedSOPInstanceUID) + " from '" + summary_.calling_ae +
                             "' refused (" + std::string(error_code_name(e.code)) + "): " + e.message +
                             (e.detail.empty() ? "" : " [" + e.detail + "]"));
    }
    DcmDataset detail;
    DcmDataset* detail_ptr = nullptr;
    if (!comment.empty()) {
      // Error Comment is LO: at most 64 characters.
      if (comment.size() > 64) comment = comment.substr(0, 61) + "...";
      if (detail.putAndInsertString(DCM_ErrorComment, comment.c_str()).good()) detail_ptr = &detail;
    }
    return sendSTOREResponse(pres_id, rq.MessageID, rq.AffectedSOPClassUID, rq.AffectedSOPInstanceUID, status,
                             detail_ptr);
  }

  void report() {
    if (shared_.on_end && (!summary_.stored_per_study.empty() || summary_.failed > 0)) {
      try {
        shared_.on_end(summary_);
      } catch (const std::exception& e) {
        log::error("dimse", std::string("association hook failed: ") + e.what());
      }
    }
    summary_.stored_per_study.clear();
    summary_.failed = 0;
  }

  Shared& shared_;
  int writeback_fd_ = -1;
  unsigned long written_back_ = 0;  // dataset bytes received when write-back was last started
  static constexpr unsigned long kWritebackStep = 256 * 1024;
  T_ASC_Parameters* params_ = nullptr;
  AssociationSummary summary_;
};

// The pool's worker wraps one AssociationScp (DcmSCPPool's own template can only default-construct it).
class Worker final : public DcmBaseSCPPool::DcmBaseSCPWorker {
 public:
  Worker(DcmBaseSCPPool& pool, Shared& shared) : DcmBaseSCPWorker(pool), scp_(shared) {}
  OFCondition setSharedConfig(const DcmSharedSCPConfig& config) override { return scp_.setSharedConfig(config); }
  OFBool busy() override { return scp_.isConnected(); }

 protected:
  OFCondition workerListen(T_ASC_Association* const assoc) override {
    const OFCondition result = scp_.run(assoc);
    // DCMTK 3.6.7's pool stores the new thread's ID into this worker after pthread_create returns, and deletes the
    // worker as soon as this function returns: an association that ends at once (a port scanner's or a load
    // balancer's connect and close) let that store land in freed memory, and some 60 of them corrupted the heap and
    // killed the server (found 2026-12-02; valgrind: invalid write in OFThread::start). Wait until it has landed.
    for (int i = 0; i < 50'000 && !equal(self()); ++i) std::this_thread::sleep_for(std::chrono::microseconds(100));
    return result;
  }

 private:
  AssociationScp scp_;
};

class Pool final : public DcmBaseSCPPool {
 public:
  explicit Pool(Shared& shared) : shared_(shared) {}

 protected:
  DcmBaseSCPWorker* createSCPWorker() override { return new Worker(*this, shared_); }

 private:
  Shared& shared_;
};

// DCMTK opens the port inside listen() on its own thread; try it here first so start() can report a clear error.
Result<void> probe_port(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorCode::Unavailable, "Cannot create a socket for the DICOM port.");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons(port);
  const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    return make_error(ErrorCode::Unavailable,
                      "The DICOM port " + std::to_string(port) + " cannot be opened (" + std::strerror(err) +
                          "); is another DICOM server running?");
  }
  return ok();
}

}  // namespace

Result<void> init_dcmtk() {
  static std::once_flag once;
  std::call_once(once, [] { OFLog::configure(OFLogger::WARN_LOG_LEVEL); });
  if (!dcmDataDict.isDictionaryLoaded()) {
    return make_error(ErrorCode::Unavailable,
                      "The DICOM data dictionary is not loaded; check DCMDICTPATH (Debian: "
                      "/usr/share/libdcmtk17/dicom.dic).");
  }
  return ok();
}

struct StoreScp::Impl {
  Impl(StoreScpConfig c, InstanceStore& s, ClinicResolver r, AssociationHook h)
      : shared{std::move(c), s, std::move(r), std::move(h)} {}
  Result<void> make_tls_layer();
  Shared shared;
  std::unique_ptr<DcmTLSTransportLayer> tls;  // outlives the pool, which only borrows it
  std::unique_ptr<Pool> pool;
  std::thread listener;
  std::atomic<bool> running{false};
};

Result<void> StoreScp::Impl::make_tls_layer() {
  const StoreScpConfig& c = shared.config;
  const auto failed = [&](const std::string& what, const OFCondition& cond) {
    return make_error(ErrorCode::Unavailable, "DICOM TLS could not start: " + what + ".", cond.text());
  };
  tls = std::make_unique<DcmTLSTransportLayer>(NET_ACCEPTOR, nullptr, OFTrue);
  if (OFCondition r = tls->setTLSProfile(TSP_Profile_BCP195_ND); r.bad()) return failed("TLS profile", r);
  if (OFCondition r = tls->activateCipherSuites(); r.bad()) return failed("cipher suites", r);
  if (OFCondition r = tls->setPrivateKeyFile(c.tls_key.c_str(), DCF_Filetype_PEM); r.bad()) {
    return failed("cannot read the private key " + c.tls_key.string(), r);
  }
  if (OFCondition r = tls->setCertificateFile(c.tls_cert.c_str(), DCF_Filetype_PEM); r.bad()) {
    return failed("cannot read the certificate " + c.tls_cert.string(), r);
  }
  if (!tls->checkPrivateKeyMatchesCertificate()) {
    return make_error(ErrorCode::Unavailable, "DICOM TLS could not start: the private key does not match the certificate.");
  }
  tls->setCertificateVerification(DCV_ignoreCertificate);
  return ok();
}

StoreScp::StoreScp(StoreScpConfig config, InstanceStore& store, ClinicResolver resolver, AssociationHook on_end)
    : impl_(std::make_unique<Impl>(std::move(config), store, std::move(resolver), std::move(on_end))) {}

StoreScp::~StoreScp() { stop(); }

bool StoreScp::running() const { return impl_->running.load(); }

Result<void> StoreScp::start() {
  if (impl_->listener.joinable()) return make_error(ErrorCode::Internal, "The DICOM server is already started.");
  TELEDX_TRY(init_dcmtk());
  const StoreScpConfig& c = impl_->shared.config;
  if (c.ae_title.empty() || c.ae_title.size() > 16) {
    return make_error(ErrorCode::BadRequest, "The server AE title must be 1 to 16 characters.");
  }
  TELEDX_TRY(probe_port(c.port));

  impl_->pool = std::make_unique<Pool>(impl_->shared);
  DcmSCPConfig& cfg = impl_->pool->getConfig();
  cfg.setPort(c.port);
  cfg.setAETitle(c.ae_title.c_str());
  cfg.setMaxReceivePDULength(std::clamp<Uint32>(c.max_pdu, ASC_MINIMUMPDUSIZE, ASC_MAXIMUMPDUSIZE));
  cfg.setACSETimeout(static_cast<Uint32>(c.acse_timeout_seconds));
  cfg.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
  cfg.setDIMSETimeout(static_cast<Uint32>(c.dimse_timeout_seconds));
  // Non-blocking accept with a 1 s timeout lets the listener notice stop().
  cfg.setConnectionBlockingMode(DUL_NOBLOCK);
  cfg.setConnectionTimeout(1);
  cfg.setHostLookupEnabled(OFFalse);
  cfg.setProgressNotificationMode(OFTrue);  // notifyRECEIVEProgress starts the write-back early
  // The pool checks that the profile is valid; our workers negotiate all storage classes themselves.
  OFList<OFString> uncompressed;
  for (const char* ts : kUncompressedSyntaxes) uncompressed.push_back(ts);
  if (OFCondition r = cfg.addPresentationContext(UID_VerificationSOPClass, uncompressed); r.bad()) {
    return make_error(ErrorCode::Internal, "The DICOM server could not be configured.", r.text());
  }
  const bool use_tls = !c.tls_cert.empty() && !c.tls_key.empty();
  if (use_tls) {
    TELEDX_TRY(impl_->make_tls_layer());
    cfg.setTransportLayer(impl_->tls.get());
  }
  impl_->pool->setMaxThreads(static_cast<Uint16>(std::clamp(c.max_associations, 1, 1000)));

  impl_->running = true;
  impl_->listener = std::thread([this] {
    const OFCondition cond = impl_->pool->listen();
    if (cond.bad() && !impl_->shared.stopping) {
      log::error("dimse", std::string("DICOM listener stopped: ") + cond.text());
    }
    impl_->running = false;
  });
  log::info("dimse", std::string(use_tls ? "DICOM TLS" : "DICOM") + " C-STORE SCP listening on port " +
                         std::to_string(c.port) + " as AE '" + c.ae_title +
                         "' (max " + std::to_string(c.max_associations) + " associations)");
  return ok();
}

void StoreScp::stop() {
  if (!impl_->listener.joinable()) return;
  impl_->shared.stopping = true;
  // Leaves listen() within the 1 s connection timeout; it then joins the workers of running associations.
  impl_->pool->stopAfterCurrentAssociations();
  impl_->listener.join();
  impl_->pool.reset();
  impl_->tls.reset();
  impl_->running = false;
}

}  // namespace teledx::dicom
