#include "teledx/ecg/readers.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <new>
#include <random>

#include "ecg_test_data.hpp"
#include "support/temp_dir.hpp"
#include "teledx/ecg/analysis.hpp"

using namespace teledx::ecg;
using teledx::ecg::test::as_bytes;
using teledx::ecg::test::local_data;

// The largest single allocation while `g_track_allocations` is set: operator new and the nothrow array new DCMTK
// uses are replaced for this test program (plain malloc, as the library's own), so a reader asking for gigabytes
// because of one damaged length field shows up even when the system would have granted it.
namespace {
std::atomic<bool> g_track_allocations{false};
std::atomic<std::size_t> g_largest_allocation{0};
void note_allocation(std::size_t n) {
  if (!g_track_allocations.load(std::memory_order_relaxed)) return;
  std::size_t cur = g_largest_allocation.load(std::memory_order_relaxed);
  while (n > cur && !g_largest_allocation.compare_exchange_weak(cur, n)) {
  }
}
}  // namespace

void* operator new(std::size_t n) {
  note_allocation(n);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  note_allocation(n);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  note_allocation(n);
  return std::malloc(n ? n : 1);
}

namespace {

/// Largest single allocation made by `f`.
template <typename F>
std::size_t largest_allocation(F&& f) {
  g_largest_allocation = 0;
  g_track_allocations = true;
  f();
  g_track_allocations = false;
  return g_largest_allocation;
}

constexpr std::size_t kMiB = 1024 * 1024;

bool mentions(const teledx::Error& e, const std::string& word) { return e.message.find(word) != std::string::npos; }

std::string text_of(const std::filesystem::path& p) {
  auto b = read_file_bytes(p);
  REQUIRE(b.ok());
  return std::string(b->begin(), b->end());
}

void write_file(const std::filesystem::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary);
  out << content;
}

std::string replace_first(std::string s, const std::string& what, const std::string& with) {
  const auto at = s.find(what);
  REQUIRE(at != std::string::npos);
  return s.replace(at, what.size(), with);
}

/// Reads a mutated file; a success must still yield a consistent waveform that the analysis accepts.
void check_mutant(const std::vector<std::uint8_t>& bytes, const std::string& hint) {
  auto w = read_ecg_bytes(bytes, hint);
  if (!w.ok()) {
    CHECK_FALSE(w.error().message.empty());
    return;
  }
  for (const auto& l : w->leads) REQUIRE(l.uv.size() == w->sample_count());
  if (w->sample_count() > 100'000) return;  // analysing a huge mutant only costs time
  auto a = analyze(*w);
  CHECK(a.sample_count == std::int64_t(w->sample_count()));
}

}  // namespace

TEST_CASE("Truncated and bit-flipped copies of every sample format give an error or a consistent waveform", "[ecg]") {
  std::vector<std::pair<std::string, std::filesystem::path>> files = {
      {"x.dcm", test::local_data() / "waveform_ecg.dcm"},
      {"x.xml", test::local_data() / "Example_aECG.xml"},
      {"x.xml", test::local_data() / "minimum_aecg.xml"},
      {"x.xml", test::local_data() / "philips_129DYPRG.xml"},
  };
  if (test::shared_has("formats/scp-ecg/Example.scp")) files.push_back({"x.scp", test::shared_data() / "formats/scp-ecg/Example.scp"});
  if (test::shared_has("formats/contec/0000037.ECG")) files.push_back({"x.ECG", test::shared_data() / "formats/contec/0000037.ECG"});
  if (test::shared_has("formats/ge-muse-xml/MUSE_20200923_093504_79000_example.xml"))
    files.push_back({"x.xml", test::shared_data() / "formats/ge-muse-xml/MUSE_20200923_093504_79000_example.xml"});
  std::mt19937 rng(2024);
  for (const auto& [hint, path] : files) {
    auto original = read_file_bytes(path);
    REQUIRE(original.ok());
    INFO(path.string());
    for (int round = 0; round < 12; ++round) {
      auto cut = *original;
      cut.resize(std::uniform_int_distribution<std::size_t>(0, cut.size() - 1)(rng));
      check_mutant(cut, hint);
      auto flipped = *original;
      for (int k = 0; k < 8; ++k) flipped[std::uniform_int_distribution<std::size_t>(0, flipped.size() - 1)(rng)] ^= std::uint8_t(1 << (k % 8));
      check_mutant(flipped, hint);
    }
  }
}

