#pragma once
// SCP-ECG records made in the tests: a section 0 pointing at the given sections, each with its 16-byte header,
// the record's length and CRC filled in. Section bodies are written by the test (little-endian fields).
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace teledx::ecg::test {

inline void le(std::vector<std::uint8_t>& b, std::uint32_t v, int n) {
  for (int i = 0; i < n; ++i) b.push_back(std::uint8_t(v >> (8 * i)));
}

inline std::uint16_t scp_crc(const std::vector<std::uint8_t>& d, std::size_t from) {
  std::uint16_t crc = 0xFFFF;
  for (std::size_t k = from; k < d.size(); ++k) {
    crc ^= std::uint16_t(d[k] << 8);
    for (int i = 0; i < 8; ++i) crc = (crc & 0x8000) ? std::uint16_t((crc << 1) ^ 0x1021) : std::uint16_t(crc << 1);
  }
  return crc;
}

/// The record of `sections` (section id -> body after its header).
inline std::vector<std::uint8_t> scp_file(const std::map<int, std::vector<std::uint8_t>>& sections) {
  std::vector<std::uint8_t> out(6, 0);
  auto header = [&](int id, std::size_t len) {
    le(out, 0, 2);
    le(out, std::uint32_t(id), 2);
    le(out, std::uint32_t(len), 4);
    le(out, 0x1414, 2);  // versions
    le(out, 0, 4), le(out, 0, 2);
  };
  const std::size_t s0_len = 16 + 10 * sections.size();
  header(0, s0_len);
  std::size_t at = 6 + s0_len;
  for (const auto& [id, body] : sections) {
    le(out, std::uint32_t(id), 2);
    le(out, std::uint32_t(16 + body.size()), 4);
    le(out, std::uint32_t(at + 1), 4);  // 1-based
    at += 16 + body.size();
  }
  for (const auto& [id, body] : sections) {
    header(id, 16 + body.size());
    out.insert(out.end(), body.begin(), body.end());
  }
  const auto len = std::uint32_t(out.size());
  for (int i = 0; i < 4; ++i) out[2 + std::size_t(i)] = std::uint8_t(len >> (8 * i));
  const std::uint16_t crc = scp_crc(out, 2);
  out[0] = std::uint8_t(crc), out[1] = std::uint8_t(crc >> 8);
  return out;
}

/// A section 5 or 6 body: amplitude unit (nV), sample interval (us), difference encoding, no bimodal compression,
/// then each lead's `data` bytes.
inline std::vector<std::uint8_t> scp_signal_section(int avm_nv, int interval_us, int diff,
                                                    const std::vector<std::vector<std::uint8_t>>& leads) {
  std::vector<std::uint8_t> s;
  le(s, std::uint32_t(avm_nv), 2);
  le(s, std::uint32_t(interval_us), 2);
  s.push_back(std::uint8_t(diff));
  s.push_back(0);
  for (const auto& l : leads) le(s, std::uint32_t(l.size()), 2);
  for (const auto& l : leads) s.insert(s.end(), l.begin(), l.end());
  return s;
}

/// A section 3 body: `codes` (SCP lead codes: 1 = I, 2 = II, 3 = V1...) of `nsamp` samples, flags (bit 0:
/// reference-beat subtraction; bit 2: all leads simultaneous).
inline std::vector<std::uint8_t> scp_lead_section(const std::vector<int>& codes, std::uint32_t nsamp, int flags) {
  std::vector<std::uint8_t> s;
  s.push_back(std::uint8_t(codes.size()));
  s.push_back(std::uint8_t(flags));
  for (int c : codes) {
    le(s, 1, 4);
    le(s, nsamp, 4);
    s.push_back(std::uint8_t(c));
  }
  return s;
}

/// Values as two-byte integers: the lead data of a record without Huffman tables (no section 2).
inline std::vector<std::uint8_t> scp_int16(const std::vector<int>& values) {
  std::vector<std::uint8_t> b;
  for (int v : values) le(b, std::uint32_t(std::uint16_t(std::int16_t(v))), 2);
  return b;
}

/// A one-lead SCP-ECG record (a second of zeros) whose section 1 states only the patient ID and an age (tag 4): a
/// 16-bit count and its unit (1 years, 2 months, 3 weeks, 4 days; 0 not given).
inline std::vector<std::uint8_t> scp_with_stated_age(std::uint8_t lo, std::uint8_t hi, std::uint8_t unit) {
  std::vector<std::uint8_t> s1{2, 3, 0, 'I', 'D', 0, 4, 3, 0, lo, hi, unit, 255, 0, 0};
  return scp_file({{1, s1}, {3, scp_lead_section({1}, 1000, 4)},
                   {6, scp_signal_section(5000, 2000, 0, {scp_int16(std::vector<int>(1000, 0))})}});
}

}  // namespace teledx::ecg::test
