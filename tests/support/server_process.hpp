#pragma once
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace teledx::test {

/// A free TCP port on 127.0.0.1, below the ephemeral range (bound and released: another process may still take it
/// before it is used, which ServerProcess retries on).
std::uint16_t free_port();

/// The real teledx binary, started on free loopback ports with its own data directory.
class ServerProcess {
 public:
  /// Starts `teledx --data-dir DIR --http-address 127.0.0.1 --http-port P --dicom-port D [extra...]`
  /// and waits until /healthz answers (fails the test after 20 s).
  explicit ServerProcess(std::filesystem::path data_dir, std::vector<std::string> extra_args = {"--seed-demo"});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  std::uint16_t http_port() const { return http_port_; }
  std::uint16_t dicom_port() const { return dicom_port_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  /// Everything the process wrote to stdout and stderr so far.
  std::string output() const;
  /// SIGTERM and wait; returns the exit status (or -1).
  int stop();
  /// SIGKILL: a crash at an arbitrary moment.
  void kill9();
  bool running() const;

 private:
  std::filesystem::path data_dir_;
  std::filesystem::path log_file_;
  std::uint16_t http_port_ = 0, dicom_port_ = 0;
  pid_t pid_ = -1;
};

/// Runs the teledx binary with arguments to completion; returns exit code and captures output.
int run_teledx(const std::vector<std::string>& args, std::string* output = nullptr);
/// Runs a shell command (e.g. a DCMTK tool) with TCP_NODELAY=1; returns exit code and captures output.
int run_command(const std::string& command, std::string* output = nullptr);

}  // namespace teledx::test
