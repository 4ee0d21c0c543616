#include "teledx/agent/config.hpp"

#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <tuple>
#include <vector>

namespace teledx::agent {
namespace {

const char* kHelp = R"(teledx-agent — the clinic's link to the teledx server

Usage:
  teledx-agent [run] --config FILE [options]     run: receive results and critical values, send exams
  teledx-agent status --config FILE              connected?, cursor, results, open alerts, queued uploads
  teledx-agent confirm TASK --name NAME --config FILE
                                                 a person confirms a critical value (read-back name)
  teledx-agent --help | --version

Options (also "key = value" lines, without the dashes, in the --config file; flags win):
  --server URL              ws://host:port or wss://host:port of the teledx server (default ws://127.0.0.1:8080)
  --token TOKEN             the clinic's agent token (an administrator issues it:
                            POST /api/institutions/{clinic}/agent-token)
  --token-file FILE         read the token from FILE instead
  --username U --password P sign in as a clinic user when there is no token
  --state-dir DIR           cursor, result ledger and upload queue (default /var/lib/teledx-agent)
  --results-dir DIR         signed reports are written here (default STATE_DIR/results)
  --watch-dir DIR           DICOM files dropped here are sent to the server (STOW-RS); off when unset
  --sent-dir DIR            a study's files move here once the server confirmed all of them (default STATE_DIR/sent)
  --delete-after-upload     delete confirmed files instead of moving them
  --hook CMD                shell command run once per written result (env TELEDX_TASK_ID, TELEDX_VERSION,
                            TELEDX_REPORT_JSON, TELEDX_REPORT_TEXT, TELEDX_REPORT_PDF, TELEDX_PATIENT_NAME,
                            TELEDX_PATIENT_ID)
  --alert-hook CMD          shell command run while a critical value is unconfirmed (env TELEDX_TASK_ID,
                            TELEDX_CRITICAL_CATEGORY, TELEDX_PATIENT_NAME, TELEDX_ALERT_FILE)
  --alert-repeat-seconds N  repeat the alert hook every N s until confirmed (default 300)
  --hook-timeout-seconds N  a hook running longer is killed (default 120)
  --settle-seconds N        a file unchanged for N s is complete (default 5)
  --scan-seconds N          look at the watch folder every N s (default 2)
  --upload-batch-files N    instances per STOW-RS request (default 16)
  --scp-port N              run a C-STORE SCP on port N for the clinic's modalities; what they send is queued
                            in STATE_DIR/dicom-in and forwarded like the watch folder (default 0: off)
  --scp-ae-title AE         the AE title modalities call (default TELEDX_AGENT)
  --scp-calling-aes A,B     accept only these calling AE titles (default: any)
  --scp-max-associations N  associations served at once (default 4)
  --tls-insecure            accept a self-signed server certificate
  --ca-file FILE            trust this PEM bundle instead of the system's
  --ping-seconds N          websocket ping after N s of silence (default 20)
  --dead-seconds N          drop the link after N s without any answer (default 45)
  --reconnect-max-seconds N back-off ceiling between connection attempts (default 60)
)";

Result<int> parse_int(const std::string& key, const std::string& v, int lo, int hi) {
  int out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out < lo || out > hi)
    return make_error(ErrorCode::BadRequest, "--" + key + " needs a number between " + std::to_string(lo) + " and " +
                                                 std::to_string(hi) + ", not '" + v + "'.");
  return out;
}

bool truthy(const std::string& v) { return v.empty() || v == "true" || v == "1" || v == "yes"; }

using Setter = std::function<Result<void>(AgentConfig&, const std::string&)>;

