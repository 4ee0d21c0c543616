#pragma once
// Helpers of event_stream_bench: the server's memory and CPU from /proc, blocking HTTP calls to it, and the DICOM
// file a benchmark round uploads.
#include <sys/types.h>

#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace teledx::bench {

std::uint16_t free_port();
/// Resident set size of a process in KiB (-1 when unknown).
long rss_kib(pid_t pid);
/// utime + stime of a process, in seconds.
double cpu_seconds(pid_t pid);

struct Reply {
  int status = 0;
  std::string body;
  nlohmann::json j() const { return nlohmann::json::parse(body, nullptr, false); }
};
/// One request on its own connection to 127.0.0.1:port; status 0 when the server could not be reached.
Reply call(std::uint16_t port, boost::beast::http::verb verb, const std::string& target, const std::string& body,
           const std::string& token, const std::string& type = "application/json");
/// The reply, or exit(2) naming what failed when its status is not `want`.
Reply must(Reply r, int want, const std::string& what);
/// One small CT image of a new study (written with DCMTK under dir), as Part 10 bytes.
std::string make_dicom(const std::filesystem::path& dir, const std::string& study, int n);

}  // namespace teledx::bench
