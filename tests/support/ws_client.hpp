#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace teledx::test {

/// Minimal blocking websocket client (RFC 6455 text frames, client masking) for tests over loopback.
class WsClient {
 public:
  /// Performs the upgrade; `status` holds the HTTP status (101 on success) and `response` the raw answer.
  WsClient(std::uint16_t port, const std::string& target, std::vector<std::pair<std::string, std::string>> headers = {});
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  int status() const { return status_; }
  const std::string& response() const { return response_; }
  bool send_text(const std::string& text);
  /// Next text message within timeout_ms (answers pings on the way); nullopt on timeout or close.
  std::optional<std::string> receive(int timeout_ms = 5000);
  /// Close code and reason if the server closed the connection.
  std::optional<std::pair<int, std::string>> close_info() const { return close_; }
  void close();

 private:
  bool send_frame(int opcode, const std::string& payload);
  bool read_exact(std::size_t n, std::string& out, int timeout_ms);

  int fd_ = -1;
  int status_ = 0;
  std::string response_;
  std::string pending_;
  std::optional<std::pair<int, std::string>> close_;
};

}  // namespace teledx::test
