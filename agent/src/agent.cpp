#include "agent.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>

#include "results.hpp"
#include "teledx/core/log.hpp"

namespace teledx::agent {
namespace {

using nlohmann::json;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t int_of(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number_integer() ? j[key].get<std::int64_t>() : 0;
}

std::string str_of(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

}  // namespace

Agent::Agent(AgentConfig cfg) : cfg_(std::move(cfg)) {}

Agent::~Agent() { stop(); }

std::string Agent::token() const {
  std::lock_guard lock(token_mutex_);
  return token_;
}

void Agent::set_status(const std::string& key, const std::string& value) {
  if (auto r = state_->set(key, value); !r.ok()) log::warn("agent", "cannot record status " + key + ": " + r.error().message);
}

Result<void> Agent::sign_in() {
  last_sign_in_ms_ = wall_ms();
  auto reply = http_->request("POST", "/api/login", {{"Content-Type", "application/json"}},
                              {{json{{"username", cfg_.username}, {"password", cfg_.password}}.dump(), {}}});
  if (!reply.ok()) return reply.error();
  auto j = json::parse(reply->body, nullptr, false);
  if (reply->status != 200 || !j.is_object() || !j.contains("token"))
    return make_error(ErrorCode::Unauthenticated, "Signing in as '" + cfg_.username + "' failed (HTTP " +
                                                      std::to_string(reply->status) + ").");
  std::lock_guard lock(token_mutex_);
  token_ = j["token"];
  log::info("agent", "signed in as " + cfg_.username);
  return {};
}

Result<void> Agent::start() {
  auto server = parse_server_url(cfg_.server);
  if (!server.ok()) return server.error();
  server_ = *server;
  auto state = AgentState::open(cfg_.state_dir);
  if (!state.ok()) return state.error();
  state_ = std::move(*state);
  std::error_code ec;
  std::filesystem::create_directories(cfg_.results(), ec);
  if (ec)
    return make_error(ErrorCode::StorageFailure,
                      "Cannot create the results folder '" + cfg_.results().string() + "': " + ec.message());
  if (cfg_.scp_port != 0) {
    // Before any other thread starts: the SCP sets TCP_NODELAY in the environment for DCMTK.
    LocalScpOptions o;
    o.port = cfg_.scp_port;
    o.ae_title = cfg_.scp_ae_title;
    o.max_associations = cfg_.scp_max_associations;
    o.spool = cfg_.scp_spool();
    std::stringstream aes(cfg_.scp_calling_aes);
    for (std::string ae; std::getline(aes, ae, ',');) {
      ae.erase(0, ae.find_first_not_of(" \t"));
      ae.erase(ae.find_last_not_of(" \t") + 1);
      if (!ae.empty()) o.calling_aes.push_back(ae);
    }
    scp_ = std::make_unique<LocalScp>(std::move(o));
    if (auto r = scp_->start(); !r.ok()) return r.error();
  }
  http_ = std::make_unique<HttpClient>(server_, TlsOptions{cfg_.tls_insecure, cfg_.ca_file});
  token_ = cfg_.token;
  if (token_.empty()) {
    if (cfg_.username.empty())
      return make_error(ErrorCode::BadRequest, "No agent token: set 'token' (or 'token-file'), or 'username' and "
                                               "'password' of a clinic user.");
    if (auto r = sign_in(); !r.ok()) log::warn("agent", r.error().message + " Retrying while connecting.");
  }
  set_status("pid", std::to_string(::getpid()));
  set_status("server", cfg_.server);
  set_status("connected", "0");
  set_status("started_ms", std::to_string(wall_ms()));
  set_status("heartbeat_ms", std::to_string(wall_ms()));
  log::info("agent", "starting: server " + cfg_.server + ", results in " + cfg_.results().string() + ", cursor " +
                         std::to_string(state_->cursor()));
  run_hooks_left_over();

  WsLink::Callbacks cb;
  cb.path = [this] { return "/ws?since=" + std::to_string(state_->cursor()); };
  cb.token = [this] { return token(); };
  cb.up = [this](std::uint64_t g) { push({Item::Kind::Up, g, {}, 0}); };
  cb.message = [this](std::uint64_t g, std::string text) { push({Item::Kind::Message, g, std::move(text), 0}); };
  cb.down = [this](std::uint64_t g, std::string reason, int status) {
    push({Item::Kind::Down, g, std::move(reason), status});
  };
  link_ = std::make_unique<WsLink>(cfg_, server_, std::move(cb));
  worker_ = std::thread([this] { work(); });
  if (!link_->start()) return make_error(ErrorCode::Internal, "libwebsockets could not start.");
  uploader_ = std::make_unique<Uploader>(cfg_, *state_, *http_, [this] { return token(); });
  uploader_->start();
  return {};
}

void Agent::stop() {
  if (scp_) scp_->stop();  // no new instances, then the uploader
  if (uploader_) uploader_->stop();
  // The worker first (it finishes the message in hand), then the link it sends through.
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  if (link_) link_->stop();
  if (state_) set_status("connected", "0");
}

void Agent::push(Item item) {
  {
    std::lock_guard lock(mutex_);
    inbox_.push_back(std::move(item));
  }
  cv_.notify_all();
}

void Agent::work() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_ || !inbox_.empty(); });
    while (!inbox_.empty() && !stopping_) {
      Item item = std::move(inbox_.front());
      inbox_.pop_front();
      lock.unlock();
      try {
        handle(item);
      } catch (const std::exception& e) {
        // Nothing after this message may be processed out of order: drop the connection, and the server
        // replays from our cursor (with back-off, should the cause persist, e.g. a full disk).
        log::error("agent", std::string("processing a message failed: ") + e.what() + "; reconnecting");
        generation_ = 0;
        link_->drop();
      }
      lock.lock();
    }
    lock.unlock();
    const auto now = wall_ms();
    alert_round(now);
    if (now - last_heartbeat_ms_ >= 5000) {
      last_heartbeat_ms_ = now;
      set_status("heartbeat_ms", std::to_string(now));
    }
    lock.lock();
  }
}