std::map<std::string, Setter> setters() {
  auto text = [](std::string AgentConfig::*f) -> Setter {
    return [f](AgentConfig& c, const std::string& v) -> Result<void> {
      c.*f = v;
      return {};
    };
  };
  auto path = [](std::filesystem::path AgentConfig::*f) -> Setter {
    return [f](AgentConfig& c, const std::string& v) -> Result<void> {
      c.*f = v;
      return {};
    };
  };
  auto integer = [](int AgentConfig::*f, std::string key, int lo, int hi) -> Setter {
    return [=](AgentConfig& c, const std::string& v) -> Result<void> {
      auto n = parse_int(key, v, lo, hi);
      if (!n.ok()) return n.error();
      c.*f = *n;
      return {};
    };
  };
  auto flag = [](bool AgentConfig::*f) -> Setter {
    return [f](AgentConfig& c, const std::string& v) -> Result<void> {
      c.*f = truthy(v);
      return {};
    };
  };
  return {
      {"server", text(&AgentConfig::server)},
      {"token", text(&AgentConfig::token)},
      {"token-file", path(&AgentConfig::token_file)},
      {"username", text(&AgentConfig::username)},
      {"password", text(&AgentConfig::password)},
      {"state-dir", path(&AgentConfig::state_dir)},
      {"results-dir", path(&AgentConfig::results_dir)},
      {"watch-dir", path(&AgentConfig::watch_dir)},
      {"sent-dir", path(&AgentConfig::sent_dir)},
      {"delete-after-upload", flag(&AgentConfig::delete_after_upload)},
      {"hook", text(&AgentConfig::hook)},
      {"alert-hook", text(&AgentConfig::alert_hook)},
      {"alert-repeat-seconds", integer(&AgentConfig::alert_repeat_seconds, "alert-repeat-seconds", 1, 86400)},
      {"hook-timeout-seconds", integer(&AgentConfig::hook_timeout_seconds, "hook-timeout-seconds", 1, 3600)},
      {"settle-seconds", integer(&AgentConfig::settle_seconds, "settle-seconds", 0, 3600)},
      {"scan-seconds", integer(&AgentConfig::scan_seconds, "scan-seconds", 1, 3600)},
      {"upload-batch-files", integer(&AgentConfig::upload_batch_files, "upload-batch-files", 1, 1000)},
      {"scp-port", integer(&AgentConfig::scp_port, "scp-port", 0, 65535)},
      {"scp-ae-title", text(&AgentConfig::scp_ae_title)},
      {"scp-calling-aes", text(&AgentConfig::scp_calling_aes)},
      {"scp-max-associations", integer(&AgentConfig::scp_max_associations, "scp-max-associations", 1, 64)},
      {"tls-insecure", flag(&AgentConfig::tls_insecure)},
      {"ca-file", path(&AgentConfig::ca_file)},
      {"ping-seconds", integer(&AgentConfig::ping_seconds, "ping-seconds", 1, 3600)},
      {"dead-seconds", integer(&AgentConfig::dead_seconds, "dead-seconds", 2, 7200)},
      {"reconnect-max-seconds", integer(&AgentConfig::reconnect_max_seconds, "reconnect-max-seconds", 1, 3600)},
  };
}

const std::set<std::string>& boolean_flags() {
  static const std::set<std::string> s{"delete-after-upload", "tls-insecure"};
  return s;
}

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t\r");
  auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

Result<void> load_file(AgentConfig& c, const std::string& file) {
  std::ifstream in(file);
  if (!in) return make_error(ErrorCode::BadRequest, "Cannot read the config file '" + file + "'.");
  auto table = setters();
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string::npos)
      return make_error(ErrorCode::BadRequest, file + ":" + std::to_string(n) + ": expected 'key = value'.");
    std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    for (auto& ch : key)
      if (ch == '_') ch = '-';
    auto it = table.find(key);
    if (it == table.end())
      return make_error(ErrorCode::BadRequest, file + ":" + std::to_string(n) + ": unknown setting '" + key + "'.");
    TELEDX_TRY(it->second(c, value));
  }
  return {};
}

Result<void> finish(AgentConfig& c) {
  TELEDX_TRY(parse_server_url(c.server));
  if (c.token.empty() && !c.token_file.empty()) {
    std::ifstream in(c.token_file);
    if (!in) return make_error(ErrorCode::BadRequest, "Cannot read the token file '" + c.token_file.string() + "'.");
    std::getline(in, c.token);
    c.token = trim(c.token);
  }
  if (c.scp_ae_title.empty() || c.scp_ae_title.size() > 16 || c.scp_ae_title.find('\\') != std::string::npos)
    return make_error(ErrorCode::BadRequest, "--scp-ae-title must be 1 to 16 characters without a backslash.");
  if (c.dead_seconds <= c.ping_seconds)
    return make_error(ErrorCode::BadRequest, "--dead-seconds must be longer than --ping-seconds.");
  return {};
}

}  // namespace

