#include "teledx/server/config.hpp"

#include <charconv>
#include <fstream>
#include <functional>
#include <map>

namespace teledx::server {
namespace {

const char* kHelp = R"(teledx — tele-diagnosis server for county medical communities

Usage:
  teledx [serve] [options]     start the server (default)
  teledx check [options]       verify the index against the stored files; report orphans (exit 1 if not clean)
  teledx audit verify [options] verify the audit log's hash chain; name the first broken entry (exit 1 if broken)
  teledx --help | --version

Options (also accepted as "key = value" lines, without the dashes, in a --config file; flags win):
  --config FILE               read settings from FILE
  --data-dir DIR              index and file storage (default ./var)
  --http-address ADDR         listen address for HTTP (default 0.0.0.0)
  --http-port N               HTTP port (default 8080; 0 picks a free port)
  --https-port N              HTTPS/WSS port when a certificate is configured (default 8443)
  --tls-cert FILE, --tls-key FILE   PEM certificate chain and key: enables HTTPS/WSS and DICOM TLS
  --dicom-port N              DICOM C-STORE/C-ECHO port (default 11112)
  --dicom-tls-port N          DICOM over TLS port when a certificate is configured (default 2762)
  --ae-title AE               the server's own AE title (default TELEDX)
  --max-associations N        concurrent DICOM associations (default 32)
  --io-threads N              HTTP I/O threads (default 2)
  --worker-threads N          threads for database, disk and DICOM work (default 4)
  --study-stable-seconds N    a study with no new instance for N s is complete (default 30)
  --request-timeout N         seconds to read a request header or body chunk (default 30)
  --ws-queue-limit N          messages a websocket client may fall behind before it is told to resync (default 1024)
  --ws-idle-seconds N         websocket heartbeat: ping an idle peer at N/2 s, drop it after N s silent (default 60)
  --zip-expand-limit-mb N     MiB one zipped browser/agent upload may unpack to (default 4096, as an upload)
  --web-dir DIR               static front end to serve (default: the source tree's web/)
  --seed-demo                 create the demo consortium and users (password teledx-demo) and print them
  --demo-tls                  with --seed-demo: generate a self-signed certificate under DATA_DIR/tls and use it
)";

Result<int> parse_int(const std::string& key, const std::string& v, int lo, int hi) {
  int out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out < lo || out > hi)
    return make_error(ErrorCode::BadRequest, "--" + key + " needs a number between " + std::to_string(lo) +
                                                 " and " + std::to_string(hi) + ", not '" + v + "'.");
  return out;
}

using Setter = std::function<Result<void>(Config&, const std::string&)>;

std::map<std::string, Setter> setters() {
  auto port = [](std::uint16_t Config::*field, std::string key) -> Setter {
    return [field, key](Config& c, const std::string& v) -> Result<void> {
      auto n = parse_int(key, v, 0, 65535);
      if (!n.ok()) return n.error();
      c.*field = static_cast<std::uint16_t>(*n);
      return {};
    };
  };
  auto integer = [](int Config::*field, std::string key, int lo, int hi) -> Setter {
    return [=](Config& c, const std::string& v) -> Result<void> {
      auto n = parse_int(key, v, lo, hi);
      if (!n.ok()) return n.error();
      c.*field = *n;
      return {};
    };
  };
  auto path = [](std::filesystem::path Config::*field) -> Setter {
    return [field](Config& c, const std::string& v) -> Result<void> {
      c.*field = v;
      return {};
    };
  };
  return {
      {"data-dir", path(&Config::data_dir)},
      {"http-address", [](Config& c, const std::string& v) -> Result<void> { c.http_address = v; return {}; }},
      {"http-port", port(&Config::http_port, "http-port")},
      {"https-port", port(&Config::https_port, "https-port")},
      {"tls-cert", path(&Config::tls_cert)},
      {"tls-key", path(&Config::tls_key)},
      {"dicom-port", port(&Config::dicom_port, "dicom-port")},
      {"dicom-tls-port", port(&Config::dicom_tls_port, "dicom-tls-port")},
      {"ae-title",
       [](Config& c, const std::string& v) -> Result<void> {
         if (v.empty() || v.size() > 16 || v.find('\\') != std::string::npos)
           return make_error(ErrorCode::BadRequest, "--ae-title must be 1 to 16 characters without a backslash.");
         c.ae_title = v;
         return {};
       }},
      {"max-associations", integer(&Config::max_associations, "max-associations", 1, 1024)},
      {"io-threads", integer(&Config::io_threads, "io-threads", 1, 64)},
      {"worker-threads", integer(&Config::worker_threads, "worker-threads", 1, 256)},
      {"study-stable-seconds", integer(&Config::study_stable_seconds, "study-stable-seconds", 0, 86400)},
      {"request-timeout", integer(&Config::request_timeout_seconds, "request-timeout", 1, 3600)},
      {"ws-queue-limit", integer(&Config::ws_queue_limit, "ws-queue-limit", 8, 1 << 20)},
      {"ws-idle-seconds", integer(&Config::ws_idle_seconds, "ws-idle-seconds", 2, 3600)},
      {"zip-expand-limit-mb", integer(&Config::zip_expand_limit_mb, "zip-expand-limit-mb", 1, 1 << 20)},
      {"web-dir", path(&Config::web_dir)},
  };
}

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t\r");
  auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

Result<void> load_config_file(Config& c, const std::string& file) {
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
    if (key == "seed-demo") {
      c.seed_demo = value == "true" || value == "1" || value == "yes";
      continue;
    }
    auto it = table.find(key);
    if (it == table.end())
      return make_error(ErrorCode::BadRequest, file + ":" + std::to_string(n) + ": unknown setting '" + key + "'.");
    TELEDX_TRY(it->second(c, value));
  }
  return {};
}

}  // namespace

