#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "teledx/core/error.hpp"
#include "teledx/core/result.hpp"

namespace teledx::server {

/// A parsed HTTP request, independent of Beast so route code compiles fast.
struct HttpRequest {
  std::string method;  // upper case, e.g. "GET"
  std::string target;  // as sent, with query
  std::string path;    // percent-decoded, without query
  std::vector<std::pair<std::string, std::string>> query;    // decoded key/value pairs in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lower case
  std::string body;                 // buffered body (routes without streaming)
  std::filesystem::path body_file;  // streamed body on disk (streaming routes); removed after the request
  /// A multipart body split while it arrived (routes with RouteSpec::part_file). A handler takes each part's
  /// file it keeps (take_part_file); the server removes the files of the others after the request.
  struct SpooledPart {
    std::string content_type;
    std::uint64_t size = 0;
    bool write_failed = false;  // the disk refused some bytes: the file is incomplete
    mutable std::filesystem::path file;
  };
  std::optional<std::vector<SpooledPart>> parts;
  std::string remote;               // peer address
  bool tls = false;                 // arrived over HTTPS
  std::string request_id;

  /// Header value by lower-case name.
  std::optional<std::string> header(std::string_view name) const;
  /// First query parameter with that name.
  std::optional<std::string> query_param(std::string_view name) const;
  /// All values of a repeated query parameter.
  std::vector<std::string> query_params(std::string_view name) const;
  /// Value of a cookie from the Cookie header.
  std::optional<std::string> cookie(std::string_view name) const;
  /// The file of spooled part i, now the caller's to keep or remove.
  std::filesystem::path take_part_file(std::size_t i) const;
};

/// A body generated while it is sent (a study zip): its length is announced in Content-Length, then the
/// server asks for the next piece on the worker pool (never an I/O thread) each time the previous one is on
/// the wire, so memory stays at one piece per download. An error or a short body closes the connection: the
/// client sees a truncated download, never a wrong one.
struct BodyStream {
  std::uint64_t length = 0;
  /// Fills buf with up to cap bytes; 0 only at the end.
  std::function<Result<std::size_t>(char* buf, std::size_t cap)> next;
};

/// What a handler answers: a body in memory, a file on disk, or a generated stream.
struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::filesystem::path file;       // when set, sent from disk instead of body
  bool delete_file_after = false;   // the file is a temporary built for this response
  std::shared_ptr<BodyStream> stream;  // when set, sent as it is generated instead of body
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse json(int status, const nlohmann::json& j);
  static HttpResponse error(const Error& e);
  static HttpResponse text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
};

/// Percent-decodes a URL component ('+' stays '+' in paths, becomes ' ' in queries when plus_is_space).
std::optional<std::string> url_decode(std::string_view s, bool plus_is_space);
/// Splits a target into decoded path and query pairs; nullopt for malformed escapes.
bool parse_target(std::string_view target, std::string& path,
                  std::vector<std::pair<std::string, std::string>>& query);

}  // namespace teledx::server
