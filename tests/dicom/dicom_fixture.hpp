#pragma once
// Deterministic DICOM test files written byte by byte (explicit VR little endian Part 10), so the tests
// control every element, including the broken ones, without linking DCMTK.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace teledx::test {

inline constexpr const char* kExplicitLE = "1.2.840.10008.1.2.1";
inline constexpr const char* kCtImageStorage = "1.2.840.10008.5.1.4.1.1.2";
inline constexpr const char* kSecondaryCapture = "1.2.840.10008.5.1.4.1.1.7";
inline constexpr const char* kTwelveLeadEcg = "1.2.840.10008.5.1.4.1.1.9.1.1";
inline constexpr const char* kUsMultiframe = "1.2.840.10008.5.1.4.1.1.3.1";
inline constexpr const char* kJpeg2000Lossless = "1.2.840.10008.1.2.4.90";

/// A dataset as a sorted map of elements; values are raw little-endian bytes (strings as text).
class DicomBuilder {
 public:
  using Tag = std::pair<std::uint16_t, std::uint16_t>;
  DicomBuilder& set(std::uint16_t group, std::uint16_t element, std::string vr, std::string value);
  DicomBuilder& set_us(std::uint16_t group, std::uint16_t element, std::uint16_t value);
  DicomBuilder& erase(std::uint16_t group, std::uint16_t element);
  /// A sequence with one item holding `item`'s elements (explicit lengths).
  DicomBuilder& set_sequence(std::uint16_t group, std::uint16_t element, const DicomBuilder& item);
  /// Encoded elements (explicit VR little endian), without preamble or meta header.
  std::string dataset_bytes() const;
  /// Encapsulated (compressed) Pixel Data: empty offset table, then one fragment per entry.
  DicomBuilder& set_encapsulated_pixels(const std::vector<std::string>& fragments);
  /// Preamble, "DICM", meta header (SOP class/instance taken from the dataset unless overridden) and dataset.
  /// `transfer_syntax` only changes the meta header: the dataset is always explicit VR little endian, which is
  /// also how the encapsulated syntaxes encode everything but the pixel data.
  std::string part10(const std::string& meta_sop_instance_override = {},
                     const std::string& transfer_syntax = kExplicitLE) const;
  std::string get(std::uint16_t group, std::uint16_t element) const;

 private:
  struct Value { std::string vr, bytes; };
  std::map<Tag, Value> elements_;
};

struct ImageSpec {
  std::string patient_id = "P001", patient_name = "WANG^XIAOMING";
  std::string study_uid, series_uid, sop_uid;
  std::string sop_class = kCtImageStorage;
  std::string modality = "CT";
  std::int64_t series_number = 1, instance_number = 1;
  std::uint16_t rows = 16, columns = 16;
  std::int64_t frames = 1;  // > 1 adds NumberOfFrames
  std::string accession = "ACC001", study_description = "CHEST", body_part = "CHEST";
};

/// A small 16-bit monochrome image whose pixels depend on the UIDs (deterministic, not zeros).
DicomBuilder make_image(const ImageSpec& spec);
/// Instance n of the one series "<study>.1" of a study, size x size pixels.
ImageSpec series_image(const std::string& patient_id, const std::string& study, int n, std::uint16_t size = 16,
                       std::int64_t frames = 1);
/// The WADO-RS path of an instance: /dicom-web/studies/{study}/series/{series}/instances/{sop}.
std::string wado_instance_path(const ImageSpec& spec);
/// A 12-lead ECG waveform instance (no pixel data) in the given study.
DicomBuilder make_ecg(const std::string& patient_id, const std::string& study_uid, const std::string& series_uid,
                      const std::string& sop_uid);

/// Deterministic UID under a test root: uid("study", 3) -> "1.2.826.0.1.3680043.10.1000.<hash>.3".
std::string test_uid(const std::string& kind, std::int64_t n);

void write_file(const std::filesystem::path& p, const std::string& bytes);
std::string read_file(const std::filesystem::path& p);

}  // namespace teledx::test