Result<Command> parse_command_line(int argc, const char* const* argv) {
  Command cmd;
  cmd.help_text = kHelp;
  std::vector<std::string> args(argv + 1, argv + argc);
  std::size_t i = 0;
  if (i < args.size() && args[i] == "serve") {
    ++i;
  } else if (i < args.size() && args[i] == "check") {
    cmd.kind = Command::Kind::Check;
    ++i;
  } else if (i < args.size() && args[i] == "audit") {
    if (i + 1 >= args.size() || args[i + 1] != "verify")
      return make_error(ErrorCode::BadRequest, "Use 'teledx audit verify'.");
    cmd.kind = Command::Kind::AuditVerify;
    i += 2;
  }
  // The config file first, so flags override it wherever they stand.
  for (std::size_t j = i; j < args.size(); ++j) {
    if (args[j] == "--config") {
      if (j + 1 >= args.size()) return make_error(ErrorCode::BadRequest, "--config needs a file name.");
      TELEDX_TRY(load_config_file(cmd.config, args[j + 1]));
    }
  }
  auto table = setters();
  for (; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--help" || a == "-h") {
      cmd.kind = Command::Kind::Help;
      return cmd;
    }
    if (a == "--version") {
      cmd.kind = Command::Kind::Version;
      return cmd;
    }
    if (a == "--seed-demo") { cmd.config.seed_demo = true; continue; }
    if (a == "--demo-tls") { cmd.config.generate_tls = true; continue; }
    std::string value;
    bool has_inline = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_inline = true;
    }
    if (a.rfind("--", 0) != 0)
      return make_error(ErrorCode::BadRequest, "Unexpected argument '" + a + "'; see teledx --help.");
    std::string key = a.substr(2);
    if (key == "config") {
      if (!has_inline) ++i;
      continue;
    }
    auto it = table.find(key);
    if (it == table.end()) return make_error(ErrorCode::BadRequest, "Unknown option '" + a + "'; see teledx --help.");
    if (!has_inline) {
      if (i + 1 >= args.size()) return make_error(ErrorCode::BadRequest, a + " needs a value.");
      value = args[++i];
    }
    TELEDX_TRY(it->second(cmd.config, value));
  }
  if (cmd.config.generate_tls && !cmd.config.seed_demo)
    return make_error(ErrorCode::BadRequest, "--demo-tls only goes with --seed-demo.");
  if (cmd.config.tls_cert.empty() != cmd.config.tls_key.empty())
    return make_error(ErrorCode::BadRequest, "Give both --tls-cert and --tls-key, or neither.");
  return cmd;
}

}  // namespace teledx::server