void Agent::handle(const Item& item) {
  switch (item.kind) {
    case Item::Kind::Up:
      generation_ = item.generation;
      subscribed_ = false;
      confirmations_sent_.clear();
      set_status("connected", "1");
      set_status("connected_since_ms", std::to_string(wall_ms()));
      set_status("last_error", "");
      return;
    case Item::Kind::Down: {
      if (item.generation != generation_ && item.generation != 0 && generation_ != 0) return;
      set_status("connected", "0");
      std::string why = item.text;
      if (item.http_status == 401) {
        why = "the server refused the agent's token (HTTP 401)";
        if (!cfg_.username.empty() && wall_ms() - last_sign_in_ms_ > 30'000) {
          if (auto r = sign_in(); !r.ok()) why += "; " + r.error().message;
        } else if (cfg_.username.empty()) {
          why += "; ask the administrator for a new agent token";
        }
      }
      set_status("last_error", why);
      log::warn("link", "disconnected: " + why + "; reconnecting with back-off");
      return;
    }
    case Item::Kind::Message: {
      // Messages of an earlier connection are ignored: everything after our cursor is replayed anyway.
      if (item.generation != generation_) return;
      auto m = json::parse(item.text, nullptr, false);
      if (m.is_discarded() || !m.is_object()) {
        log::warn("link", "ignoring a message that is not a JSON object");
        return;
      }
      on_message(m);
      return;
    }
  }
}

void Agent::send(const json& m) {
  if (!link_->send(generation_, m.dump())) log::debug("link", "not connected; will resend after reconnecting");
}

