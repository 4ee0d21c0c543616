#include "teledx/dicom/instance_store.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <zlib.h>
#include <nlohmann/json.hpp>

#include "dicom/dicom_fixture.hpp"
#include "support/temp_dir.hpp"
#include "teledx/core/ids.hpp"

using namespace teledx;
using namespace teledx::dicom;
using namespace teledx::test;

namespace {

class ManualClock final : public Clock {
 public:
  std::int64_t now_ms() const override { return now; }
  std::int64_t now = 1'750'000'000'000;
};

struct Store {
  explicit Store(InstanceStoreOptions options = {}) {
    auto opened = db::open_sqlite(dir / "index.sqlite");
    REQUIRE(opened.ok());
    db = std::move(*opened);
    REQUIRE(db->migrate("blobs", blob_migrations()).ok());
    REQUIRE(db->migrate("dicom", InstanceStore::migrations()).ok());
    files = std::make_unique<FileStore>(dir / "data");
    store = std::make_unique<InstanceStore>(*db, *files, clock, options);
  }

  Result<IngestOutcome> ingest(const std::string& bytes, std::int64_t clinic = 1) {
    const auto temp = store->new_temp_path();
    write_file(temp, bytes);
    return store->ingest_file(temp, clinic, "test");
  }

  std::int64_t count(const std::string& table) {
    auto rows = db->query("SELECT COUNT(*) FROM " + table);
    REQUIRE(rows.ok());
    return rows->front().integer(0);
  }

  // Nothing stored anywhere: no blobs, no index rows, no temp files, and the store check is clean.
  void require_empty() {
    CHECK(count("blobs") == 0);
    CHECK(count("dicom_instances") == 0);
    CHECK(count("dicom_studies") == 0);
    CHECK(count("dicom_series") == 0);
    CHECK(files->list_keys().empty());
    auto report = check_store(*db, *files);
    REQUIRE(report.ok());
    CHECK(report->clean());
  }

  TempDir dir{"teledx-dicom"};
  ManualClock clock;
  std::unique_ptr<db::Database> db;
  std::unique_ptr<FileStore> files;
  std::unique_ptr<InstanceStore> store;
};

ImageSpec spec(int study, int series, int instance) {
  ImageSpec s;
  s.study_uid = test_uid("study", study);
  s.series_uid = test_uid("series", study * 100 + series);
  s.sop_uid = test_uid("sop", study * 10000 + series * 100 + instance);
  s.series_number = series;
  s.instance_number = instance;
  return s;
}

}  // namespace

TEST_CASE("A study keeps the patient's stated age from the first instance that gives one", "[dicom]") {
  // Carts and many modalities state PatientAge ("067Y") and no birth date; the worklist and printed pages show it.
  Store s;
  auto first = make_image(spec(3, 1, 1));
  REQUIRE(s.ingest(first.part10(), 7).ok());
  auto study = s.store->study(spec(3, 1, 1).study_uid);
  REQUIRE(study.ok());
  CHECK(study->patient_age.empty());
  auto second = make_image(spec(3, 1, 2));
  second.set(0x0010, 0x1010, "AS", "067Y");
  auto r = s.ingest(second.part10(), 7);
  REQUIRE(r.ok());
  CHECK(r->meta.patient_age == "067Y");
  auto third = make_image(spec(3, 1, 3));
  third.set(0x0010, 0x1010, "AS", "068Y");  // a later instance does not overwrite it
  REQUIRE(s.ingest(third.part10(), 7).ok());
  study = s.store->study(spec(3, 1, 1).study_uid);
  REQUIRE(study.ok());
  CHECK(study->patient_age == "067Y");
}

