#include "support/ws_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <random>

namespace teledx::test {

WsClient::WsClient(std::uint16_t port, const std::string& target,
                   std::vector<std::pair<std::string, std::string>> headers) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  req += "\r\n";
  ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
  // Read the handshake answer up to the blank line; anything after it is frame data.
  std::string buf;
  char c[4096];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (buf.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    ssize_t n = ::recv(fd_, c, sizeof c, 0);
    if (n <= 0) break;
    buf.append(c, static_cast<std::size_t>(n));
  }
  auto end = buf.find("\r\n\r\n");
  if (end == std::string::npos || buf.size() < 12) return;
  response_ = buf;
  status_ = std::stoi(buf.substr(9, 3));
  pending_ = buf.substr(end + 4);
  if (status_ != 101) response_ = buf;
}

WsClient::~WsClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool WsClient::send_frame(int opcode, const std::string& payload) {
  std::string f;
  f.push_back(static_cast<char>(0x80 | opcode));
  std::size_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(0x80 | n));
  } else if (n < 65536) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xff));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xff));
  }
  static std::mt19937 rng(42);
  unsigned char mask[4];
  for (auto& m : mask) m = static_cast<unsigned char>(rng());
  f.append(reinterpret_cast<char*>(mask), 4);
  for (std::size_t i = 0; i < n; ++i) f.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return ::send(fd_, f.data(), f.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(f.size());
}

bool WsClient::send_text(const std::string& text) { return fd_ >= 0 && send_frame(1, text); }

bool WsClient::read_exact(std::size_t n, std::string& out, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char c[65536];
  while (pending_.size() < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t r = ::recv(fd_, c, sizeof c, 0);
    if (r <= 0) return false;
    pending_.append(c, static_cast<std::size_t>(r));
  }
  out = pending_.substr(0, n);
  pending_.erase(0, n);
  return true;
}

std::optional<std::string> WsClient::receive(int timeout_ms) {
  if (fd_ < 0 || status_ != 101) return std::nullopt;
  std::string message;
  for (;;) {
    std::string h;
    if (!read_exact(2, h, timeout_ms)) return std::nullopt;
    int opcode = h[0] & 0x0f;
    bool fin = (h[0] & 0x80) != 0;
    std::uint64_t len = static_cast<unsigned char>(h[1]) & 0x7f;
    std::string ext;
    if (len == 126) {
      if (!read_exact(2, ext, timeout_ms)) return std::nullopt;
      len = (static_cast<unsigned char>(ext[0]) << 8) | static_cast<unsigned char>(ext[1]);
    } else if (len == 127) {
      if (!read_exact(8, ext, timeout_ms)) return std::nullopt;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(ext[i]);
    }
    std::string payload;
    if (!read_exact(static_cast<std::size_t>(len), payload, timeout_ms)) return std::nullopt;
    if (opcode == 8) {
      int code = payload.size() >= 2 ? (static_cast<unsigned char>(payload[0]) << 8 | static_cast<unsigned char>(payload[1])) : 1005;
      close_ = {code, payload.size() > 2 ? payload.substr(2) : std::string()};
      send_frame(8, payload.substr(0, 2));
      return std::nullopt;
    }
    if (opcode == 9) {
      send_frame(10, payload);
      continue;
    }
    if (opcode == 10) continue;
    message += payload;
    if (fin) return message;
  }
}

void WsClient::close() {
  if (fd_ < 0) return;
  send_frame(8, std::string("\x03\xe8", 2));
  ::close(fd_);
  fd_ = -1;
}

}  // namespace teledx::test
