#include "teledx/core/file_store.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <fstream>
#include <thread>

#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using teledx::FailPoint;
using teledx::FileStore;

namespace {

std::size_t count_files(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a stored blob reads back byte for byte and is listed under its key", "[core]") {
  const teledx::test::TempDir dir("teledx-fs");
  FileStore store(dir.path());
  CHECK(fs::is_directory(dir.path() / "blobs"));
  CHECK(fs::is_directory(dir.path() / "tmp"));

  std::string bytes(300'000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  REQUIRE(store.put("dicom/1a/2b/abc.dcm", bytes).ok());
  REQUIRE(store.put("empty.bin", "").ok());

  auto read = store.read("dicom/1a/2b/abc.dcm");
  REQUIRE(read.ok());
  CHECK(*read == bytes);
  CHECK(store.read("empty.bin").value().empty());
  CHECK(store.exists("dicom/1a/2b/abc.dcm"));
  CHECK_FALSE(store.exists("dicom/1a/2b/other.dcm"));
  CHECK(store.path_of("dicom/1a/2b/abc.dcm") == fs::absolute(dir.path()) / "blobs/dicom/1a/2b/abc.dcm");
  CHECK(store.list_keys() == std::vector<std::string>{"dicom/1a/2b/abc.dcm", "empty.bin"});
  CHECK(count_files(dir.path() / "tmp") == 0);
}

TEST_CASE("reading a key that was never stored answers not found", "[core]") {
  const teledx::test::TempDir dir("teledx-fs");
  FileStore store(dir.path());
  auto r = store.read("nothing/here.dcm");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == teledx::ErrorCode::NotFound);
}

TEST_CASE("put replaces existing content atomically: readers see the old or the new bytes, never a mix",
          "[core]") {
  const teledx::test::TempDir dir("teledx-fs");
  FileStore store(dir.path());
  const std::string a(200'000, 'a');
  const std::string b(100'000, 'b');
  REQUIRE(store.put("k.bin", a).ok());

  std::atomic<bool> stop{false};
  std::atomic<int> torn{0}, reads{0};
  std::thread reader([&] {
    while (!stop) {
      auto r = store.read("k.bin");
      if (!r.ok() || (*r != a && *r != b)) ++torn;
      ++reads;
    }
  });
  for (int i = 0; i < 40; ++i) REQUIRE(store.put("k.bin", i % 2 ? a : b).ok());
  stop = true;
  reader.join();
  CHECK(torn == 0);
  CHECK(reads > 0);
  CHECK(store.read("k.bin").value() == a);
  CHECK(store.list_keys().size() == 1);
  CHECK(count_files(dir.path() / "tmp") == 0);
}

TEST_CASE("invalid keys are refused and nothing is written", "[core]") {
  const teledx::test::TempDir dir("teledx-fs");
  FileStore store(dir.path());
  const char* bad[] = {"",        "/etc/passwd", "../escape", "a/../../b", "a/./b",      "a//b", "a/",
                       ".",       "..",          "a b",       "a\\b",      "caf\xc3\xa9", "a:b",  "a/*"};
  for (const char* key : bad) {
    INFO("key '" << key << "'");
    CHECK_FALSE(FileStore::valid_key(key));
    auto r = store.put(key, "x");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == teledx::ErrorCode::BadRequest);
    CHECK_FALSE(store.read(key).ok());
    CHECK_FALSE(store.remove(key).ok());
    CHECK_FALSE(store.exists(key));
  }
  CHECK_FALSE(FileStore::valid_key(std::string(300, 'a')));
  CHECK_FALSE(FileStore::valid_key(std::string_view("a\0b", 3)));
  CHECK(store.list_keys().empty());
  CHECK(count_files(dir.path() / "tmp") == 0);
  CHECK_FALSE(fs::exists(dir.path() / "escape"));

  for (const char* good : {"a", "dicom/1a/2b/0f3e.dcm", "A-b_c.d/e..f", "ecg/x.tar.gz"}) {
    INFO("key '" << good << "'");
    CHECK(FileStore::valid_key(good));
  }
}

TEST_CASE("commit_temp moves a file written in the temp area into place and consumes it", "[core]") {
  const teledx::test::TempDir dir("teledx-fs");
  FileStore store(dir.path());
  const fs::path temp = store.new_temp_path();
  CHECK(temp.parent_path() == fs::absolute(dir.path()) / "tmp");
  CHECK(store.new_temp_path() != temp);
  { std::ofstream(temp, std::ios::binary) << "streamed instance"; }

  REQUIRE(store.commit_temp(temp, "dicom/aa/inst.dcm").ok());
  CHECK_FALSE(fs::exists(temp));
  CHECK(store.read("dicom/aa/inst.dcm").value() == "streamed instance");

  auto missing = store.commit_temp(store.new_temp_path(), "dicom/aa/other.dcm");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == teledx::ErrorCode::StorageFailure);
  CHECK_FALSE(store.exists("dicom/aa/other.dcm"));
}

TEST_CASE("a write stopped after the temp write leaves the temp file and the old content", "[core]") {
  const teledx::test::TempDir dir("teledx-fs");
  FileStore store(dir.path());
  REQUIRE(store.put("k.bin", "old").ok());
  store.set_fail_point(FailPoint::AfterTempWrite);

  auto r = store.put("k.bin", "new content");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == teledx::ErrorCode::StorageFailure);
  CHECK_FALSE(r.error().message.empty());
  CHECK_FALSE(store.put("fresh.bin", "x").ok());
  CHECK(count_files(dir.path() / "tmp") == 2);
  CHECK(store.read("k.bin").value() == "old");
  CHECK_FALSE(store.exists("fresh.bin"));

  CHECK(store.clean_temp() == 2);
  CHECK(count_files(dir.path() / "tmp") == 0);
}

TEST_CASE("a write stopped after the rename has the file in place but reports failure", "[core]") {
  const teledx::test::TempDir dir("teledx-fs");
  FileStore store(dir.path());
  store.set_fail_point(FailPoint::AfterRename);
  auto r = store.put("new/dir/k.bin", "bytes");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == teledx::ErrorCode::StorageFailure);
  CHECK(store.exists("new/dir/k.bin"));
  CHECK(count_files(dir.path() / "tmp") == 0);

  store.set_fail_point(FailPoint::None);
  CHECK(store.put("new/dir/k2.bin", "bytes").ok());
}

TEST_CASE("remove deletes a key, and removing a missing key succeeds", "[core]") {
  const teledx::test::TempDir dir("teledx-fs");
  FileStore store(dir.path());
  REQUIRE(store.put("a/b.bin", "x").ok());
  REQUIRE(store.remove("a/b.bin").ok());
  CHECK_FALSE(store.exists("a/b.bin"));
  CHECK(store.remove("a/b.bin").ok());
  CHECK(store.remove("never/was.bin").ok());
  CHECK(store.list_keys().empty());
}

TEST_CASE("a write fails with a storage error when the blob directory cannot be written", "[core]") {
  const teledx::test::TempDir dir("teledx-fs");
  FileStore store(dir.path());
  // A file where a directory of the key should be: the write cannot create it.
  REQUIRE(store.put("taken", "file").ok());
  auto r = store.put("taken/child.bin", "x");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == teledx::ErrorCode::StorageFailure);
  CHECK_FALSE(r.error().detail.empty());
  CHECK(count_files(dir.path() / "tmp") == 0);
  CHECK(store.read("taken").value() == "file");
}