void Agent::on_message(const json& m) {
  const auto type = str_of(m, "type");
  if (type == "hello") {
    log::info("link", "server greets " + str_of(m, "user") + " (" + str_of(m, "role") + "), head " +
                          std::to_string(int_of(m, "head")));
    set_status("server_head", std::to_string(int_of(m, "head")));
    // Acknowledgements the server has not confirmed yet (we were cut off, or killed after writing).
    for (const auto& r : state_->results(true)) send_ack_result(r.task_id, r.version);
  } else if (type == "subscribed") {
    subscribed_ = true;
    log::info("link", "stream resumes after " + std::to_string(int_of(m, "since")) + " (" + str_of(m, "from") + ")");
  } else if (type == "reset") {
    // Our cursor is ahead of the server (its index was restored): continue from its head.
    log::warn("link", str_of(m, "message"));
    set_status("cursor", std::to_string(int_of(m, "seq")));
  } else if (type == "synced") {
    processed(int_of(m, "seq"));
    set_status("server_head", std::to_string(int_of(m, "seq")));
  } else if (type == "event") {
    on_event(m);
  } else if (type == "ack_ok") {
    on_ack_ok(m);
  } else if (type == "error") {
    on_error(m);
  }
}

void Agent::processed(std::int64_t seq) {
  if (seq <= 0) return;
  if (auto r = state_->advance_cursor(seq); !r.ok()) {
    log::error("agent", "cannot persist the cursor: " + r.error().message);
    return;
  }
  send({{"type", "ack"}, {"seq", seq}});
}

void Agent::on_event(const json& m) {
  const auto seq = int_of(m, "seq");
  if (seq <= state_->cursor()) return;  // already processed (replay overlap)
  const auto type = str_of(m, "event");
  if (type == "report.signed") {
    deliver_result(m);
  } else if (type == "critical.marked") {
    raise_alert(m);
  } else if (type == "critical.acknowledged") {
    const auto& d = m["data"];
    clear_alert(int_of(m, "task_id"), "confirmed at the server by " + str_of(d, "readback_name"), false);
  } else {
    log::debug("agent", "task " + std::to_string(int_of(m, "task_id")) + ": " + type);
  }
  processed(seq);
}

void Agent::send_ack_result(std::int64_t task_id, std::int64_t version) {
  send({{"type", "ack_result"},
        {"task_id", task_id},
        {"version", version},
        {"id", "result:" + std::to_string(task_id) + ":" + std::to_string(version)}});
}

