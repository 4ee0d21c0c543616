// teledx: the server binary and its maintenance commands (check, audit verify).
#include <cstdlib>
#include <iostream>

#include "dicomweb.hpp"
#include "dimse.hpp"
#include "event_stream.hpp"
#include "routes.hpp"
#include "seed.hpp"
#include "study_routing.hpp"
#include "teledx/core/log.hpp"
#include "teledx/core/process_memory.hpp"
#include "teledx/server/config.hpp"
#include "teledx/server/http_server.hpp"
#include "teledx/server/services.hpp"

using namespace teledx;
using namespace teledx::server;

namespace {

int fail(const Error& e) {
  std::cerr << "teledx: " << e.message << (e.detail.empty() ? "" : " (" + e.detail + ")") << "\n";
  return 2;
}

int run_check(const Config& cfg) {
  auto s = open_services(cfg);
  if (!s.ok()) return fail(s.error());
  auto report = check_store(*(*s)->db, *(*s)->files);
  if (!report.ok()) return fail(report.error());
  const auto& r = *report;
  std::cout << "indexed blobs: " << r.blobs_indexed << "\nfiles on disk: " << r.files_on_disk << "\n";
  for (const auto& f : r.orphan_files) std::cout << "orphan file (no index row): " << f << "\n";
  for (const auto& f : r.landed_files) std::cout << "landed file to index at the next start: " << f << "\n";
  if (!r.free_slots.empty()) std::cout << "free landing slots: " << r.free_slots.size() << "\n";
  for (const auto& f : r.missing_files) std::cout << "missing file (index row without file): " << f << "\n";
  for (const auto& f : r.size_mismatch) std::cout << "size mismatch: " << f << "\n";
  if (r.temp_files) std::cout << "temporary files left by an interrupted write: " << r.temp_files << "\n";
  if (r.checksums_pending) {
    std::cout << "stored files whose SHA-256 is still to compute (a running server does it when idle): "
              << r.checksums_pending << "\n";
  }
  std::cout << (r.clean() ? "check: clean\n" : "check: NOT clean\n");
  return r.clean() ? 0 : 1;
}

int run_audit_verify(const Config& cfg) {
  auto s = open_services(cfg);
  if (!s.ok()) return fail(s.error());
  auto report = (*s)->audit->verify();
  if (!report.ok()) return fail(report.error());
  if (report->ok()) {
    std::cout << "audit: chain intact, " << report->entries << " entries\n";
    return 0;
  }
  std::cout << "audit: BROKEN at entry " << *report->first_broken_seq << ": " << report->reason << "\n";
  return 1;
}

std::filesystem::path default_web_dir() {
  for (std::filesystem::path p : {std::filesystem::path(TELEDX_SOURCE_WEB_DIR), std::filesystem::path("/usr/share/teledx/web")})
    if (std::filesystem::exists(p / "index.html")) return p;
  return {};
}

int run_serve(Config cfg) {
  // DCMTK disables Nagle only when this is set; without it every DIMSE exchange stalls 40-90 ms.
  setenv("TCP_NODELAY", "1", 1);
  // OpenJPEG (JPEG 2000 rendering through OpenCV) decodes on one thread unless told; a first view of a J2K slice
  // then takes ~200 ms instead of ~60. An operator's own setting wins.
  setenv("OPJ_NUM_THREADS", "ALL_CPUS", 0);
  if (cfg.web_dir.empty()) cfg.web_dir = default_web_dir();
  if (cfg.seed_demo && cfg.generate_tls) {
    cfg.tls_cert = cfg.data_dir / "tls" / "demo-cert.pem";
    cfg.tls_key = cfg.data_dir / "tls" / "demo-key.pem";
    if (auto r = ensure_self_signed(cfg.tls_cert, cfg.tls_key); !r.ok()) return fail(r.error());
  }
  auto opened = open_services(cfg);
  if (!opened.ok()) return fail(opened.error());
  auto& s = **opened;
  // Sealed landing slots whose index rows had not reached the disk are indexed again before anything runs.
  const auto audit_recovered = [&](const dicom::InstanceMeta& m) {
    const AuditEvent e{m.source, "store.recovered", "study:" + m.study_uid, "",
                       "instance " + m.sop_uid + " indexed from its landing slot at start-up"};
    if (auto r = s.audit->append(e); !r.ok()) log::error("store", "audit of a recovered instance failed: " + r.error().detail);
  };
  auto recovered = recover_store(*s.db, *s.files, [&](const std::string& key) {
    return s.instances->recover_landed(key, audit_recovered);
  });
  if (!recovered.ok()) return fail(recovered.error());
  if (!recovered->landed_files.empty())
    log::error("store", std::to_string(recovered->landed_files.size()) + " landed instance(s) could not be indexed yet");
  if (auto r = s.instances->enable_landing_slots(recovered->free_slots); !r.ok())
    log::warn("store", r.error().message + " (" + r.error().detail + "); each instance then costs three disk flushes");
  if (!recovered->orphan_files.empty() || recovered->temp_files)
    log::warn("store", "recovered from an interrupted write: removed " + std::to_string(recovered->orphan_files.size()) +
                           " unacknowledged file(s) and " + std::to_string(recovered->temp_files) + " temp file(s)");
  if (cfg.seed_demo) {
    auto table = seed_demo(s);
    if (!table.ok()) return fail(table.error());
    std::cout << *table << std::flush;
  }

  // Declared before the HTTP server so it outlives it; stopped on the signal, before the server stops.
  EventHub events(s);
  Router router;
  add_meta_routes(router);
  add_auth_routes(router);
  add_admin_routes(router);
  add_worklist_routes(router);
  add_websocket_routes(router, events);
  add_agent_routes(router);
  add_dicomweb_routes(router);
  add_stow_routes(router);
  add_upload_routes(router);
  add_render_routes(router);

  // DICOM first: once /healthz answers, the DICOM port accepts too.
  auto dimse = make_store_scp(s);
  if (auto r = dimse->start(); !r.ok()) return fail(r.error());
  std::unique_ptr<dicom::StoreScp> dimse_tls;  // DICOM over TLS, for clinics reaching us over the internet
  if (!cfg.tls_cert.empty()) {
    dimse_tls = make_store_scp(s, true);
    if (auto r = dimse_tls->start(); !r.ok()) return fail(r.error());
    std::cout << "teledx: dicom tls listening on port " << cfg.dicom_tls_port << "\n";
  }
  std::cout << "teledx: dicom listening on port " << cfg.dicom_port << " as AE " << cfg.ae_title << "\n";

  if (auto n = reconcile_reading_tasks(s); !n.ok())
    log::error("routing", "could not check completed studies for missing tasks: " + n.error().detail);
  else if (*n > 0)
    log::warn("routing", "created the missing reading tasks of " + std::to_string(*n) + " completed stud(ies)");
  BackgroundLoop background(s);
  background.start();
  if (auto r = events.start(); !r.ok()) return fail(r.error());

  HttpServer http(s, router);
  if (auto r = http.start(); !r.ok()) return fail(r.error());
  std::cout << "teledx: http listening on " << cfg.http_address << ":" << http.http_port() << "\n";
  if (!cfg.tls_cert.empty()) std::cout << "teledx: https listening on " << cfg.http_address << ":" << cfg.https_port << "\n";
  std::cout << "teledx: data in " << std::filesystem::absolute(cfg.data_dir).string() << "\n" << std::flush;
  // Streams end first (close frames go out while the I/O threads still run); clients resume from their cursor.
  http.run_until_signal([&events] { events.stop(); });
  dimse->stop();
  if (dimse_tls) dimse_tls->stop();
  background.stop();
  log::info("server", "stopped cleanly");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto cmd = parse_command_line(argc, argv);
  if (!cmd.ok()) return fail(cmd.error());
  switch (cmd->kind) {
    case Command::Kind::Help: std::cout << cmd->help_text; return 0;
    case Command::Kind::Version: std::cout << "teledx " << TELEDX_VERSION << "\n"; return 0;
    case Command::Kind::Check: return run_check(cmd->config);
    case Command::Kind::AuditVerify: return run_audit_verify(cmd->config);
    case Command::Kind::Serve: break;
  }
  // The server parses, analyses and renders exams one after another: their working memory is reused, not unmapped
  // and faulted in again (the worker threads' arenas do so already once glibc has adapted its thresholds; this sets
  // them from the first exam on, and for the main thread too).
  teledx::keep_freed_memory_for_reuse();
  try {
    return run_serve(cmd->config);
  } catch (const std::exception& e) {
    std::cerr << "teledx: fatal: " << e.what() << "\n";
    return 3;
  }
}