TEST_CASE("A valid instance is stored durably and indexed patient, study, series and instance", "[dicom]") {
  Store s;
  auto sp = spec(1, 1, 1);
  sp.frames = 3;
  const std::string bytes = make_image(sp).part10();
  auto r = s.ingest(bytes, 7);
  REQUIRE(r.ok());
  CHECK(r->status == IngestOutcome::Status::Stored);
  const InstanceMeta& m = r->meta;
  CHECK(m.sop_uid == sp.sop_uid);
  CHECK(m.study_uid == sp.study_uid);
  CHECK(m.series_uid == sp.series_uid);
  CHECK(m.sop_class_uid == kCtImageStorage);
  CHECK(m.patient_name == "WANG^XIAOMING");
  CHECK(m.patient_id == "P001");
  CHECK(m.patient_sex == "M");
  CHECK(m.patient_birth_date == "19600214");
  CHECK(m.accession == "ACC001");
  CHECK(m.modality == "CT");
  CHECK(m.body_part == "CHEST");
  CHECK(m.number_of_frames == 3);
  CHECK(m.rows == 16);
  CHECK(m.columns == 16);
  CHECK(m.transfer_syntax == kExplicitLE);
  CHECK(m.clinic_id == 7);
  CHECK(m.size == static_cast<std::int64_t>(bytes.size()));
  CHECK(m.sha256 == sha256_hex(bytes));

  // The stored file holds exactly the bytes sent; the temp file is gone and the store check is clean.
  auto stored = s.files->read(m.file_key);
  REQUIRE(stored.ok());
  CHECK(*stored == bytes);
  auto report = check_store(*s.db, *s.files);
  REQUIRE(report.ok());
  CHECK(report->clean());
  CHECK(report->blobs_indexed == 1);

  auto study = s.store->study(sp.study_uid);
  REQUIRE(study.ok());
  CHECK(study->clinic_id == 7);
  CHECK(study->series_count == 1);
  CHECK(study->instance_count == 1);
  CHECK(study->modalities == std::vector<std::string>{"CT"});
  CHECK(study->has_images);
  CHECK_FALSE(study->has_ecg);
  auto key = s.store->instance_file_key(sp.sop_uid);
  REQUIRE(key.ok());
  CHECK(*key == m.file_key);

  InstanceQuery by_study;
  by_study.study_uid = sp.study_uid;
  auto json = s.store->metadata_json(by_study);
  REQUIRE(json.ok());
  REQUIRE(json->size() == 1);
  const auto parsed = nlohmann::json::parse(json->front());
  CHECK(parsed.at("00100010").at("Value").at(0).at("Alphabetic") == "WANG^XIAOMING");
  CHECK(parsed.at("7FE00010").at("BulkDataURI") == "{{instance}}/bulk/7FE00010");
}

TEST_CASE("Names in GB18030 or Latin-1 are indexed and served in UTF-8, the stored file keeps the bytes sent",
          "[dicom]") {
  Store s;
  struct Case {
    std::string charset, name_bytes, utf8, description_utf8;
  };
  // 王小明 in GB18030, a Latin-1 name, and an ASCII name under a declared character set (left as it is). Then
  // 王小明 in GBK as older Chinese modalities send it, declaring no character set ("-": no (0008,0005)) or an empty
  // one: read as GB18030, not indexed as "??????"; and an undeclared ASCII name, left as it is.
  const std::string wang_gbk = "\xCD\xF5^\xD0\xA1\xC3\xF7", wang = "\xE7\x8E\x8B^\xE5\xB0\x8F\xE6\x98\x8E";
  const std::string chest = "\xE8\x83\xB8\xE9\x83\xA8";
  const Case cases[] = {{"GB18030", wang_gbk, wang, chest},
                        {"ISO_IR 100", "M\xFCLLER^J\xD6RG", "M\xC3\xBCLLER^J\xC3\x96RG", ""},
                        {"ISO_IR 100", "ZHANG^SAN", "ZHANG^SAN", ""},
                        {"-", wang_gbk, wang, chest},
                        {"", wang_gbk, wang, chest},
                        {"-", "ZHANG^SAN", "ZHANG^SAN", ""}};
  int n = 0;
  for (const auto& c : cases) {
    INFO(c.charset << " " << c.utf8);
    auto sp = spec(40 + n, 1, 1);
    ++n;
    auto image = make_image(sp);
    if (c.charset != "-") image.set(0x0008, 0x0005, "CS", c.charset);
    image.set(0x0010, 0x0010, "PN", c.name_bytes);
    if (!c.description_utf8.empty()) image.set(0x0008, 0x1030, "LO", "\xD0\xD8\xB2\xBF");  // 胸部 in GB18030
    const std::string bytes = image.part10();
    auto r = s.ingest(bytes);
    REQUIRE(r.ok());
    CHECK(r->meta.patient_name == c.utf8);
    auto study = s.store->study(sp.study_uid);
    REQUIRE(study.ok());
    CHECK(study->patient_name == c.utf8);
    if (!c.description_utf8.empty()) CHECK(study->study_description == c.description_utf8);
    InstanceQuery q;
    q.sop_uids = {sp.sop_uid};
    auto json = s.store->metadata_json(q);
    REQUIRE(json.ok());
    REQUIRE(json->size() == 1);
    const auto parsed = nlohmann::json::parse(json->front());  // throws on invalid UTF-8
    CHECK(parsed.at("00100010").at("Value").at(0).at("Alphabetic") == c.utf8);
    auto stored = s.files->read(r->meta.file_key);
    REQUIRE(stored.ok());
    CHECK(*stored == bytes);
  }
}

