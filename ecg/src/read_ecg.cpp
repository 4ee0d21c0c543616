// Format detection by content and the read_ecg_file / read_ecg_bytes entry points.
#include <algorithm>
#include <fstream>

#include "parse_util.hpp"
#include "teledx/ecg/readers.hpp"

namespace teledx::ecg {
using namespace detail;
namespace {

/// First bytes as ASCII, dropping the zero bytes of UTF-16 so that XML roots are visible.
std::string sniff_text(std::span<const std::uint8_t> b, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < std::min(n, b.size()); ++i)
    if (b[i] != 0 && b[i] < 0x80) s.push_back(char(b[i]));
  return s;
}

bool ends_with(std::string_view s, std::string_view suf) { return s.size() >= suf.size() && s.substr(s.size() - suf.size()) == suf; }

}  // namespace

std::string_view format_name(Format f) {
  switch (f) {
    case Format::Wfdb: return "wfdb";
    case Format::Csv: return "csv";
    case Format::Dicom: return "dicom";
    case Format::HL7aECG: return "hl7-aecg";
    case Format::ScpEcg: return "scp-ecg";
    case Format::MuseXml: return "ge-muse-xml";
    case Format::PhilipsXml: return "philips-xml";
    case Format::Contec: return "contec";
    case Format::Unknown: break;
  }
  return "unknown";
}

Format detect_format(std::span<const std::uint8_t> b, std::string_view hint) {
  const std::string h = lower_ascii(hint);
  if (b.size() >= 132 && b[128] == 'D' && b[129] == 'I' && b[130] == 'C' && b[131] == 'M') return Format::Dicom;
  if (b.size() >= 22 && std::equal(b.begin() + 16, b.begin() + 22, "SCPECG")) return Format::ScpEcg;
  if (b.size() >= 16) {
    LeReader r{b, 2};
    std::uint32_t len = r.u32();
    r.pos = 8;
    if (len == b.size() && r.u16() == 0 && ends_with(h, ".scp")) return Format::ScpEcg;
  }
  if (looks_like_contec(b)) return Format::Contec;
  const std::string head = sniff_text(b, 4096);
  if (head.find('<') != std::string::npos) {
    if (head.find("AnnotatedECG") != std::string::npos) return Format::HL7aECG;
    if (head.find("RestingECG") != std::string::npos) return Format::MuseXml;
    if (head.find("restingecgdata") != std::string::npos) return Format::PhilipsXml;
  }
  // Raw DICOM dataset without preamble: starts with an (0008,xxxx) element in little endian.
  if (b.size() >= 8 && b[0] == 0x08 && b[1] == 0x00 && (ends_with(h, ".dcm") || (b[4] >= 'A' && b[4] <= 'Z')))
    return Format::Dicom;
  if (ends_with(h, ".hea")) return Format::Wfdb;
  if (ends_with(h, ".csv") || ends_with(h, ".txt")) return Format::Csv;
  // Plain text: a WFDB header's first line is "name nsig [fs [nsamp]]"; a CSV header has separators.
  if (!head.empty() && head.size() == std::min<std::size_t>(b.size(), 4096)) {
    std::string_view first = head;
    // Comment lines are skipped; a comment with no line after it leaves nothing (npos + 1 is 0: taking the text
    // from there looped for ever on a one-line "# ..." file, holding an upload worker).
    while (!first.empty() && first.front() == '#') {
      const auto eol = first.find('\n');
      first = eol == std::string_view::npos ? std::string_view{} : first.substr(eol + 1);
    }
    first = trim(first.substr(0, first.find('\n')));
    auto f = split(first, " \t");
    if (f.size() >= 2 && to_int(f[1]) && first.find(',') == std::string_view::npos) return Format::Wfdb;
    if (first.find(',') != std::string_view::npos || first.find(';') != std::string_view::npos ||
        first.find('\t') != std::string_view::npos)
      return Format::Csv;
  }
  if (ends_with(h, ".dcm")) return Format::Dicom;
  if (ends_with(h, ".xml")) return Format::HL7aECG;
  return Format::Unknown;
}

Result<std::vector<std::uint8_t>> read_file_bytes(const std::filesystem::path& path) {
  // A directory opens as a stream but its first read throws from inside the stream buffer (libstdc++), past any
  // check of the stream state: refused here, like anything else that is not a plain file.
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (!ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st))
    return bad("'" + path.string() + "' is not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad("cannot open '" + path.string() + "'");
  try {
    std::vector<std::uint8_t> out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return bad("cannot read '" + path.string() + "'");
    return out;
  } catch (const std::ios_base::failure&) {
    return bad("cannot read '" + path.string() + "'");
  }
}

namespace {

/// The readers of the binary formats decode what the file holds, however large (their tests check the arithmetic);
/// an upload's ECG must also lie within what an ECG records (check_samples, which the text readers run as they read).
Result<Waveform> checked(Result<Waveform> w, std::string_view where) {
  if (w)
    if (auto e = check_samples(*w, where)) return *e;
  return w;
}

Result<Waveform> read_any(std::span<const std::uint8_t> b, std::string_view hint) {
  if (b.empty()) return bad("the ECG file is empty");
  const Format f = detect_format(b, hint);
  switch (f) {
    case Format::Dicom: return read_dicom_ecg(b);
    case Format::ScpEcg: return checked(read_scp_ecg(b), "the SCP-ECG file");
    case Format::HL7aECG: return read_hl7_aecg(b);
    case Format::MuseXml: return read_muse_xml(b);
    case Format::PhilipsXml: return checked(read_philips_xml(b), "the Philips XML file");
    case Format::Contec: return checked(read_contec_ecg(b), "the Contec file");
    case Format::Csv: return read_csv(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
    case Format::Wfdb:
      return bad("a WFDB header needs its signal file: upload the record as .hea + .dat together");
    case Format::Unknown: break;
  }
  const std::string head = sniff_text(b, 512);
  if (head.find('<') != std::string::npos)
    return bad("unrecognised XML: expected an HL7 aECG <AnnotatedECG>, GE MUSE <RestingECG> or Philips <restingecgdata> document");
  return bad("unrecognised ECG file: not DICOM, SCP-ECG, HL7 aECG, GE MUSE or Philips XML, Contec .ECG, WFDB or CSV");
}

}  // namespace

Result<Waveform> read_ecg_bytes(std::span<const std::uint8_t> b, std::string_view hint) {
  auto w = read_any(b, hint);
  if (w) make_text_utf8(*w);
  return w;
}

Result<Waveform> read_ecg_file(const std::filesystem::path& path) {
  if (lower_ascii(path.extension().string()) == ".hea") return read_wfdb_file(path);
  auto bytes = read_file_bytes(path);
  if (!bytes) return bytes.error();
  return read_ecg_bytes(*bytes, path.filename().string());
}

}  // namespace teledx::ecg
