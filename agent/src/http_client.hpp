#pragma once
// A small blocking HTTP/1.1 client (one request per connection, plain TCP or TLS through OpenSSL) for the
// agent's uploads and sign-in. Bodies can be streamed from files, so a study is never held in memory.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "teledx/agent/config.hpp"
#include "teledx/core/result.hpp"

namespace teledx::agent {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

/// One piece of a request body: literal bytes or a whole file.
struct BodyPart {
  std::string bytes;
  std::filesystem::path file;
};

struct TlsOptions {
  bool insecure = false;            // accept any certificate (self-signed test servers)
  std::filesystem::path ca_file;    // PEM bundle; empty = the system's trust store
};

class HttpClient {
 public:
  HttpClient(ServerAddress server, TlsOptions tls, int timeout_seconds = 60);
  /// Sends the request and reads the whole answer. Unavailable (with the reason) when the server cannot be
  /// reached, the TLS handshake fails or the connection breaks; any HTTP status is a successful Result.
  Result<HttpReply> request(const std::string& method, const std::string& path,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            const std::vector<BodyPart>& body = {}) const;

 private:
  ServerAddress server_;
  TlsOptions tls_;
  int timeout_seconds_;
};

/// STOW-RS body: multipart/related parts of type application/dicom, one per file. Returns the Content-Type.
std::string stow_body(const std::vector<std::filesystem::path>& files, std::vector<BodyPart>& out);

}  // namespace teledx::agent