TEST_CASE("The same instance sent twice with identical bytes is stored once and answers AlreadyStored", "[dicom]") {
  Store s;
  const std::string bytes = make_image(spec(1, 1, 1)).part10();
  REQUIRE(s.ingest(bytes).ok());
  auto again = s.ingest(bytes);
  REQUIRE(again.ok());
  CHECK(again->status == IngestOutcome::Status::AlreadyStored);
  CHECK(s.count("dicom_instances") == 1);
  CHECK(s.count("blobs") == 1);
  auto study = s.store->study(spec(1, 1, 1).study_uid);
  REQUIRE(study.ok());
  CHECK(study->instance_count == 1);
  auto report = check_store(*s.db, *s.files);
  REQUIRE(report.ok());
  CHECK(report->clean());
}

TEST_CASE("A different instance under a known SOP Instance UID keeps the first copy", "[dicom]") {
  const auto first = make_image(spec(1, 1, 1));
  auto changed = first;
  changed.set(0x0008, 0x103E, "LO", "CHANGED");
  const std::string first_bytes = first.part10();

  SECTION("by default it answers DuplicateDifferent with a warning") {
    Store s;
    REQUIRE(s.ingest(first_bytes).ok());
    auto r = s.ingest(changed.part10());
    REQUIRE(r.ok());
    CHECK(r->status == IngestOutcome::Status::DuplicateDifferent);
    CHECK_FALSE(r->warning.empty());
    CHECK(r->meta.sha256 == sha256_hex(first_bytes));
    CHECK(s.count("blobs") == 1);
    CHECK(*s.files->read(r->meta.file_key) == first_bytes);
    auto report = check_store(*s.db, *s.files);
    REQUIRE(report.ok());
    CHECK(report->clean());
  }
  SECTION("with the KeepFirstError policy it fails with DuplicateDifferent") {
    Store s(InstanceStoreOptions{DuplicatePolicy::KeepFirstError});
    REQUIRE(s.ingest(first_bytes).ok());
    auto r = s.ingest(changed.part10());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::DuplicateDifferent);
    CHECK(s.count("blobs") == 1);
  }
}

