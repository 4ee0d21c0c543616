// The whole-study zip writer (dicom::ZipStream) on its own: the archive it generates in small reads is exactly
// as long as announced, opens with libzip (consistency checks on) and Info-ZIP's `unzip -t`, and holds every
// file byte for byte: small files (read once), a file over the in-memory limit (read twice), an empty one, and
// more than 65535 entries (ZIP64 end records).
#include <zip.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <random>

#include "dicom/dicom_fixture.hpp"
#include "support/temp_dir.hpp"
#include "teledx/dicom/render_archive.hpp"

using namespace teledx;
using namespace teledx::test;

namespace {

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// Reads the whole archive in odd-sized pieces, as a network writer would.
std::string drain(dicom::ZipStream& z, std::size_t piece = 7777) {
  std::string out, buf(piece, '\0');
  while (true) {
    auto n = z.read(buf.data(), buf.size());
    INFO((n.ok() ? std::string() : n.error().message + " " + n.error().detail));
    REQUIRE(n.ok());
    if (*n == 0) break;
    out.append(buf.data(), *n);
  }
  return out;
}

// Every entry of the zip at `path`, name -> bytes, through libzip with its consistency checks.
std::map<std::string, std::string> unpack(const std::filesystem::path& path) {
  int err = 0;
  zip_t* z = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
  INFO("libzip error " << err);
  REQUIRE(z);
  std::map<std::string, std::string> out;
  const auto n = zip_get_num_entries(z, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    REQUIRE(zip_stat_index(z, static_cast<zip_uint64_t>(i), 0, &st) == 0);
    CHECK(st.comp_method == ZIP_CM_STORE);
    std::string bytes(st.size, '\0');
    zip_file_t* f = zip_fopen_index(z, static_cast<zip_uint64_t>(i), 0);  // checks the CRC as it reads
    REQUIRE(f);
    CHECK(zip_fread(f, bytes.data(), st.size) == static_cast<zip_int64_t>(st.size));
    zip_fclose(f);
    out[st.name] = std::move(bytes);
  }
  zip_close(z);
  return out;
}

bool unzip_test(const std::filesystem::path& path) {
  return std::system(("unzip -tqq '" + path.string() + "' > /dev/null").c_str()) == 0;
}

}  // namespace

TEST_CASE("CRC-32 matches the zip standard's check value", "[server][render][zip]") {
  CHECK(dicom::crc32(0, "123456789", 9) == 0xCBF43926u);
  const auto data = random_bytes(100003, 1);
  // In pieces or at once: the same value.
  CHECK(dicom::crc32(dicom::crc32(0, data.data(), 5), data.data() + 5, data.size() - 5) ==
        dicom::crc32(0, data.data(), data.size()));
}

TEST_CASE("A study zip is as long as announced and holds every file byte for byte", "[server][render][zip]") {
  TempDir dir;
  std::map<std::string, std::string> files{
      {"series-0001-1.2.3/1.2.3.1.dcm", random_bytes(525 * 1024, 2)},
      {"series-0001-1.2.3/1.2.3.2.dcm", random_bytes(1, 3)},
      {"series-0002-1.2.4/empty.dcm", ""},
      {"series-0002-1.2.4/big.dcm", random_bytes(9 * 1024 * 1024 + 17, 4)},  // over the in-memory limit
      {"series-0002-1.2.4/中文.dcm", random_bytes(3000, 5)},                    // UTF-8 names
  };
  std::vector<dicom::ArchiveEntry> entries;
  int k = 0;
  for (const auto& [name, bytes] : files) {
    const auto path = dir / ("f" + std::to_string(k++));
    write_file(path, bytes);
    entries.push_back({name, path});
  }
  auto z = dicom::ZipStream::open(entries);
  REQUIRE(z.ok());
  const auto announced = z->size();
  const auto zip = drain(*z);
  CHECK(zip.size() == announced);
  CHECK(z->done());
  write_file(dir / "study.zip", zip);
  CHECK(unpack(dir / "study.zip") == files);
  CHECK(unzip_test(dir / "study.zip"));
  CHECK(zip.substr(zip.size() - 22 - 20, 4) != "PK\x06\x07");  // small archives carry no ZIP64 locator

  SECTION("read in one large piece, the bytes are the same") {
    auto again = dicom::ZipStream::open(entries);
    REQUIRE(again.ok());
    const auto whole = drain(*again, 32u << 20);
    // Only the DOS time stamps may differ (a second may have passed): compare the sizes and the data.
    CHECK(whole.size() == zip.size());
    write_file(dir / "again.zip", whole);
    CHECK(unpack(dir / "again.zip") == files);
  }
}

TEST_CASE("More than 65535 entries get ZIP64 end records that libzip and unzip read", "[server][render][zip]") {
  TempDir dir;
  write_file(dir / "tiny", "DICM-ish");
  std::vector<dicom::ArchiveEntry> entries;
  const int n = 65536 + 10;
  for (int i = 0; i < n; ++i) entries.push_back({"s/" + std::to_string(i) + ".dcm", dir / "tiny"});
  auto z = dicom::ZipStream::open(entries);
  REQUIRE(z.ok());
  const auto zip = drain(*z, 1u << 20);
  CHECK(zip.size() == z->size());
  CHECK(zip.substr(zip.size() - 22 - 20, 4) == "PK\x06\x07");  // ZIP64 locator before the end record
  write_file(dir / "many.zip", zip);
  const auto out = unpack(dir / "many.zip");
  CHECK(out.size() == static_cast<std::size_t>(n));
  CHECK(out.at("s/0.dcm") == "DICM-ish");
  CHECK(out.at("s/65545.dcm") == "DICM-ish");
  CHECK(unzip_test(dir / "many.zip"));
}

TEST_CASE("A missing or changed stored file is a clear storage error, not a corrupt zip", "[server][render][zip]") {
  TempDir dir;
  write_file(dir / "a", random_bytes(1000, 6));
  auto missing = dicom::ZipStream::open({{"a.dcm", dir / "a"}, {"b.dcm", dir / "nowhere"}});
  REQUIRE(!missing.ok());
  CHECK(missing.error().code == ErrorCode::StorageFailure);
  CHECK(missing.error().message.find("could not be found") != std::string::npos);

  auto z = dicom::ZipStream::open({{"a.dcm", dir / "a"}});
  REQUIRE(z.ok());
  write_file(dir / "a", random_bytes(2000, 7));  // grows after the length was announced
  std::string buf(4096, '\0');
  auto n = z->read(buf.data(), buf.size());
  REQUIRE(!n.ok());
  CHECK(n.error().code == ErrorCode::StorageFailure);
  CHECK(n.error().message.find("changed size") != std::string::npos);
}
