#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include "teledx/core/result.hpp"

namespace teledx::agent {

/// Agent settings: defaults, then the --config file ("key = value" lines), then command-line flags.
struct AgentConfig {
  std::string server = "ws://127.0.0.1:8080";  // ws://host:port or wss://host:port (HTTP(S) for uploads alike)
  std::string token;                           // the clinic's agent token (POST /api/institutions/{id}/agent-token)
  std::filesystem::path token_file;            // or read it from this file (first line)
  std::string username, password;              // fallback: sign in as a clinic user when no token is given
  std::filesystem::path state_dir = "/var/lib/teledx-agent";  // cursor, ledger, queue (agent.sqlite)
  std::filesystem::path results_dir;           // reports land here; default <state_dir>/results
  std::filesystem::path watch_dir;             // exams out: DICOM files dropped here are sent; empty = off
  std::filesystem::path sent_dir;              // where a confirmed study's files go; default <state_dir>/sent
  bool delete_after_upload = false;            // delete confirmed files instead of moving them to sent_dir
  std::string hook;                            // shell command run once per written result
  std::string alert_hook;                      // shell command run while a critical value is unconfirmed
  int alert_repeat_seconds = 300;
  int hook_timeout_seconds = 120;
  int settle_seconds = 5;                      // a file unchanged this long is complete
  int scan_seconds = 2;
  int upload_batch_files = 16;                 // instances per STOW-RS request
  int scp_port = 0;                            // local C-STORE SCP for the clinic's modalities; 0 = off
  std::string scp_ae_title = "TELEDX_AGENT";   // the AE title modalities call
  std::string scp_calling_aes;                 // comma-separated calling AE titles accepted; empty = any
  int scp_max_associations = 4;
  bool tls_insecure = false;                   // accept a self-signed server certificate (tests, pilots)
  std::filesystem::path ca_file;               // PEM bundle to trust instead of the system store
  int ping_seconds = 20;                       // websocket ping after this much silence
  int dead_seconds = 45;                       // drop the link after this much silence (no pong)
  int reconnect_max_seconds = 60;              // back-off ceiling between connection attempts

  std::filesystem::path results() const { return results_dir.empty() ? state_dir / "results" : results_dir; }
  std::filesystem::path sent() const { return sent_dir.empty() ? state_dir / "sent" : sent_dir; }
  /// Where the local SCP puts received instances until the server confirmed them (the uploader's second folder).
  std::filesystem::path scp_spool() const { return state_dir / "dicom-in"; }
};

/// The server URL split for connecting: ws/http = plain, wss/https = TLS.
struct ServerAddress {
  bool tls = false;
  std::string host;
  int port = 0;
  std::string prefix;  // path prefix before /ws and /api (behind a reverse proxy), no trailing slash
};
/// BadRequest with a sentence for anything but ws://, wss://, http:// or https:// with a host.
Result<ServerAddress> parse_server_url(const std::string& url);

struct AgentCommand {
  enum class Kind { Run, Status, Confirm, Help, Version } kind = Kind::Run;
  AgentConfig config;
  std::int64_t task_id = 0;  // confirm
  std::string name;          // confirm: who took the critical value
  int wait_seconds = 15;     // confirm: how long to wait for the server's answer
  std::string help_text;
};

/// `teledx-agent [run|status|confirm TASK --name NAME] [--config FILE] [--key value...]`.
Result<AgentCommand> parse_agent_command_line(int argc, const char* const* argv);

}  // namespace teledx::agent