TEST_CASE("Malformed files are refused as invalid DICOM and leave nothing behind", "[dicom]") {
  Store s;
  const auto good = make_image(spec(1, 1, 1));
  const std::string good_bytes = good.part10();
  std::string bytes;
  std::string expect;

  SECTION("not DICOM at all") {
    bytes = std::string(2000, 'x');
    expect = "DICM";
  }
  SECTION("too short for a header") {
    bytes = "hello";
    expect = "too short";
  }
  SECTION("truncated in the pixel data") {
    bytes = good_bytes.substr(0, good_bytes.size() - 101);
    expect = "truncated";
  }
  SECTION("truncated in the meta header") {
    bytes = good_bytes.substr(0, 160);
  }
  SECTION("an element length far beyond the end of the file") {
    bytes = good_bytes;
    const auto pos = bytes.find(std::string("\xE0\x7F\x10\x00OW\0\0", 8));
    REQUIRE(pos != std::string::npos);
    bytes.replace(pos + 8, 4, std::string("\x00\x00\x00\x7F", 4));
    expect = "truncated";
  }
  SECTION("missing Study Instance UID") {
    auto b = good;
    bytes = b.erase(0x0020, 0x000D).part10();
    expect = "Study Instance UID (0020,000D)";
  }
  SECTION("missing SOP Instance UID") {
    auto b = good;
    bytes = b.erase(0x0008, 0x0018).part10("1.2.3.4");
    expect = "SOP Instance UID (0008,0018)";
  }
  SECTION("a malformed UID") {
    auto b = good;
    bytes = b.set(0x0020, 0x000E, "UI", "1.2.abc").part10();
    expect = "not a valid UID";
  }
  SECTION("meta header and dataset disagree on the SOP Instance UID") {
    bytes = good.part10("1.2.826.0.1.3680043.10.1000.99");
    expect = "meta header";
  }
  SECTION("pixel data shorter than rows x columns x bits") {
    auto b = good;
    bytes = b.set(0x7FE0, 0x0010, "OW", std::string(16 * 16 * 2 - 10, '\x01')).part10();
    expect = "Pixel Data is 502 bytes";
  }
  SECTION("more frames than the pixel data holds") {
    auto b = good;
    bytes = b.set(0x0028, 0x0008, "IS", "4").part10();
    expect = "4 frame(s)";
  }
  SECTION("pixel data without rows") {
    auto b = good;
    bytes = b.erase(0x0028, 0x0010).part10();
    expect = "Rows";
  }
  SECTION("compressed syntax without fragments") {
    auto b = good;
    bytes = b.set_encapsulated_pixels({}).part10({}, kJpeg2000Lossless);
    expect = "no image fragment";
  }

  auto r = s.ingest(bytes);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::InvalidDicom);
  CHECK_THAT(r.error().message, Catch::Contains(expect));
  s.require_empty();
}

namespace {
// A deflated Part 10 file (Deflated Explicit VR Little Endian): `b`'s meta header, then its dataset followed by a
// private OB element of `zeros` zero bytes after the pixel data, raw-deflated as PS3.5 A.5 says, streamed so that
// the test never holds the inflated bytes.
std::string deflated_file(const DicomBuilder& b, std::uint64_t zeros) {
  const std::string dataset = b.dataset_bytes();
  std::string file = b.part10({}, "1.2.840.10008.1.2.1.99");
  file.resize(file.size() - dataset.size());  // preamble and meta header
  z_stream z{};
  REQUIRE(deflateInit2(&z, 1, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(1 << 16, '\0');
  auto feed = [&](const std::string& in, int flush) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    do {
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(out.size());
      REQUIRE(deflate(&z, flush) != Z_STREAM_ERROR);
      file.append(out.data(), out.size() - z.avail_out);
    } while (z.avail_out == 0);
  };
  feed(dataset, Z_NO_FLUSH);
  std::string header = {'\xE1', '\x7F', '\x10', '\x10', 'O', 'B', 0, 0};  // (7FE1,1010) OB, 32-bit length
  for (int i = 0; i < 4; ++i) header.push_back(static_cast<char>((zeros >> (8 * i)) & 0xff));
  feed(header, Z_NO_FLUSH);
  const std::string chunk(1 << 20, '\0');
  for (std::uint64_t left = zeros; left > 0; left -= std::min<std::uint64_t>(left, chunk.size()))
    feed(chunk.substr(0, std::min<std::uint64_t>(left, chunk.size())), Z_NO_FLUSH);
  feed({}, Z_FINISH);
  deflateEnd(&z);
  return file;
}
}  // namespace

TEST_CASE("A deflated file is stored when it inflates to a sane size, refused before inflating when it would not",
          "[dicom]") {
  Store s;
  // 1 MiB of zeros: stored as sent.
  const auto small = deflated_file(make_image(spec(1, 1, 1)), 1 << 20);
  auto stored = s.ingest(small);
  INFO((stored.ok() ? std::string() : stored.error().message));
  REQUIRE(stored.ok());
  // A deflate bomb: 600 MiB of zeros in some 600 KB. Refused by measuring, before DCMTK would hold it in memory.
  const auto bomb = deflated_file(make_image(spec(2, 1, 1)), std::uint64_t{600} << 20);
  REQUIRE(bomb.size() < (4u << 20));
  auto r = s.ingest(bomb);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::PayloadTooLarge);
  CHECK_THAT(r.error().message, Catch::Contains("unpacks to more than 512 MiB"));
  // Without the meta header's group length (optional to DCMTK) the transfer syntax is still found.
  std::string no_group_length = bomb;
  REQUIRE(no_group_length.compare(132, 6, std::string("\x02\x00\x00\x00UL", 6)) == 0);
  no_group_length.erase(132, 12);
  auto again = s.ingest(no_group_length);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ErrorCode::PayloadTooLarge);
  CHECK(s.count("dicom_instances") == 1);
}

