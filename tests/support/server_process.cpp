#include "support/server_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "support/http_client.hpp"

namespace teledx::test {

namespace {

/// Whether a TCP port can be bound on 127.0.0.1 right now.
bool bindable(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::uint16_t free_port() {
  // Below Linux's ephemeral range (32768-60999): a port the kernel hands out for bind(0) is also the kind it gives
  // every outgoing connection as its source port, so a client socket of a test running beside this one could take it
  // before the server binds it (CI: "The DICOM port ... cannot be opened (Address already in use)"). Drawn at random
  // so that tests started together rarely draw the same one; ServerProcess retries when one still does.
  static thread_local std::mt19937 rng(std::random_device{}() ^ std::uint32_t(::getpid()));
  std::uniform_int_distribution<int> pick(20000, 32000);
  for (int attempt = 0; attempt < 200; ++attempt)
    if (const auto port = std::uint16_t(pick(rng)); bindable(port)) return port;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::uint16_t port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

ServerProcess::ServerProcess(std::filesystem::path data_dir, std::vector<std::string> extra_args)
    : data_dir_(std::move(data_dir)) {
  std::filesystem::create_directories(data_dir_);
  log_file_ = data_dir_.parent_path() / (data_dir_.filename().string() + ".log");
  // A port taken between free_port() and the server's bind (another test's server or client got it first) makes
  // the server exit at once, naming the port: start again on other ports, up to three times.
  for (int attempt = 1;; ++attempt) {
    http_port_ = free_port();
    dicom_port_ = free_port();
    std::vector<std::string> args{TELEDX_BINARY, "--data-dir", data_dir_.string(), "--http-address", "127.0.0.1",
                                  "--http-port", std::to_string(http_port_), "--dicom-port", std::to_string(dicom_port_)};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::error_code ec;
    std::filesystem::remove(log_file_, ec);  // a retry's log is the one the test reads
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      std::_Exit(127);
    }
    HttpClient client(http_port_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    bool exited = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (client.get("/healthz").status == 200) return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        exited = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!exited) FAIL("teledx did not answer /healthz within 20 s:\n" << output());
    if (attempt >= 3 || output().find("Address already in use") == std::string::npos)
      FAIL("teledx exited during start-up:\n" << output());
  }
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) stop();
}

std::string ServerProcess::output() const {
  std::ifstream in(log_file_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int ServerProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 600; ++i) {  // 30 s bound
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill9();
  return -1;
}

void ServerProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool ServerProcess::running() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }

int run_command(const std::string& command, std::string* output) {
  std::string full = "TCP_NODELAY=1 " + command + " 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (!p) return -1;
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = ::pclose(p);
  if (output) *output = out;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int run_teledx(const std::vector<std::string>& args, std::string* output) {
  std::string cmd = std::string("'") + TELEDX_BINARY + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  return run_command(cmd, output);
}

}  // namespace teledx::test