TEST_CASE("Garbage bytes named like any ECG format are refused without a crash", "[ecg]") {
  std::mt19937 rng(7);
  for (const char* hint : {"x.dcm", "x.xml", "x.scp", "x.csv", "x.hea", "x.ECG", "x.bin"}) {
    std::vector<std::uint8_t> junk(std::uniform_int_distribution<std::size_t>(1, 5000)(rng));
    for (auto& b : junk) b = std::uint8_t(rng());
    auto w = read_ecg_bytes(junk, hint);
    INFO(hint);
    CHECK_FALSE(w.ok());
  }
  auto ann = read_wfdb_annotations(std::vector<std::uint8_t>{0xFF, 0xFF, 0x01});
  CHECK((ann.ok() || !ann.error().message.empty()));
}

TEST_CASE("A WFDB signal file name that starts with a zero byte or is a dot is refused instead of reading the folder", "[ecg]") {
  // "<NUL>3.dat" ends at its zero byte for the system and "." is the folder itself: the stream opened on the folder
  // threw from its first read, past every check, and the exception left the reader instead of an error.
  const std::string hea = text_of(local_data() / "ludb/3.hea");
  const auto dat = read_file_bytes(local_data() / "ludb/3.dat");
  REQUIRE(dat.ok());
  for (const std::string& name : {std::string("\0" "3.dat", 6), std::string(".")}) {
    teledx::test::TempDir dir;
    write_file(dir / "3.hea", replace_first(hea, "3.dat", name));
    write_file(dir / "3.dat", std::string(dat->begin(), dat->end()));
    auto w = read_ecg_file(dir / "3.hea");
    REQUIRE_FALSE(w.ok());
    CHECK(mentions(w.error(), "must be a plain file name"));
  }
}

TEST_CASE("Reading a folder as an ECG file gives an error instead of an exception", "[ecg]") {
  teledx::test::TempDir dir;
  auto bytes = read_file_bytes(dir.path());
  REQUIRE_FALSE(bytes.ok());
  CHECK(mentions(bytes.error(), "is not a regular file"));
  auto w = read_ecg_file(dir.path());
  REQUIRE_FALSE(w.ok());
}

TEST_CASE("A DICOM element length running past the end of the file is refused without allocating that length", "[ecg]") {
  // DCMTK reading from memory allocated each value's declared length before finding the data short: 4 GB for the
  // waveform data of this 300 KB file once its length field read 0xFFFFFFF0.
  auto bytes = read_file_bytes(local_data() / "waveform_ecg.dcm");
  REQUIRE(bytes.ok());
  const std::vector<std::uint8_t> waveform_data = {0x00, 0x54, 0x10, 0x10, 'O', 'W', 0, 0};
  const auto at = std::search(bytes->begin(), bytes->end(), waveform_data.begin(), waveform_data.end());
  REQUIRE(at != bytes->end());
  for (std::size_t i = 0; i < 4; ++i) *(at + 8 + std::ptrdiff_t(i)) = i == 0 ? 0xF0 : 0xFF;
  teledx::Result<Waveform> w = teledx::make_error(teledx::ErrorCode::Internal, "not read");
  const std::size_t largest = largest_allocation([&] { w = read_ecg_bytes(*bytes, "x.dcm"); });
  REQUIRE_FALSE(w.ok());
  CHECK(largest < 64 * kMiB);
}