void Agent::deliver_result(const json& m) {
  const auto task = int_of(m, "task_id");
  const auto& data = m["data"];
  const auto version = int_of(data, "version");
  if (task <= 0 || version <= 0 || !data.contains("report")) {
    log::error("results", "a signed-report event without its report (task " + std::to_string(task) + "); skipped");
    return;
  }
  if (auto done = state_->result(task, version)) {
    // Written before (a replay, or we were killed before acknowledging): never a second file.
    if (!done->acked_ms) send_ack_result(task, version);
    return;
  }
  // The signed PDF, as the server renders it (GET /api/tasks/{id}/report.pdf?version=N). A server without it
  // (404) still delivers JSON and text; a passing failure is retried through a reconnect, like a disk error.
  std::optional<std::string> pdf;
  auto reply = http_->request("GET", "/api/tasks/" + std::to_string(task) + "/report.pdf?version=" + std::to_string(version),
                              {{"Authorization", "Bearer " + token()}, {"Accept", "application/pdf"}});
  if (!reply.ok())
    throw std::runtime_error("fetching the PDF of task " + std::to_string(task) + " failed: " + reply.error().message);
  if (reply->status == 200)
    pdf = std::move(reply->body);
  else if (reply->status >= 500 || reply->status == 401)
    throw std::runtime_error("fetching the PDF of task " + std::to_string(task) + " failed: HTTP " +
                             std::to_string(reply->status));
  else
    log::warn("results", "the server has no PDF of task " + std::to_string(task) + " (HTTP " +
                             std::to_string(reply->status) + "); writing JSON and text only");
  auto files = write_result_files(cfg_.results(), m, pdf ? &*pdf : nullptr);
  if (!files.ok()) {
    // Not acknowledged and the cursor stays: the event comes again after a reconnect.
    throw std::runtime_error("writing the report of task " + std::to_string(task) + " failed: " + files.error().message);
  }
  ResultRecord r{task, version, int_of(m, "seq"), files->json.string(), files->text.string(), wall_ms(), false, 0, {}};
  if (auto a = state_->add_result(r); !a.ok()) throw std::runtime_error("recording the result failed: " + a.error().message);
  log::info("results", "task " + std::to_string(task) + " version " + std::to_string(version) + " written to " +
                           files->json.string());
  if (!cfg_.hook.empty()) {
    const auto& exam = data.contains("exam") ? data["exam"] : json::object();
    const auto patient = exam.contains("patient") ? exam["patient"] : json::object();
    run_hook(cfg_.hook, {{"TELEDX_TASK_ID", std::to_string(task)},
                         {"TELEDX_VERSION", std::to_string(version)},
                         {"TELEDX_REPORT_JSON", files->json.string()},
                         {"TELEDX_REPORT_TEXT", files->text.string()},
                         {"TELEDX_REPORT_PDF", files->pdf.string()},
                         {"TELEDX_PATIENT_NAME", str_of(patient, "name")},
                         {"TELEDX_PATIENT_ID", str_of(patient, "id")}});
  }
  (void)state_->mark_hook_done(task, version);
  send_ack_result(task, version);
}

void Agent::run_hooks_left_over() {
  if (cfg_.hook.empty()) return;
  for (const auto& r : state_->results(false)) {
    if (r.hook_done) continue;
    log::info("results", "running the hook of task " + std::to_string(r.task_id) + " left over from before a restart");
    run_hook(cfg_.hook, {{"TELEDX_TASK_ID", std::to_string(r.task_id)},
                         {"TELEDX_VERSION", std::to_string(r.version)},
                         {"TELEDX_REPORT_JSON", r.json_path},
                         {"TELEDX_REPORT_TEXT", r.text_path}});
    (void)state_->mark_hook_done(r.task_id, r.version);
  }
}

void Agent::raise_alert(const json& m) {
  const auto task = int_of(m, "task_id");
  const auto& d = m["data"];
  std::string patient;
  if (d.contains("exam") && d["exam"].contains("patient"))
    patient = str_of(d["exam"]["patient"], "name") + " (" + str_of(d["exam"]["patient"], "id") + ")";
  AlertRecord a{task, int_of(m, "seq"), str_of(d, "category"), str_of(d, "note"), patient, wall_ms(), 0, {}, 0, 0, {}};
  auto fresh = state_->raise_alert(a);
  if (!fresh.ok()) throw std::runtime_error("recording the critical value failed: " + fresh.error().message);
  if (!*fresh) return;
  write_alert_file(cfg_.results(), a);
  alert_round(wall_ms());
}

void Agent::clear_alert(std::int64_t task_id, const std::string& by, bool confirmed_here) {
  auto a = state_->alert(task_id);
  if (!a || a->cleared_ms) return;
  (void)state_->clear_alert(task_id, by, wall_ms(), confirmed_here);
  remove_alert_file(cfg_.results(), task_id);
  log::info("alert", "critical value of task " + std::to_string(task_id) + " confirmed: " + by);
}

