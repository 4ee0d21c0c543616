#include "local_scp.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/diutil.h>
#include <dcmtk/dcmnet/scppool.h>
#include <dcmtk/dcmnet/scpthrd.h>
#include <dcmtk/oflog/oflog.h>

#include "dicom_probe.hpp"
#include "teledx/core/log.hpp"

namespace teledx::agent {
namespace {

namespace fs = std::filesystem;

// Uncompressed first, then lossless, then lossy: a modality offering several in one context is never made to
// compress lossily; a file already compressed is normally offered in a context of its own syntax and kept as is.
const char* const kStorageSyntaxes[] = {
    UID_LittleEndianExplicitTransferSyntax, UID_LittleEndianImplicitTransferSyntax,
    UID_BigEndianExplicitTransferSyntax,    UID_DeflatedExplicitVRLittleEndianTransferSyntax,
    UID_JPEGLSLosslessTransferSyntax,       UID_JPEGProcess14SV1TransferSyntax,
    UID_JPEGProcess14TransferSyntax,        UID_JPEG2000LosslessOnlyTransferSyntax,
    UID_RLELosslessTransferSyntax,          UID_JPEGProcess1TransferSyntax,
    UID_JPEGProcess2_4TransferSyntax,       UID_JPEGLSLossyTransferSyntax,
    UID_JPEG2000TransferSyntax,             UID_MPEG2MainProfileAtMainLevelTransferSyntax,
    UID_MPEG4HighProfileLevel4_1TransferSyntax,
};
const char* const kUncompressedSyntaxes[] = {UID_LittleEndianExplicitTransferSyntax,
                                             UID_LittleEndianImplicitTransferSyntax,
                                             UID_BigEndianExplicitTransferSyntax};

std::string trim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  auto b = s.find_first_not_of(' ');
  return b == std::string::npos ? std::string() : s.substr(b);
}

// UIDs become file and folder names: only digits and dots, so no path can be smuggled in.
bool safe_uid(const std::string& uid) {
  return !uid.empty() && uid.size() <= 64 && uid.find_first_not_of("0123456789.") == std::string::npos &&
         uid.front() != '.';
}

bool fsync_path(const fs::path& p, bool directory) {
  const int fd = ::open(p.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

struct LocalScp::Impl {
  LocalScpOptions opt;
  std::atomic<std::uint64_t> counter{0};
  std::unique_ptr<DcmBaseSCPPool> pool;
  std::thread listener;
};

namespace {

class AssociationScp final : public DcmThreadSCP {
 public:
  explicit AssociationScp(LocalScp::Impl& impl) : impl_(impl) {}

 protected:
  void notifyAssociationRequest(const T_ASC_Parameters& params, DcmSCPActionType& desired) override {
    // DcmSCP keeps its association private; the negotiation below needs the parameters it is deciding on.
    params_ = const_cast<T_ASC_Parameters*>(&params);
    desired = DCMSCP_ACTION_UNDEFINED;
  }

  OFBool checkCalledAETitleAccepted(const OFString& called) override {
    if (trim(called.c_str()) == impl_.opt.ae_title) return OFTrue;
    log::warn("scp", "refused an association from " + std::string(getPeerIP().c_str()) + ": called AE title '" +
                         trim(called.c_str()) + "' is not this agent's ('" + impl_.opt.ae_title + "')");
    return OFFalse;
  }

  OFBool checkCallingAETitleAccepted(const OFString& calling) override {
    calling_ = trim(calling.c_str());
    const auto& allowed = impl_.opt.calling_aes;
    if (allowed.empty() || std::find(allowed.begin(), allowed.end(), calling_) != allowed.end()) return OFTrue;
    log::warn("scp", "refused an association from " + std::string(getPeerIP().c_str()) + ": calling AE title '" +
                         calling_ + "' is not in scp_calling_aes");
    return OFFalse;
  }

  // Every storage SOP class DCMTK knows (more than one 128-context profile holds) plus Verification.
  OFCondition negotiateAssociation() override {
    if (params_ == nullptr) return DIMSE_ILLEGALASSOCIATION;
    const char* verification[] = {UID_VerificationSOPClass};
    OFCondition cond = ASC_acceptContextsWithPreferredTransferSyntaxes(
        params_, verification, 1, const_cast<const char**>(kUncompressedSyntaxes),
        static_cast<int>(std::size(kUncompressedSyntaxes)));
    if (cond.good())
      cond = ASC_acceptContextsWithPreferredTransferSyntaxes(
          params_, dcmAllStorageSOPClassUIDs, numberOfDcmAllStorageSOPClassUIDs,
          const_cast<const char**>(kStorageSyntaxes), static_cast<int>(std::size(kStorageSyntaxes)));
    if (cond.bad()) log::error("scp", std::string("presentation context negotiation failed: ") + cond.text());
    return cond;
  }

  OFCondition handleIncomingCommand(T_DIMSE_Message* msg, const DcmPresentationContextInfo& info) override {
    if (msg->CommandField == DIMSE_C_STORE_RQ) return store(msg->msg.CStoreRQ, info.presentationContextID);
    return DcmThreadSCP::handleIncomingCommand(msg, info);
  }

  void notifyAssociationTermination() override {
    if (stored_ > 0 || failed_ > 0)
      log::info("scp", "association from '" + calling_ + "' ended: " + std::to_string(stored_) +
                           " instance(s) queued for upload, " + std::to_string(failed_) + " refused");
    stored_ = failed_ = 0;
    params_ = nullptr;
  }

 private:
  // The success status goes out only once the instance is durably in the spool: the modality may then delete it.
  OFCondition store(T_DIMSE_C_StoreRQ& rq, T_ASC_PresentationContextID pres_id) {
    const fs::path incoming = impl_.opt.spool / ".incoming";
    const fs::path temp = incoming / (std::to_string(::getpid()) + "-" + std::to_string(++impl_.counter) + ".part");
    const OFCondition received = receiveSTORERequest(rq, pres_id, OFString(temp.c_str()));
    std::error_code ec;
    if (received.bad()) {
      fs::remove(temp, ec);
      ++failed_;
      log::warn("scp", "C-STORE from '" + calling_ + "' not received completely: " + received.text());
      return received;
    }
    Uint16 status = STATUS_Success;
    std::string why;
    auto ids = probe_dicom(temp);
    if (!ids || !safe_uid(ids->study_uid) || !safe_uid(ids->sop_uid)) {
      status = STATUS_STORE_Error_CannotUnderstand;
      why = "not readable DICOM with valid Study/SOP Instance UIDs";
    } else {
      const fs::path dir = impl_.opt.spool / ids->study_uid;
      const fs::path final_path = dir / (ids->sop_uid + ".dcm");
      fs::create_directories(dir, ec);
      if (!ec && fsync_path(temp, false)) fs::rename(temp, final_path, ec);
      else if (!ec) ec = std::error_code(errno, std::generic_category());
      if (ec || !fsync_path(dir, true) || !fsync_path(impl_.opt.spool, true)) {
        status = STATUS_STORE_Refused_OutOfResources;
        why = "cannot write the spool folder" + (ec ? ": " + ec.message() : std::string());
      }
    }
    if (status == STATUS_Success) {
      ++stored_;
    } else {
      ++failed_;
      fs::remove(temp, ec);
      log::warn("scp", "C-STORE of " + std::string(rq.AffectedSOPInstanceUID) + " from '" + calling_ +
                           "' refused: " + why);
    }
    return sendSTOREResponse(pres_id, rq, status);
  }

  LocalScp::Impl& impl_;
  T_ASC_Parameters* params_ = nullptr;
  std::string calling_;
  int stored_ = 0, failed_ = 0;
};

class Worker final : public DcmBaseSCPPool::DcmBaseSCPWorker {
 public:
  Worker(DcmBaseSCPPool& pool, LocalScp::Impl& impl) : DcmBaseSCPWorker(pool), scp_(impl) {}
  OFCondition setSharedConfig(const DcmSharedSCPConfig& config) override { return scp_.setSharedConfig(config); }
  OFBool busy() override { return scp_.isConnected(); }

 protected:
  OFCondition workerListen(T_ASC_Association* const assoc) override { return scp_.run(assoc); }

 private:
  AssociationScp scp_;
};

class Pool final : public DcmBaseSCPPool {
 public:
  explicit Pool(LocalScp::Impl& impl) : impl_(impl) {}

 protected:
  DcmBaseSCPWorker* createSCPWorker() override { return new Worker(*this, impl_); }

 private:
  LocalScp::Impl& impl_;
};

// DCMTK's listener reports a busy port only inside its thread: check first, so the agent can say so at start.
Result<void> probe_port(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorCode::Unavailable, "Cannot create a socket for the DICOM port.");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  ::close(fd);
  if (rc != 0)
    return make_error(ErrorCode::Unavailable, "The agent's DICOM port " + std::to_string(port) +
                                                  " cannot be opened: " + std::strerror(err) + ".");
  return {};
}

}  // namespace

LocalScp::LocalScp(LocalScpOptions o) : impl_(std::make_unique<Impl>()) { impl_->opt = std::move(o); }

LocalScp::~LocalScp() { stop(); }

Result<void> LocalScp::start() {
  auto& o = impl_->opt;
  OFLog::configure(OFLogger::WARN_LOG_LEVEL);
  if (!dcmDataDict.isDictionaryLoaded())
    return make_error(ErrorCode::Unavailable,
                      "The DICOM data dictionary is not loaded; check DCMDICTPATH (Debian: /usr/share/libdcmtk17/dicom.dic).");
  // DCMTK disables Nagle only with this set; without it each C-STORE response waits 40-90 ms.
  ::setenv("TCP_NODELAY", "1", 0);
  std::error_code ec;
  fs::create_directories(o.spool / ".incoming", ec);
  if (ec)
    return make_error(ErrorCode::StorageFailure, "Cannot create the DICOM spool folder '" + o.spool.string() + "': " +
                                                     ec.message());
  // Leftovers of an association cut mid-instance were never acknowledged: the modality sends them again.
  for (const auto& e : fs::directory_iterator(o.spool / ".incoming", ec)) fs::remove(e.path(), ec);
  TELEDX_TRY(probe_port(o.port));

  impl_->pool = std::make_unique<Pool>(*impl_);
  DcmSCPConfig& cfg = impl_->pool->getConfig();
  cfg.setPort(static_cast<Uint16>(o.port));
  cfg.setAETitle(o.ae_title.c_str());
  cfg.setACSETimeout(30);
  cfg.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
  cfg.setDIMSETimeout(60);
  // Non-blocking accept with a 1 s timeout lets the listener notice stop().
  cfg.setConnectionBlockingMode(DUL_NOBLOCK);
  cfg.setConnectionTimeout(1);
  cfg.setHostLookupEnabled(OFFalse);
  OFList<OFString> uncompressed;
  for (const char* ts : kUncompressedSyntaxes) uncompressed.push_back(ts);
  if (OFCondition r = cfg.addPresentationContext(UID_VerificationSOPClass, uncompressed); r.bad())
    return make_error(ErrorCode::Internal, "The agent's DICOM node could not be configured.", r.text());
  impl_->pool->setMaxThreads(static_cast<Uint16>(std::clamp(o.max_associations, 1, 64)));
  impl_->listener = std::thread([this] {
    const OFCondition cond = impl_->pool->listen();
    if (cond.bad()) log::error("scp", std::string("the DICOM listener stopped: ") + cond.text());
  });
  log::info("scp", "C-STORE SCP listening on port " + std::to_string(o.port) + " as AE '" + o.ae_title +
                       "'; received instances are queued in " + o.spool.string());
  return {};
}

void LocalScp::stop() {
  if (!impl_ || !impl_->listener.joinable()) return;
  // Leaves listen() within the 1 s connection timeout, after the running associations end.
  impl_->pool->stopAfterCurrentAssociations();
  impl_->listener.join();
  impl_->pool.reset();
}

}  // namespace teledx::agent
