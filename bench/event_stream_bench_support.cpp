#include "event_stream_bench_support.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>  // before Asio: its awaitable.hpp uses std::exchange without including it
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <dcmtk/dcmdata/dctk.h>

namespace teledx::bench {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using tcp = net::ip::tcp;

// ---- the server process -------------------------------------------------------------------------------------
std::uint16_t free_port() {
  tcp::acceptor a(net::system_executor(), tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// utime + stime of the process, in seconds.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(in)), {});
  std::istringstream rest(all.substr(all.rfind(')') + 2));
  std::string f;
  unsigned long long ut = 0, st = 0;
  for (int i = 3; i <= 15; ++i) {
    rest >> f;
    if (i == 14) ut = std::stoull(f);
    if (i == 15) st = std::stoull(f);
  }
  return static_cast<double>(ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// ---- blocking HTTP for the API calls that produce events ----------------------------------------------------
Reply call(std::uint16_t port, http::verb verb, const std::string& target, const std::string& body,
           const std::string& token, const std::string& type) {
  net::io_context ioc;
  beast::tcp_stream s(ioc);
  beast::error_code ec;
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return {};
  http::request<http::string_body> req(verb, target, 11);
  req.set(http::field::host, "127.0.0.1");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty() || verb != http::verb::get) req.set(http::field::content_type, type);
  req.body() = body;
  req.prepare_payload();
  http::write(s, req, ec);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> p;
  p.body_limit(64 << 20);
  if (!ec) http::read(s, buf, p, ec);
  if (ec) return {};
  return {static_cast<int>(p.get().result_int()), p.get().body()};
}

Reply must(Reply r, int want, const std::string& what) {
  if (r.status != want) {
    std::fprintf(stderr, "event_stream_bench: %s answered %d: %s\n", what.c_str(), r.status, r.body.c_str());
    std::exit(2);
  }
  return r;
}

// One small CT image of a new study (DCMTK writes it; the server validates it as any clinic file).
std::string make_dicom(const fs::path& dir, const std::string& study, int n) {
  DcmFileFormat ff;
  DcmDataset* d = ff.getDataset();
  d->putAndInsertString(DCM_SOPClassUID, UID_CTImageStorage);
  d->putAndInsertString(DCM_SOPInstanceUID, (study + ".1.1").c_str());
  d->putAndInsertString(DCM_StudyInstanceUID, study.c_str());
  d->putAndInsertString(DCM_SeriesInstanceUID, (study + ".1").c_str());
  d->putAndInsertString(DCM_PatientName, "BENCH^PATIENT");
  d->putAndInsertString(DCM_PatientID, ("BENCH-" + std::to_string(n)).c_str());
  d->putAndInsertString(DCM_Modality, "CT");
  d->putAndInsertString(DCM_StudyDate, "20261129");
  d->putAndInsertString(DCM_AccessionNumber, ("B" + std::to_string(n)).c_str());
  d->putAndInsertString(DCM_SeriesNumber, "1");
  d->putAndInsertString(DCM_InstanceNumber, "1");
  d->putAndInsertUint16(DCM_Rows, 16);
  d->putAndInsertUint16(DCM_Columns, 16);
  d->putAndInsertUint16(DCM_SamplesPerPixel, 1);
  d->putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
  d->putAndInsertUint16(DCM_BitsAllocated, 16);
  d->putAndInsertUint16(DCM_BitsStored, 12);
  d->putAndInsertUint16(DCM_HighBit, 11);
  d->putAndInsertUint16(DCM_PixelRepresentation, 0);
  std::vector<Uint16> px(16 * 16, static_cast<Uint16>(n % 4096));
  d->putAndInsertUint16Array(DCM_PixelData, px.data(), px.size());
  const fs::path file = dir / "bench.dcm";
  if (ff.saveFile(file.c_str(), EXS_LittleEndianExplicit).bad()) {
    std::fprintf(stderr, "event_stream_bench: could not write a DICOM file in %s\n", dir.c_str());
    std::exit(2);
  }
  std::ifstream in(file, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace teledx::bench