void Agent::alert_round(std::int64_t now_ms) {
  for (const auto& a : state_->open_alerts()) {
    // A person confirmed at this PC: tell the server (once per connection; again after a reconnect).
    if (!a.confirm_name.empty() && subscribed_ && !confirmations_sent_.count(a.task_id)) {
      confirmations_sent_.insert(a.task_id);
      send({{"type", "ack_critical"},
            {"task_id", a.task_id},
            {"name", a.confirm_name},
            {"id", "critical:" + std::to_string(a.task_id)}});
    }
    if (now_ms - a.last_alert_ms < std::int64_t{cfg_.alert_repeat_seconds} * 1000) continue;
    (void)state_->touch_alert(a.task_id, now_ms);
    log::error("alert", "CRITICAL VALUE for task " + std::to_string(a.task_id) + " (" + a.category + ") " + a.patient +
                            (a.note.empty() ? "" : ": " + a.note) + " — confirm with: teledx-agent confirm " +
                            std::to_string(a.task_id) + " --name \"<who took it>\"");
    if (!cfg_.alert_hook.empty())
      run_hook(cfg_.alert_hook, {{"TELEDX_TASK_ID", std::to_string(a.task_id)},
                                 {"TELEDX_CRITICAL_CATEGORY", a.category},
                                 {"TELEDX_PATIENT_NAME", a.patient},
                                 {"TELEDX_ALERT_FILE", alert_file_path(cfg_.results(), a.task_id).string()}});
  }
}

void Agent::on_ack_ok(const json& m) {
  const auto id = str_of(m, "id");
  const auto what = str_of(m, "for");
  if (what == "ack_result" && id.rfind("result:", 0) == 0) {
    const auto task = int_of(m, "task_id");
    const auto version = int_of(m, "version");
    (void)state_->mark_acked(task, version, wall_ms());
    log::info("results", "task " + std::to_string(task) + " version " + std::to_string(version) + " acknowledged (" +
                             str_of(m, "state") + ")");
  } else if (what == "ack_critical") {
    const auto task = int_of(m, "task_id");
    auto a = state_->alert(task);
    clear_alert(task, "confirmed here by " + (a ? a->confirm_name : std::string("?")), true);
  }
}

void Agent::on_error(const json& m) {
  const auto id = str_of(m, "id");
  const auto code = m.contains("error") ? str_of(m["error"], "code") : std::string();
  const auto message = m.contains("error") ? str_of(m["error"], "message") : std::string();
  log::warn("link", "server refused " + str_of(m, "for") + (id.empty() ? "" : " " + id) + ": " + message);
  const bool transient = code == "internal" || code == "unavailable" || code == "storage_failure";
  if (id.rfind("result:", 0) == 0 && !transient) {
    // The server will never take this acknowledgement (e.g. the exam was withdrawn): stop retrying it.
    std::int64_t task = 0, version = 0;
    std::sscanf(id.c_str(), "result:%ld:%ld", &task, &version);
    (void)state_->mark_acked(task, version, wall_ms(), code + ": " + message);
  } else if (id.rfind("critical:", 0) == 0 && code == "conflict") {
    std::int64_t task = std::atoll(id.c_str() + 9);
    clear_alert(task, "server: " + message, false);
  }
}

bool Agent::run_hook(const std::string& command, const std::vector<std::pair<std::string, std::string>>& env) {
  // Everything the child needs is built before fork: between fork and exec a threaded process may not allocate.
  std::vector<std::string> vars;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    bool overridden = false;
    for (const auto& [k, v] : env) overridden |= kv.rfind(k + "=", 0) == 0;
    if (!overridden) vars.push_back(std::move(kv));
  }
  for (const auto& [k, v] : env) vars.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& v : vars) envp.push_back(v.data());
  envp.push_back(nullptr);
  std::string sh = "sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};
  pid_t pid = ::fork();
  if (pid < 0) {
    log::error("hook", "cannot start the hook: fork failed");
    return false;
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::setpgid(0, 0);
    ::execve("/bin/sh", argv, envp.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(cfg_.hook_timeout_seconds);
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      log::error("hook", "'" + command + "' ran longer than " + std::to_string(cfg_.hook_timeout_seconds) + " s; killed");
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    log::warn("hook", "'" + command + "' failed (exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                          ")");
    return false;
  }
  return true;
}

}  // namespace teledx::agent