namespace {
// `levels` sequences, each holding one item that holds the next, in undefined-length encoding after the pixel data
// (a private tag): 36 bytes a level.
std::string nested_sequences(const std::string& part10, int levels) {
  std::string nest, close;
  for (int i = 0; i < levels; ++i) {
    nest += std::string("\xE1\x7F\x10\x10SQ\0\0\xFF\xFF\xFF\xFF", 12) + std::string("\xFE\xFF\x00\xE0\xFF\xFF\xFF\xFF", 8);
    close += std::string("\xFE\xFF\x0D\xE0\0\0\0\0", 8) + std::string("\xFE\xFF\xDD\xE0\0\0\0\0", 8);
  }
  return part10 + nest + close;
}
}  // namespace

TEST_CASE("Sequences nested past any real instance are refused before DCMTK parses them, which overflowed its stack",
          "[dicom]") {
  // Found beside the dicom_file fuzz target: 20,000 levels (720 KB) crashed the parse with a stack overflow.
  Store s;
  auto deep = s.ingest(nested_sequences(make_image(spec(1, 1, 1)).part10(), 20000));
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().code == ErrorCode::InvalidDicom);
  CHECK_THAT(deep.error().message, Catch::Contains("nests sequences more than 256 levels deep"));
  s.require_empty();
  // 100 levels (a deep SR content tree would be tens) are parsed and stored as before.
  auto fine = s.ingest(nested_sequences(make_image(spec(1, 1, 2)).part10(), 100));
  INFO((fine.ok() ? std::string() : fine.error().message));
  CHECK(fine.ok());
}

TEST_CASE("A JPEG 2000 instance is stored as sent without decoding", "[dicom]") {
  Store s;
  auto b = make_image(spec(1, 1, 1));
  b.set_encapsulated_pixels({std::string("\xFF\x4F\xFF\x51", 4) + std::string(60, '\x22')});
  auto r = s.ingest(b.part10({}, kJpeg2000Lossless));
  REQUIRE(r.ok());
  CHECK(r->meta.transfer_syntax == kJpeg2000Lossless);
  CHECK(r->meta.rows == 16);
}

TEST_CASE("An instance of a study another clinic sent is refused", "[dicom]") {
  Store s;
  REQUIRE(s.ingest(make_image(spec(1, 1, 1)).part10(), 1).ok());
  auto r = s.ingest(make_image(spec(1, 1, 2)).part10(), 2);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::Conflict);
  CHECK(s.count("dicom_instances") == 1);
  CHECK(s.count("blobs") == 1);
  auto report = check_store(*s.db, *s.files);
  REQUIRE(report.ok());
  CHECK(report->clean());
}

