#pragma once
// Writes small DICOM waveform files byte by byte (explicit VR little endian), so that tests can make ECG objects
// the sample files do not cover (8-lead storage, millivolt units, baselines) without linking DCMTK.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace teledx::ecg::test {

class DicomBuilder {
 public:
  using Bytes = std::vector<std::uint8_t>;

  static void tag(Bytes& b, std::uint16_t g, std::uint16_t e) { u16(b, g), u16(b, e); }
  static void u16(Bytes& b, std::uint32_t v) { b.push_back(std::uint8_t(v)), b.push_back(std::uint8_t(v >> 8)); }
  static void u32(Bytes& b, std::uint32_t v) { u16(b, v & 0xFFFF), u16(b, v >> 16); }

  /// A short-form element (2-byte length), padded to even length.
  static void text(Bytes& b, std::uint16_t g, std::uint16_t e, const char* vr, std::string v) {
    if (v.size() % 2) v.push_back(std::string(vr) == "UI" ? '\0' : ' ');
    tag(b, g, e);
    b.push_back(std::uint8_t(vr[0])), b.push_back(std::uint8_t(vr[1]));
    u16(b, std::uint32_t(v.size()));
    b.insert(b.end(), v.begin(), v.end());
  }
  static void us(Bytes& b, std::uint16_t g, std::uint16_t e, std::uint16_t v) {
    tag(b, g, e), b.push_back('U'), b.push_back('S'), u16(b, 2), u16(b, v);
  }
  static void ul(Bytes& b, std::uint16_t g, std::uint16_t e, std::uint32_t v) {
    tag(b, g, e), b.push_back('U'), b.push_back('L'), u16(b, 4), u32(b, v);
  }
  /// A sequence of undefined length holding the given item bodies.
  static void seq(Bytes& b, std::uint16_t g, std::uint16_t e, const std::vector<Bytes>& items) {
    tag(b, g, e), b.push_back('S'), b.push_back('Q'), u16(b, 0), u32(b, 0xFFFFFFFF);
    for (const auto& it : items) {
      tag(b, 0xFFFE, 0xE000), u32(b, 0xFFFFFFFF);
      b.insert(b.end(), it.begin(), it.end());
      tag(b, 0xFFFE, 0xE00D), u32(b, 0);
    }
    tag(b, 0xFFFE, 0xE0DD), u32(b, 0);
  }
  static void ow(Bytes& b, std::uint16_t g, std::uint16_t e, const std::vector<std::int16_t>& v) {
    tag(b, g, e), b.push_back('O'), b.push_back('W'), u16(b, 0), u32(b, std::uint32_t(v.size() * 2));
    for (auto s : v) u16(b, std::uint16_t(s));
  }

  struct Channel {
    std::string code, meaning;  // e.g. "5.6.3-9-1", "Lead I"
    double sensitivity = 1;
    std::string unit = "uV";
    double correction = 1, baseline = 0;
  };
  struct Group {
    std::string label;
    double fs = 500;
    std::vector<Channel> channels;
    std::vector<std::int16_t> interleaved;  // sample-major: s0c0 s0c1 ... s1c0 ...
    std::optional<double> offset_ms = std::nullopt;  // Multiplex Group Time Offset (0018,1068), when given
  };

  /// Optional parts of the file: a Specific Character Set (0008,0005) and the device's statements as waveform
  /// annotations (0040,B020) with Unformatted Text Value, bytes as given (already in that character set).
  struct Text {
    std::string character_set;
    std::vector<std::string> statements;
  };

  static Bytes file(const std::vector<Group>& groups, const std::string& sop_class = "1.2.840.10008.5.1.4.1.1.9.1.1",
                    const Text& extra = {}) {
    Bytes meta;
    text(meta, 0x0002, 0x0002, "UI", sop_class);
    text(meta, 0x0002, 0x0003, "UI", "1.2.3.4.5.6");
    text(meta, 0x0002, 0x0010, "UI", "1.2.840.10008.1.2.1");
    Bytes out(128, 0);
    for (char c : std::string("DICM")) out.push_back(std::uint8_t(c));
    ul(out, 0x0002, 0x0000, std::uint32_t(meta.size()));
    out.insert(out.end(), meta.begin(), meta.end());
    if (!extra.character_set.empty()) text(out, 0x0008, 0x0005, "CS", extra.character_set);
    text(out, 0x0008, 0x0016, "UI", sop_class);
    text(out, 0x0008, 0x0018, "UI", "1.2.3.4.5.6");
    text(out, 0x0008, 0x002A, "DT", "20240102030405");
    std::vector<Bytes> items;
    for (const auto& g : groups) {
      Bytes it;
      if (g.offset_ms) text(it, 0x0018, 0x1068, "DS", std::to_string(int(*g.offset_ms)));
      us(it, 0x003A, 0x0005, std::uint16_t(g.channels.size()));
      ul(it, 0x003A, 0x0010, std::uint32_t(g.interleaved.size() / g.channels.size()));
      text(it, 0x003A, 0x001A, "DS", std::to_string(int(g.fs)));
      text(it, 0x003A, 0x0020, "SH", g.label);
      std::vector<Bytes> chans;
      for (const auto& c : g.channels) {
        Bytes ch, src, unit;
        text(src, 0x0008, 0x0100, "SH", c.code);
        text(src, 0x0008, 0x0102, "SH", "SCPECG");
        text(src, 0x0008, 0x0104, "LO", c.meaning);
        seq(ch, 0x003A, 0x0208, {src});
        text(ch, 0x003A, 0x0210, "DS", std::to_string(c.sensitivity));
        text(unit, 0x0008, 0x0100, "SH", c.unit);
        text(unit, 0x0008, 0x0102, "SH", "UCUM");
        seq(ch, 0x003A, 0x0211, {unit});
        text(ch, 0x003A, 0x0212, "DS", std::to_string(c.correction));
        text(ch, 0x003A, 0x0213, "DS", std::to_string(c.baseline));
        chans.push_back(std::move(ch));
      }
      seq(it, 0x003A, 0x0200, chans);
      us(it, 0x5400, 0x1004, 16);
      text(it, 0x5400, 0x1006, "CS", "SS");
      ow(it, 0x5400, 0x1010, g.interleaved);
      items.push_back(std::move(it));
    }
    if (!extra.statements.empty()) {
      std::vector<Bytes> notes;
      for (const auto& st : extra.statements) {
        Bytes note;
        text(note, 0x0070, 0x0006, "ST", st);
        notes.push_back(std::move(note));
      }
      seq(out, 0x0040, 0xB020, notes);
    }
    seq(out, 0x5400, 0x0100, items);
    return out;
  }
};

}  // namespace teledx::ecg::test
