#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace teledx::test {

struct HttpResult {
  int status = 0;  // 0: connection failed
  std::map<std::string, std::string> headers;  // lower-case names (last value wins)
  std::vector<std::pair<std::string, std::string>> all_headers;
  std::string body;
  nlohmann::json json() const;  // parsed body, or a discarded value
};

/// Minimal blocking HTTP/1.1 client over loopback for tests (one request per connection).
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port, std::string host = "127.0.0.1") : port_(port), host_(std::move(host)) {}
  HttpResult request(const std::string& method, const std::string& target, const std::string& body = {},
                     std::vector<std::pair<std::string, std::string>> headers = {}) const;
  HttpResult get(const std::string& target, const std::string& token = {}) const;
  HttpResult post_json(const std::string& target, const nlohmann::json& body, const std::string& token = {}) const;
  /// Sends raw bytes and returns what the server answered (for malformed-request tests).
  std::string raw(const std::string& bytes) const;
  /// Logs in and returns the bearer token ("" on failure).
  std::string login(const std::string& user, const std::string& password = "teledx-demo") const;

 private:
  std::uint16_t port_;
  std::string host_;
};

}  // namespace teledx::test