TEST_CASE("Listings filter by clinic scope, matching keys and pages", "[dicom]") {
  Store s;
  for (int series = 1; series <= 2; ++series) {
    for (int i = 1; i <= 3; ++i) REQUIRE(s.ingest(make_image(spec(1, series, i)).part10(), 1).ok());
  }
  auto other = spec(2, 1, 1);
  other.patient_name = "LI^SI";
  other.patient_id = "P002";
  other.modality = "DX";
  other.sop_class = "1.2.840.10008.5.1.4.1.1.1.1";
  REQUIRE(s.ingest(make_image(other).part10(), 2).ok());

  auto all = s.store->find_studies({});
  REQUIRE(all.ok());
  CHECK(all->size() == 2);

  StudyQuery mine;
  mine.scope = std::vector<std::int64_t>{1};
  auto r = s.store->find_studies(mine);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  CHECK(r->front().series_count == 2);
  CHECK(r->front().instance_count == 6);

  StudyQuery none;
  none.scope = std::vector<std::int64_t>{};
  CHECK(s.store->find_studies(none)->empty());
  CHECK(s.store->study(other.study_uid, std::vector<std::int64_t>{1}).error().code == ErrorCode::NotFound);
  CHECK(s.store->instance_file_key(other.sop_uid, std::vector<std::int64_t>{1}).error().code ==
        ErrorCode::NotFound);

  StudyQuery by_name;
  by_name.patient_name = "wang*";
  REQUIRE(s.store->find_studies(by_name)->size() == 1);
  CHECK(s.store->find_studies(by_name)->front().patient_id == "P001");
  StudyQuery by_modality;
  by_modality.modality = "DX";
  REQUIRE(s.store->find_studies(by_modality)->size() == 1);
  CHECK(s.store->find_studies(by_modality)->front().study_uid == other.study_uid);
  StudyQuery paged;
  paged.limit = 1;
  paged.offset = 1;
  CHECK(s.store->find_studies(paged)->size() == 1);

  SeriesQuery series;
  series.study_uid = spec(1, 1, 1).study_uid;
  auto sr = s.store->find_series(series);
  REQUIRE(sr.ok());
  REQUIRE(sr->size() == 2);
  CHECK(sr->at(0).series_number == 1);
  CHECK(sr->at(1).instance_count == 3);

  InstanceQuery instances;
  instances.series_uid = spec(1, 2, 1).series_uid;
  auto ir = s.store->find_instances(instances);
  REQUIRE(ir.ok());
  REQUIRE(ir->size() == 3);
  CHECK(ir->at(0).instance_number == 1);
  CHECK(ir->at(2).instance_number == 3);
  instances.limit = 2;
  CHECK(s.store->find_instances(instances)->size() == 2);
  CHECK(s.store->metadata_json(instances)->size() == 2);
}

TEST_CASE("Stable studies complete once, carry the exam request and are routed by content", "[dicom]") {
  Store s;
  const auto img = spec(1, 1, 1);
  REQUIRE(s.store->set_exam_request(img.study_uid, 1, {"chest pain", "smoker", ExamPriority::Urgent}).ok());
  REQUIRE(s.ingest(make_image(img).part10(), 1).ok());
  const std::string ecg_study = test_uid("study", 9);
  REQUIRE(s.ingest(make_ecg("P9", ecg_study, test_uid("series", 9), test_uid("sop", 9)).part10(), 1).ok());

  // Not stable yet.
  auto early = s.store->complete_stable_studies(s.clock.now + 10'000, 30'000);
  REQUIRE(early.ok());
  CHECK(early->empty());

  std::vector<std::string> hooked;
  auto done = s.store->complete_stable_studies(s.clock.now + 30'000, 30'000,
                                               [&](db::Txn&, const CompletedStudy& c) -> Result<void> {
                                                 hooked.push_back(c.study_uid);
                                                 return ok();
                                               });
  REQUIRE(done.ok());
  REQUIRE(done->size() == 2);
  CHECK(hooked.size() == 2);
  for (const auto& c : *done) {
    CHECK_FALSE(c.updated);
    CHECK(c.clinic_id == 1);
    if (c.study_uid == img.study_uid) {
      CHECK(c.has_images);
      CHECK_FALSE(c.has_ecg);
      CHECK(c.request.reason == "chest pain");
      CHECK(c.request.history == "smoker");
      CHECK(c.request.priority == ExamPriority::Urgent);
    } else {
      CHECK(c.study_uid == ecg_study);
      CHECK(c.has_ecg);
      CHECK_FALSE(c.has_images);
    }
  }
  // Exactly once.
  CHECK(s.store->complete_stable_studies(s.clock.now + 60'000, 30'000)->empty());

  // An instance after completion makes the study pending again; its next completion is an update.
  s.clock.now += 100'000;
  REQUIRE(s.ingest(make_image(spec(1, 1, 2)).part10(), 1).ok());
  auto again = s.store->complete_stable_studies(s.clock.now + 30'000, 30'000);
  REQUIRE(again.ok());
  REQUIRE(again->size() == 1);
  CHECK(again->front().updated);
  CHECK(again->front().instance_count == 2);
}

