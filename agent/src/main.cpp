// teledx-agent: run (the service), status, confirm.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <dcmtk/oflog/oflog.h>
#include <iostream>
#include <set>
#include <thread>

#include "agent.hpp"
#include "teledx/agent/config.hpp"
#include "teledx/agent/state.hpp"
#include "teledx/core/clock.hpp"
#include "teledx/core/log.hpp"

using namespace teledx;
using namespace teledx::agent;

namespace {

int fail(const Error& e) {
  std::cerr << "teledx-agent: " << e.message << (e.detail.empty() ? "" : " (" + e.detail + ")") << "\n";
  return 2;
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ago(std::int64_t ms) {
  const auto s = std::max<std::int64_t>(0, (wall_ms() - ms) / 1000);
  if (s < 120) return std::to_string(s) + " s ago";
  if (s < 7200) return std::to_string(s / 60) + " min ago";
  return std::to_string(s / 3600) + " h ago";
}

int run(const AgentConfig& cfg) {
  // Signals are taken by this thread alone (sigwait); every other thread starts with them blocked.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  OFLog::configure(OFLogger::ERROR_LOG_LEVEL);
  Agent agent(cfg);
  if (auto r = agent.start(); !r.ok()) return fail(r.error());
  int sig = 0;
  ::sigwait(&set, &sig);
  log::info("agent", "signal " + std::to_string(sig) + ": stopping");
  agent.stop();
  log::info("agent", "stopped cleanly");
  return 0;
}

bool agent_running(const AgentState& st) {
  auto pid = st.get("pid");
  auto beat = st.get("heartbeat_ms");
  if (!pid || !beat) return false;
  const pid_t p = static_cast<pid_t>(std::atoll(pid->c_str()));
  return p > 0 && ::kill(p, 0) == 0 && wall_ms() - std::atoll(beat->c_str()) < 20'000;
}

int status(const AgentConfig& cfg) {
  if (!std::filesystem::exists(cfg.state_dir / "agent.sqlite")) {
    std::cout << "agent:    never ran with state directory " << cfg.state_dir.string() << "\n";
    return 3;
  }
  auto opened = AgentState::open(cfg.state_dir);
  if (!opened.ok()) return fail(opened.error());
  const auto& st = **opened;
  const bool running = agent_running(st);
  const bool connected = running && st.get("connected").value_or("0") == "1";
  std::cout << "agent:    " << (running ? "running (pid " + st.get("pid").value_or("?") + ")" : std::string("not running"))
            << "\n";
  std::cout << "server:   " << st.get("server").value_or(cfg.server) << " — ";
  if (connected) {
    std::cout << "connected since " << format_iso8601(std::atoll(st.get("connected_since_ms").value_or("0").c_str()))
              << "\n";
  } else {
    auto err = st.get("last_error").value_or("");
    std::cout << "not connected" << (err.empty() ? "" : ": " + err) << "\n";
  }
  std::cout << "cursor:   " << st.cursor() << " (server head last seen " << st.get("server_head").value_or("?") << ")\n";
  auto results = st.results(false);
  std::size_t unacked = 0;
  for (const auto& r : results) unacked += r.acked_ms == 0;
  std::cout << "results:  " << results.size() << " written to " << cfg.results().string() << ", " << unacked
            << " awaiting the server's acknowledgement\n";
  auto alerts = st.open_alerts();
  std::cout << "alerts:   " << alerts.size() << " critical value(s) unconfirmed\n";
  for (const auto& a : alerts)
    std::cout << "          task " << a.task_id << " " << a.category << " " << a.patient << ", raised " << ago(a.raised_ms)
              << (a.confirm_name.empty() ? "" : " — confirmed here by " + a.confirm_name + ", sending") << "\n";
  std::size_t pending = 0, rejected = 0;
  std::set<std::string> studies;
  std::string last_error;
  for (const auto& u : st.uploads()) {
    if (u.state == UploadState::Pending) {
      ++pending;
      studies.insert(u.study_uid);
      if (!u.last_error.empty()) last_error = u.last_error;
    }
    rejected += u.state == UploadState::Rejected;
  }
  std::cout << "uploads:  " << pending << " file(s) of " << studies.size() << " stud(ies) queued, " << rejected
            << " rejected" << (cfg.watch_dir.empty() && cfg.scp_port == 0 ? " (no watch folder configured)" : "")
            << (last_error.empty() ? "" : "; last error: " + last_error) << "\n";
  if (cfg.scp_port != 0)
    std::cout << "dicom:    C-STORE SCP on port " << cfg.scp_port << " as AE " << cfg.scp_ae_title << "\n";
  return connected ? 0 : 1;
}

int confirm(const AgentConfig& cfg, std::int64_t task, const std::string& name, int wait_seconds) {
  auto opened = AgentState::open(cfg.state_dir);
  if (!opened.ok()) return fail(opened.error());
  auto& st = **opened;
  auto a = st.alert(task);
  if (!a) return fail(make_error(ErrorCode::NotFound, "Task " + std::to_string(task) + " has no critical-value alert here."));
  if (a->cleared_ms) {
    std::cout << "Already confirmed: " << a->cleared_by << "\n";
    return 0;
  }
  if (auto r = st.request_confirmation(task, name); !r.ok()) return fail(r.error());
  std::cout << "Confirmation by " << name << " recorded; the agent sends it to the server." << std::endl;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    auto now = st.alert(task);
    if (now && now->cleared_ms) {
      std::cout << "The server has it: " << now->cleared_by << "\n";
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::cout << "Not yet confirmed by the server (is the agent running and connected? see 'teledx-agent status'); "
               "it is sent as soon as the agent is.\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  auto cmd = parse_agent_command_line(argc, argv);
  if (!cmd.ok()) return fail(cmd.error());
  try {
    switch (cmd->kind) {
      case AgentCommand::Kind::Help: std::cout << cmd->help_text; return 0;
      case AgentCommand::Kind::Version: std::cout << "teledx-agent " << TELEDX_VERSION << "\n"; return 0;
      case AgentCommand::Kind::Status: return status(cmd->config);
      case AgentCommand::Kind::Confirm: return confirm(cmd->config, cmd->task_id, cmd->name, cmd->wait_seconds);
      case AgentCommand::Kind::Run: return run(cmd->config);
    }
  } catch (const std::exception& e) {
    std::cerr << "teledx-agent: fatal: " << e.what() << "\n";
    return 3;
  }
  return 0;
}
