#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "teledx/core/result.hpp"

namespace teledx::server {

/// Server settings: defaults, then the config file (key = value lines), then command-line flags.
struct Config {
  std::filesystem::path data_dir = "var";
  std::string http_address = "0.0.0.0";
  std::uint16_t http_port = 8080;
  std::uint16_t https_port = 8443;             // used only with a certificate
  std::filesystem::path tls_cert, tls_key;     // PEM; both set -> HTTPS/WSS on https_port
  std::uint16_t dicom_port = 11112;
  std::uint16_t dicom_tls_port = 2762;         // used only with a certificate
  std::string ae_title = "TELEDX";
  int max_associations = 32;
  int io_threads = 2;
  int worker_threads = 4;
  int study_stable_seconds = 30;
  int request_timeout_seconds = 30;
  int ws_queue_limit = 1024;                   // messages a websocket client may fall behind before "resync"
  int ws_idle_seconds = 60;                    // websocket heartbeat: ping at half, drop a silent peer after this
  int zip_expand_limit_mb = 4096;              // bytes one zipped upload may unpack to (a zip bomb fills no disk)
  std::filesystem::path web_dir;               // static front end; default <source>/web or /usr/share/teledx/web
  bool seed_demo = false;
  bool generate_tls = false;                   // with seed_demo: make a self-signed pair under data_dir/tls
};

/// What the command line asked for.
struct Command {
  enum class Kind { Serve, Check, AuditVerify, Help, Version } kind = Kind::Serve;
  Config config;
  std::string help_text;
};

/// Parses `teledx [serve|check|audit verify] [--flags] [--config FILE]`. BadRequest with a sentence on error.
Result<Command> parse_command_line(int argc, const char* const* argv);

}  // namespace teledx::server