TEST_CASE("A completion hook that fails rolls the completion back", "[dicom]") {
  Store s;
  REQUIRE(s.ingest(make_image(spec(1, 1, 1)).part10(), 1).ok());
  auto failed = s.store->complete_stable_studies(s.clock.now, 0, [](db::Txn&, const CompletedStudy&) -> Result<void> {
    return make_error(ErrorCode::StorageFailure, "no");
  });
  REQUIRE_FALSE(failed.ok());
  auto retried = s.store->complete_stable_studies(s.clock.now, 0);
  REQUIRE(retried.ok());
  CHECK(retried->size() == 1);
}

TEST_CASE("An upload marking its study done completes it at once, and only its own clinic may", "[dicom]") {
  Store s;
  const auto sp = spec(1, 1, 1);
  REQUIRE(s.ingest(make_image(sp).part10(), 1).ok());
  CHECK(s.store->mark_study_done(sp.study_uid, 2).error().code == ErrorCode::NotFound);
  CHECK(s.store->set_exam_request(sp.study_uid, 2, {}).error().code == ErrorCode::NotFound);
  auto done = s.store->mark_study_done(sp.study_uid, 1);
  REQUIRE(done.ok());
  REQUIRE(done->has_value());
  CHECK((*done)->has_images);
  auto twice = s.store->mark_study_done(sp.study_uid, 1);
  REQUIRE(twice.ok());
  CHECK_FALSE(twice->has_value());
  CHECK(s.store->complete_stable_studies(s.clock.now + 100'000, 0)->empty());
}

TEST_CASE("Concurrent ingests, including identical duplicates, index every instance exactly once", "[dicom]") {
  Store s;
  constexpr int kThreads = 6, kPerThread = 20;
  std::vector<std::string> files;
  for (int i = 0; i < kThreads * kPerThread / 2; ++i) files.push_back(make_image(spec(1, 1 + i % 3, i)).part10());
  std::atomic<int> failures{0}, stored{0}, already{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Thread t and thread t + kThreads/2 send the same half of the files: every file arrives twice.
      for (int k = 0; k < kPerThread; ++k) {
        auto r = s.ingest(files[((t % (kThreads / 2)) * kPerThread + k) % files.size()]);
        if (!r.ok()) ++failures;
        else if (r->status == IngestOutcome::Status::Stored) ++stored;
        else if (r->status == IngestOutcome::Status::AlreadyStored) ++already;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures == 0);
  CHECK(stored == static_cast<int>(files.size()));
  CHECK(already == static_cast<int>(files.size()));
  CHECK(s.count("dicom_instances") == static_cast<std::int64_t>(files.size()));
  auto study = s.store->study(spec(1, 1, 1).study_uid);
  REQUIRE(study.ok());
  CHECK(study->instance_count == static_cast<std::int64_t>(files.size()));
  CHECK(study->series_count == 3);
  auto report = check_store(*s.db, *s.files);
  REQUIRE(report.ok());
  CHECK(report->clean());
}
