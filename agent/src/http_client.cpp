#include "http_client.hpp"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <memory>

#include "teledx/core/ids.hpp"

namespace teledx::agent {
namespace {

Error unavailable(const std::string& what) {
  return make_error(ErrorCode::Unavailable, "The server cannot be reached: " + what + ".");
}

std::string ssl_error() {
  unsigned long e = ERR_get_error();
  if (!e) return "TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

/// One connection: a socket, optionally wrapped in TLS.
class Connection {
 public:
  ~Connection() {
    if (ssl_) {
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
    }
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }

  Result<void> open(const ServerAddress& a, const TlsOptions& tls, int timeout_s) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(a.host.c_str(), std::to_string(a.port).c_str(), &hints, &res); rc != 0)
      return unavailable("cannot resolve " + a.host + " (" + gai_strerror(rc) + ")");
    std::string last = "no address";
    for (auto* ai = res; ai; ai = ai->ai_next) {
      int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) continue;
      timeval tv{timeout_s, 0};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        fd_ = fd;
        break;
      }
      last = std::strerror(errno);
      ::close(fd);
    }
    ::freeaddrinfo(res);
    if (fd_ < 0) return unavailable(a.host + ":" + std::to_string(a.port) + " refused or timed out (" + last + ")");
    if (!a.tls) return {};
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_) return unavailable(ssl_error());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    if (tls.insecure) {
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    } else {
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
      if (!tls.ca_file.empty() ? SSL_CTX_load_verify_locations(ctx_, tls.ca_file.c_str(), nullptr) != 1
                               : SSL_CTX_set_default_verify_paths(ctx_) != 1)
        return unavailable("the trusted certificates could not be loaded (" + ssl_error() + ")");
    }
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, a.host.c_str());
    if (!tls.insecure) SSL_set1_host(ssl_, a.host.c_str());
    if (SSL_connect(ssl_) != 1) return unavailable("TLS handshake with " + a.host + " failed (" + ssl_error() + ")");
    return {};
  }

  bool write_all(const char* data, std::size_t n) {
    while (n > 0) {
      ssize_t w = ssl_ ? SSL_write(ssl_, data, static_cast<int>(std::min<std::size_t>(n, 1 << 20)))
                       : ::send(fd_, data, n, MSG_NOSIGNAL);
      if (w <= 0) return false;
      data += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }

  /// Bytes read, 0 at the end of the stream, -1 on error.
  ssize_t read_some(char* buf, std::size_t n) {
    if (ssl_) {
      int r = SSL_read(ssl_, buf, static_cast<int>(n));
      if (r > 0) return r;
      int e = SSL_get_error(ssl_, r);
      return e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
    }
    return ::recv(fd_, buf, n, 0);
  }

 private:
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Result<std::string> dechunk(const std::string& body) {
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    auto eol = body.find("\r\n", pos);
    if (eol == std::string::npos) return make_error(ErrorCode::Unavailable, "The server's answer was cut short.");
    std::size_t len = std::stoul(body.substr(pos, eol - pos), nullptr, 16);
    if (len == 0) return out;
    if (eol + 2 + len > body.size()) return make_error(ErrorCode::Unavailable, "The server's answer was cut short.");
    out.append(body, eol + 2, len);
    pos = eol + 2 + len + 2;
  }
}

}  // namespace

HttpClient::HttpClient(ServerAddress server, TlsOptions tls, int timeout_seconds)
    : server_(std::move(server)), tls_(std::move(tls)), timeout_seconds_(timeout_seconds) {}

Result<HttpReply> HttpClient::request(const std::string& method, const std::string& path,
                                      const std::vector<std::pair<std::string, std::string>>& headers,
                                      const std::vector<BodyPart>& body) const {
  std::uintmax_t length = 0;
  for (const auto& p : body) {
    if (p.file.empty()) {
      length += p.bytes.size();
    } else {
      std::error_code ec;
      auto n = std::filesystem::file_size(p.file, ec);
      if (ec) return make_error(ErrorCode::NotFound, "The file '" + p.file.string() + "' cannot be read.");
      length += n;
    }
  }
  Connection conn;
  TELEDX_TRY(conn.open(server_, tls_, timeout_seconds_));
  const bool default_port = server_.port == (server_.tls ? 443 : 80);
  std::string head = method + " " + server_.prefix + path + " HTTP/1.1\r\nHost: " + server_.host +
                     (default_port ? "" : ":" + std::to_string(server_.port)) +
                     "\r\nConnection: close\r\nUser-Agent: teledx-agent\r\n";
  for (const auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") head += "Content-Length: " + std::to_string(length) + "\r\n";
  head += "\r\n";
  if (!conn.write_all(head.data(), head.size())) return unavailable("the connection broke while sending");
  std::vector<char> buf(1 << 16);
  for (const auto& p : body) {
    if (p.file.empty()) {
      if (!conn.write_all(p.bytes.data(), p.bytes.size())) return unavailable("the connection broke while sending");
      continue;
    }
    std::ifstream in(p.file, std::ios::binary);
    if (!in) return make_error(ErrorCode::NotFound, "The file '" + p.file.string() + "' cannot be read.");
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      auto n = static_cast<std::size_t>(in.gcount());
      if (n && !conn.write_all(buf.data(), n)) return unavailable("the connection broke while sending a file");
    }
  }
  std::string raw;
  for (;;) {
    ssize_t n = conn.read_some(buf.data(), buf.size());
    if (n < 0) {
      if (raw.find("\r\n\r\n") == std::string::npos) return unavailable("no answer (timed out or reset)");
      break;
    }
    if (n == 0) break;
    raw.append(buf.data(), static_cast<std::size_t>(n));
  }
  auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos || raw.size() < 12 || raw.rfind("HTTP/1.", 0) != 0)
    return unavailable("the answer is not HTTP");
  HttpReply reply;
  reply.status = std::atoi(raw.c_str() + 9);
  std::size_t pos = raw.find("\r\n") + 2;
  while (pos < end) {
    auto eol = raw.find("\r\n", pos);
    auto line = raw.substr(pos, eol - pos);
    if (auto colon = line.find(':'); colon != std::string::npos) {
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      reply.headers[lower(line.substr(0, colon))] = value;
    }
    pos = eol + 2;
  }
  reply.body = raw.substr(end + 4);
  if (lower(reply.headers["transfer-encoding"]).find("chunked") != std::string::npos) {
    auto plain = dechunk(reply.body);
    if (!plain.ok()) return plain.error();
    reply.body = std::move(*plain);
  } else if (auto it = reply.headers.find("content-length"); it != reply.headers.end()) {
    auto want = std::stoull(it->second);
    if (reply.body.size() < want) return unavailable("the answer was cut short");
    reply.body.resize(want);
  }
  return reply;
}

std::string stow_body(const std::vector<std::filesystem::path>& files, std::vector<BodyPart>& out) {
  const std::string boundary = "teledx-" + random_hex(12);
  for (const auto& f : files) {
    out.push_back({"--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n", {}});
    out.push_back({{}, f});
    out.push_back({"\r\n", {}});
  }
  out.push_back({"--" + boundary + "--\r\n", {}});
  return "multipart/related; type=\"application/dicom\"; boundary=" + boundary;
}

}  // namespace teledx::agent