Result<ServerAddress> parse_server_url(const std::string& url) {
  ServerAddress a;
  std::string rest;
  int default_port = 80;
  for (auto [scheme, tls, port] : {std::tuple{"ws://", false, 80}, std::tuple{"http://", false, 80},
                                   std::tuple{"wss://", true, 443}, std::tuple{"https://", true, 443}}) {
    if (url.rfind(scheme, 0) == 0) {
      a.tls = tls;
      default_port = port;
      rest = url.substr(std::string(scheme).size());
      break;
    }
  }
  if (rest.empty())
    return make_error(ErrorCode::BadRequest, "The server URL '" + url + "' must start with ws://, wss://, http:// or https://.");
  auto slash = rest.find('/');
  std::string hostport = rest.substr(0, slash);
  if (slash != std::string::npos) a.prefix = rest.substr(slash);
  while (!a.prefix.empty() && a.prefix.back() == '/') a.prefix.pop_back();
  a.port = default_port;
  auto colon = hostport.rfind(':');
  if (colon != std::string::npos && hostport.find(']') == std::string::npos) {
    auto p = parse_int("server", hostport.substr(colon + 1), 1, 65535);
    if (!p.ok()) return make_error(ErrorCode::BadRequest, "The server URL '" + url + "' has a bad port.");
    a.port = *p;
    hostport = hostport.substr(0, colon);
  }
  if (hostport.empty()) return make_error(ErrorCode::BadRequest, "The server URL '" + url + "' has no host.");
  a.host = hostport;
  return a;
}

Result<AgentCommand> parse_agent_command_line(int argc, const char* const* argv) {
  AgentCommand cmd;
  cmd.help_text = kHelp;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::size_t i = 0;
  if (i < args.size() && args[i] == "run") {
    ++i;
  } else if (i < args.size() && args[i] == "status") {
    cmd.kind = AgentCommand::Kind::Status;
    ++i;
  } else if (i < args.size() && args[i] == "confirm") {
    cmd.kind = AgentCommand::Kind::Confirm;
    ++i;
    if (i >= args.size()) return make_error(ErrorCode::BadRequest, "Use 'teledx-agent confirm TASK --name NAME'.");
    std::int64_t id = 0;
    auto [p, ec] = std::from_chars(args[i].data(), args[i].data() + args[i].size(), id);
    if (ec != std::errc() || p != args[i].data() + args[i].size() || id <= 0)
      return make_error(ErrorCode::BadRequest, "'" + args[i] + "' is not a task number.");
    cmd.task_id = id;
    ++i;
  }
  for (std::size_t j = i; j < args.size(); ++j)
    if (args[j] == "--config") {
      if (j + 1 >= args.size()) return make_error(ErrorCode::BadRequest, "--config needs a file name.");
      TELEDX_TRY(load_file(cmd.config, args[j + 1]));
    }
  auto table = setters();
  for (; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--help" || a == "-h") {
      cmd.kind = AgentCommand::Kind::Help;
      return cmd;
    }
    if (a == "--version") {
      cmd.kind = AgentCommand::Kind::Version;
      return cmd;
    }
    if (a.rfind("--", 0) != 0) return make_error(ErrorCode::BadRequest, "Unexpected argument '" + a + "'; see --help.");
    std::string key = a.substr(2), value;
    bool inline_value = false;
    if (auto eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
      inline_value = true;
    }
    if (key == "config") {
      if (!inline_value) ++i;
      continue;
    }
    if (key == "name" || key == "wait-seconds") {
      if (!inline_value) {
        if (i + 1 >= args.size()) return make_error(ErrorCode::BadRequest, a + " needs a value.");
        value = args[++i];
      }
      if (key == "name") {
        cmd.name = value;
      } else {
        auto n = parse_int(key, value, 0, 3600);
        if (!n.ok()) return n.error();
        cmd.wait_seconds = *n;
      }
      continue;
    }
    auto it = table.find(key);
    if (it == table.end()) return make_error(ErrorCode::BadRequest, "Unknown option '" + a + "'; see --help.");
    if (!inline_value && !boolean_flags().count(key)) {
      if (i + 1 >= args.size()) return make_error(ErrorCode::BadRequest, a + " needs a value.");
      value = args[++i];
    }
    TELEDX_TRY(it->second(cmd.config, value));
  }
  if (cmd.kind == AgentCommand::Kind::Confirm && trim(cmd.name).empty())
    return make_error(ErrorCode::BadRequest, "confirm needs --name: the person who took the critical value.");
  if (cmd.kind == AgentCommand::Kind::Run) TELEDX_TRY(finish(cmd.config));
  return cmd;
}

}  // namespace teledx::agent
