// Server-side rendering on a real server: rendered frames decoded and compared pixel by pixel with the DICOM
// window equations, MONOCHROME1, RGB, multi-frame, a JPEG-lossless file made by DCMTK's dcmcjpeg, thumbnails,
// the render cache, the whole-study zip, and clinic scoping like WADO-RS. JPEG 2000: render_j2k_test.cpp.
#include <zip.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "demo_server.hpp"
#include "dicom/dicom_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace teledx::test;

namespace {

HttpResult stow(const std::string& token, const std::string& part10) {
  const std::string body = "--XyZ\r\nContent-Type: application/dicom\r\n\r\n" + part10 + "\r\n--XyZ--\r\n";
  return DemoServer::instance().client().request(
      "POST", "/dicom-web/studies", body,
      {{"Authorization", "Bearer " + token}, {"Content-Type", "multipart/related; type=\"application/dicom\"; boundary=XyZ"}});
}

HttpResult get(const std::string& target, const std::string& user, const std::string& accept = "image/png") {
  auto& s = DemoServer::instance();
  return s.client().request("GET", target, "", {{"Authorization", "Bearer " + s.token(user)}, {"Accept", accept}});
}

ImageSpec spec(const std::string& study, int n, std::uint16_t size = 16, std::int64_t frames = 1) {
  return series_image("P-RENDER", study, n, size, frames);
}

std::string url(const ImageSpec& s) { return wado_instance_path(s); }

// A 12-bit ramp, different in every frame: stored value (frame * 700 + i * 16) mod 4096.
std::string ramp(std::size_t pixels, std::int64_t frames) {
  std::string out;
  for (std::int64_t f = 0; f < frames; ++f)
    for (std::size_t i = 0; i < pixels; ++i) {
      auto v = static_cast<std::uint16_t>((f * 700 + static_cast<std::int64_t>(i) * 16) % 4096);
      out.push_back(static_cast<char>(v & 0xff));
      out.push_back(static_cast<char>(v >> 8));
    }
  return out;
}

// PS3.3 C.11.2.1.2.1, the LINEAR VOI function, on a modality value.
int linear_window(double x, double c, double w) {
  if (x <= c - 0.5 - (w - 1) / 2) return 0;
  if (x > c - 0.5 + (w - 1) / 2) return 255;
  return static_cast<int>(std::lround(((x - (c - 0.5)) / (w - 1) + 0.5) * 255));
}

cv::Mat decode(const HttpResult& r) {
  std::vector<uchar> buf(r.body.begin(), r.body.end());
  return cv::imdecode(buf, cv::IMREAD_UNCHANGED);
}

// Every pixel of a grey PNG equals the window of stored * 1 - 1024 (optionally inverted).
void check_grey(const cv::Mat& img, const std::string& pixels, std::size_t frame_offset, double c, double w,
                bool invert) {
  REQUIRE(img.type() == CV_8UC1);
  int mismatches = 0;
  for (int i = 0; i < img.rows * img.cols; ++i) {
    const std::size_t k = frame_offset + 2 * static_cast<std::size_t>(i);
    const int stored = static_cast<std::uint8_t>(pixels[k]) | (static_cast<std::uint8_t>(pixels[k + 1]) << 8);
    int expected = linear_window(stored - 1024.0, c, w);
    if (invert) expected = 255 - expected;
    if (img.data[i] != expected) ++mismatches;
  }
  CHECK(mismatches == 0);
}

// Every frame of a stored 16x16 ramp(256, frames) image, rendered at window 500,3000, pixel for pixel.
void check_ramp_frames(const ImageSpec& s, const std::string& pixels, int frames) {
  for (int f = 1; f <= frames; ++f) {
    auto r = get(url(s) + "/frames/" + std::to_string(f) + "/rendered?window=500,3000", "img-reader1");
    REQUIRE(r.status == 200);
    INFO("frame " << f);
    check_grey(decode(r), pixels, static_cast<std::size_t>(f - 1) * 512, 500, 3000, false);
  }
}

// A 16x16 8-bit RGB secondary capture, interleaved or planar: red ramps up, green down, blue saw-tooth.
DicomBuilder rgb_image(const ImageSpec& s, int planar) {
  auto b = make_image(s);
  b.set(0x0008, 0x0016, "UI", kSecondaryCapture).set(0x0008, 0x0060, "CS", "OT");
  b.set_us(0x0028, 0x0002, 3).set(0x0028, 0x0004, "CS", "RGB").set_us(0x0028, 0x0006, static_cast<std::uint16_t>(planar));
  b.set_us(0x0028, 0x0100, 8).set_us(0x0028, 0x0101, 8).set_us(0x0028, 0x0102, 7);
  std::string rgb(16 * 16 * 3, '\0');
  for (int i = 0; i < 256; ++i) {
    const int v[3] = {i, 255 - i, (i * 7) % 256};
    for (int c = 0; c < 3; ++c) rgb[planar ? c * 256 + i : i * 3 + c] = static_cast<char>(v[c]);
  }
  b.set(0x7FE0, 0x0010, "OB", rgb);
  return b;
}

// Two uncompressed originals for a codec test: DIR/grey.dcm, instance 1 of `study`, a three-frame ramp(256, 3) with
// rescale -1024; DIR/rgb.dcm, instance 2, rgb_image() interleaved.
std::pair<ImageSpec, ImageSpec> write_grey_and_rgb(const std::filesystem::path& dir, const std::string& study) {
  auto grey = spec(study, 1, 16, 3);
  write_file(dir / "grey.dcm", make_image(grey)
                                   .set(0x7FE0, 0x0010, "OW", ramp(256, 3))
                                   .set(0x0028, 0x1052, "DS", "-1024")
                                   .set(0x0028, 0x1053, "DS", "1")
                                   .part10());
  auto colour = spec(study, 2);
  write_file(dir / "rgb.dcm", rgb_image(colour, 0).part10());
  return {grey, colour};
}

// Pixels of a rendered rgb_image() whose colours are not in place.
int rgb_mismatches(const cv::Mat& img) {
  REQUIRE(img.type() == CV_8UC3);
  int mismatches = 0;
  for (int i = 0; i < 256; ++i) {
    const auto* px = img.data + 3 * i;  // OpenCV: blue, green, red
    if (px[2] != i || px[1] != 255 - i || px[0] != (i * 7) % 256) ++mismatches;
  }
  return mismatches;
}

}  // namespace

TEST_CASE("A rendered CT slice is windowed pixel for pixel as the DICOM linear VOI function says", "[server][render]") {
  const std::string study = "1.2.826.0.1.3680043.10.7001";
  auto s = spec(study, 1);
  auto b = make_image(s);
  const auto pixels = ramp(256, 1);
  b.set(0x7FE0, 0x0010, "OW", pixels).set(0x0028, 0x1052, "DS", "-1024").set(0x0028, 0x1053, "DS", "1");
  b.set(0x0028, 0x1050, "DS", "40").set(0x0028, 0x1051, "DS", "400");
  REQUIRE(stow(DemoServer::instance().token("clinic1-tech"), b.part10()).status == 200);

  SECTION("the window from the query, as PNG") {
    auto r = get(url(s) + "/rendered?window=0,2048", "img-reader1");
    INFO(r.body.substr(0, 300));
    REQUIRE(r.status == 200);
    CHECK(r.headers.at("content-type") == "image/png");
    auto img = decode(r);
    REQUIRE(img.rows == 16);
    REQUIRE(img.cols == 16);
    check_grey(img, pixels, 0, 0, 2048, false);
    CHECK(int(img.data[0]) == 0);     // stored 0 -> -1024 HU: the bottom of the window
    CHECK(int(img.data[64]) == 128);  // stored 1024 -> 0 HU: the centre
    CHECK(int(img.data[255]) == 255); // stored 4080 -> 3056 HU: above it
  }
  SECTION("without a window parameter the file's own window (40/400) applies") {
    auto r = get(url(s) + "/rendered", "clinic1-tech");
    REQUIRE(r.status == 200);
    check_grey(decode(r), pixels, 0, 40, 400, false);
  }
  SECTION("JPEG by default, close to the same values, and the second request comes from the cache") {
    auto r = get(url(s) + "/rendered?window=0,2048&quality=95", "img-reader1", "image/*");
    REQUIRE(r.status == 200);
    CHECK(r.headers.at("content-type") == "image/jpeg");
    auto img = decode(r);
    REQUIRE(img.type() == CV_8UC1);
    REQUIRE(img.rows == 16);
    double err = 0;
    for (int i = 0; i < 256; ++i) err += std::abs(int(img.data[i]) - linear_window(i * 16 - 1024.0, 0, 2048));
    CHECK(err / 256 < 4.0);
    auto again = get(url(s) + "/rendered?window=0,2048&quality=95", "img-reader1", "image/*");
    CHECK(again.headers.at("x-render-cache") == "hit");
    CHECK(again.body == r.body);
  }
  SECTION("bad parameters are clear JSON errors, never a crash") {
    auto w = get(url(s) + "/rendered?window=abc", "img-reader1");
    CHECK(w.status == 400);
    CHECK(w.json()["error"]["code"] == "bad_request");
    CHECK(get(url(s) + "/rendered?window=40,0", "img-reader1").status == 400);
    CHECK(get(url(s) + "/rendered?quality=0", "img-reader1", "image/jpeg").status == 400);
    CHECK(get(url(s) + "/rendered?viewport=10", "img-reader1").status == 400);
    auto gif = get(url(s) + "/rendered", "img-reader1", "image/gif");
    CHECK(gif.status == 415);
    CHECK(gif.json()["error"]["message"].get<std::string>().find("image/jpeg") != std::string::npos);
    CHECK(get(url(s) + "/frames/2/rendered", "img-reader1").status == 404);
  }
}

TEST_CASE("MONOCHROME1 renders inverted: low values white", "[server][render]") {
  auto s = spec("1.2.826.0.1.3680043.10.7002", 1);
  auto b = make_image(s);
  const auto pixels = ramp(256, 1);
  b.set(0x7FE0, 0x0010, "OW", pixels).set(0x0028, 0x0004, "CS", "MONOCHROME1");
  b.set(0x0028, 0x1052, "DS", "-1024").set(0x0028, 0x1053, "DS", "1");
  REQUIRE(stow(DemoServer::instance().token("clinic1-tech"), b.part10()).status == 200);
  auto r = get(url(s) + "/rendered?window=0,2048", "img-reader1");
  REQUIRE(r.status == 200);
  auto img = decode(r);
  check_grey(img, pixels, 0, 0, 2048, true);
  CHECK(int(img.data[0]) == 255);
}

TEST_CASE("An RGB image renders with its colours in place, interleaved or planar", "[server][render]") {
  for (int planar : {0, 1}) {
    auto s = spec("1.2.826.0.1.3680043.10.7003", 1 + planar);
    REQUIRE(stow(DemoServer::instance().token("clinic1-tech"), rgb_image(s, planar).part10()).status == 200);
    auto r = get(url(s) + "/rendered", "img-reader1");
    REQUIRE(r.status == 200);
    INFO("planar configuration " << planar);
    CHECK(rgb_mismatches(decode(r)) == 0);
  }
}

TEST_CASE("Each frame of a multi-frame image renders on its own, scaled into a viewport", "[server][render]") {
  auto s = spec("1.2.826.0.1.3680043.10.7004", 1, 16, 3);
  auto b = make_image(s);
  const auto pixels = ramp(256, 3);
  b.set(0x7FE0, 0x0010, "OW", pixels).set(0x0028, 0x1052, "DS", "-1024").set(0x0028, 0x1053, "DS", "1");
  REQUIRE(stow(DemoServer::instance().token("clinic1-tech"), b.part10()).status == 200);
  check_ramp_frames(s, pixels, 3);
  auto missing = get(url(s) + "/frames/4/rendered", "img-reader1");
  CHECK(missing.status == 404);
  CHECK(missing.json()["error"]["message"].get<std::string>().find("3 frame") != std::string::npos);
  auto small = decode(get(url(s) + "/frames/2/rendered?viewport=8,4", "img-reader1"));
  CHECK(small.cols == 4);
  CHECK(small.rows == 4);
  auto thumb = get(url(s) + "/thumbnail", "img-reader1", "image/jpeg");
  REQUIRE(thumb.status == 200);
  CHECK(thumb.headers.at("content-type") == "image/jpeg");
}

TEST_CASE("A JPEG-lossless file made by dcmcjpeg renders exactly like its uncompressed original", "[server][render]") {
  TempDir dir;
  auto s = spec("1.2.826.0.1.3680043.10.7005", 1, 64);
  auto b = make_image(s);
  const auto pixels = ramp(64 * 64, 1);
  b.set(0x7FE0, 0x0010, "OW", pixels).set(0x0028, 0x1052, "DS", "-1024").set(0x0028, 0x1053, "DS", "1");
  write_file(dir / "plain.dcm", b.part10());
  const std::string cmd = "dcmcjpeg +e1 '" + (dir / "plain.dcm").string() + "' '" + (dir / "jpeg.dcm").string() + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const auto compressed = read_file(dir / "jpeg.dcm");
  REQUIRE(compressed.find("1.2.840.10008.1.2.4.70") != std::string::npos);  // JPEG lossless SV1 in the meta header
  REQUIRE(stow(DemoServer::instance().token("clinic1-tech"), compressed).status == 200);
  auto r = get(url(s) + "/rendered?window=1000,4000", "img-reader1");
  INFO(r.body.substr(0, 300));
  REQUIRE(r.status == 200);
  auto img = decode(r);
  REQUIRE(img.rows == 64);
  check_grey(img, pixels, 0, 1000, 4000, false);
}

TEST_CASE("RLE files made by dcmcrle render exactly like their originals: 16-bit frames and planar RGB",
          "[server][render]") {
  TempDir dir;
  const auto [grey, colour] = write_grey_and_rgb(dir.path(), "1.2.826.0.1.3680043.10.7010");
  const auto pixels = ramp(256, 3);
  for (const char* name : {"grey", "rgb"}) {
    const std::string cmd = std::string("dcmcrle '") + (dir / (std::string(name) + ".dcm")).string() + "' '" +
                            (dir / (std::string(name) + "-rle.dcm")).string() + "'";
    REQUIRE(std::system(cmd.c_str()) == 0);
    const auto rle = read_file(dir / (std::string(name) + "-rle.dcm"));
    REQUIRE(rle.find("1.2.840.10008.1.2.5") != std::string::npos);  // RLE Lossless in the meta header
    REQUIRE(stow(DemoServer::instance().token("clinic1-tech"), rle).status == 200);
  }
  check_ramp_frames(grey, pixels, 3);
  auto r = get(url(colour) + "/rendered", "img-reader1");
  REQUIRE(r.status == 200);
  CHECK(rgb_mismatches(decode(r)) == 0);
}

TEST_CASE("An RLE frame whose segment offsets point outside it is refused as damaged, and the server stays up",
          "[server][render]") {
  // Found with the dicom_file fuzz target: DCMTK 3.6.7's RLE decoder read past its buffer here and the server died.
  // The input (our RLE seed with its first fragment overwritten) is replayed by tests/dicom too; its first byte is
  // the fuzz target's request byte.
  const auto input = read_file(std::filesystem::path(TELEDX_TEST_DATA_DIR) / "dicom/fuzz/dicom_file/rle-segment-offsets-outside-frame");
  auto& srv = DemoServer::instance();
  REQUIRE(stow(srv.token("clinic1-tech"), input.substr(1)).status == 200);
  const std::string instance = "/dicom-web/studies/1.2.826.0.1.3680043.2.1125.9.2/series/"
                               "1.2.826.0.1.3680043.2.1125.9.3/instances/1.2.826.0.1.3680043.2.1125.9.1.2";
  auto r = get(instance + "/rendered", "img-reader1", "*/*");
  CHECK(r.status == 400);
  CHECK(r.json()["error"]["code"] == "invalid_dicom");
  CHECK(r.json()["error"]["message"].get<std::string>().find("RLE") != std::string::npos);
  CHECK(srv.client().get("/healthz").status == 200);
}

TEST_CASE("JPEG-LS and baseline JPEG files made by DCMTK pass the header check and render, a broken header is refused",
          "[server][render]") {
  TempDir dir;
  const auto [grey, colour] = write_grey_and_rgb(dir.path(), "1.2.826.0.1.3680043.10.7011");
  const auto pixels = ramp(256, 3);
  std::string out;
  REQUIRE(run_command("dcmcjpls '" + (dir / "grey.dcm").string() + "' '" + (dir / "grey-ls.dcm").string() + "'", &out) == 0);
  REQUIRE(run_command("dcmcjpeg +eb +un '" + (dir / "rgb.dcm").string() + "' '" + (dir / "rgb-jpeg.dcm").string() + "'", &out) == 0);
  const auto token = DemoServer::instance().token("clinic1-tech");
  REQUIRE(stow(token, read_file(dir / "grey-ls.dcm")).status == 200);
  REQUIRE(stow(token, read_file(dir / "rgb-jpeg.dcm")).status == 200);
  check_ramp_frames(grey, pixels, 3);  // JPEG-LS lossless: exact
  auto r = get(url(colour) + "/rendered", "img-reader1");
  REQUIRE(r.status == 200);
  CHECK(decode(r).cols == 16);  // baseline JPEG is lossy: decoded, not compared

  // Found with the dicom_file fuzz target: the second DQT marker of a baseline JPEG turned into TEM (FF 01) sent
  // DCMTK 3.6.7's bit-depth scan into an endless loop, holding a render worker for good.
  auto broken = spec("1.2.826.0.1.3680043.10.7011", 3);
  write_file(dir / "rgb3.dcm", rgb_image(broken, 0).part10());
  REQUIRE(run_command("dcmcjpeg +eb +un '" + (dir / "rgb3.dcm").string() + "' '" + (dir / "rgb3-jpeg.dcm").string() + "'", &out) == 0);
  std::string bytes = read_file(dir / "rgb3-jpeg.dcm");
  const auto dqt = bytes.find("\xFF\xDB", bytes.find("\xFF\xDB") + 2);  // the second quantisation table
  REQUIRE(dqt != std::string::npos);
  bytes[dqt + 1] = '\x01';
  REQUIRE(stow(token, bytes).status == 200);  // stored as sent: ingest does not decode
  const auto started = std::chrono::steady_clock::now();
  auto refused = get(url(broken) + "/rendered", "img-reader1", "*/*");
  CHECK(refused.status == 400);
  CHECK(refused.json()["error"]["message"].get<std::string>().find("The JPEG frame is damaged") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
}

TEST_CASE("A compressed image claiming 60000 x 60000 pixels is stored but not decoded: 415 at once, server unharmed",
          "[server][render]") {
  // Found with the dicom_file fuzz target: a 2 KB RLE file whose Rows and Columns claim 3.6 gigapixels had one render
  // request decode 3-4 GB for several seconds, and the worklist's thumbnails would ask for it.
  TempDir dir;
  auto s = spec("1.2.826.0.1.3680043.10.7009", 1, 16);
  write_file(dir / "plain.dcm", make_image(s).set(0x7FE0, 0x0010, "OW", ramp(16 * 16, 1)).part10());
  const std::string cmd = "dcmcrle '" + (dir / "plain.dcm").string() + "' '" + (dir / "rle.dcm").string() +
                          "' && dcmodify -nb -m '(0028,0010)=60000' -m '(0028,0011)=60000' '" +
                          (dir / "rle.dcm").string() + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  const auto huge = read_file(dir / "rle.dcm");
  REQUIRE(huge.size() < 4096);
  REQUIRE(stow(DemoServer::instance().token("clinic1-tech"), huge).status == 200);
  for (const auto& target : {url(s) + "/rendered", url(s) + "/frames/1/rendered", url(s) + "/thumbnail"}) {
    INFO(target);
    const auto started = std::chrono::steady_clock::now();
    auto r = get(target, "img-reader1", "*/*");
    const auto took = std::chrono::steady_clock::now() - started;
    CHECK(r.status == 415);
    CHECK(r.json()["error"]["message"].get<std::string>().find("60000 x 60000 pixels, more than the server renders") !=
          std::string::npos);
    CHECK(took < std::chrono::seconds(2));
  }
  // The file is kept as sent: its frame is served as stored for a viewer that decodes it itself.
  auto frame = get(url(s) + "/frames/1", "img-reader1", "multipart/related; type=\"application/octet-stream\"");
  CHECK(frame.status == 200);
}

TEST_CASE("Another clinic cannot render, thumbnail or download a study, exactly as with WADO-RS", "[server][render]") {
  auto& srv = DemoServer::instance();
  auto s = spec("1.2.826.0.1.3680043.10.7007", 1);
  REQUIRE(stow(srv.token("clinic2-tech"), make_image(s).part10()).status == 200);
  const std::string study = "/dicom-web/studies/" + s.study_uid;
  CHECK(get(url(s) + "/rendered", "clinic2-tech").status == 200);
  for (const auto& target : {url(s) + "/rendered", url(s) + "/frames/1/rendered", url(s) + "/thumbnail",
                             study + "/thumbnail", study + "/series/" + s.series_uid + "/thumbnail",
                             "/api/studies/" + s.study_uid + "/archive"}) {
    INFO(target);
    auto r = get(target, "clinic1-tech", "*/*");
    CHECK(r.status == 404);
    CHECK(r.json()["error"]["code"] == "not_found");
    CHECK(get(target, "admin", "*/*").status == 403);
    CHECK(srv.client().get(target).status == 401);
  }
}

TEST_CASE("A whole study downloads as a zip holding every stored file byte for byte", "[server][render]") {
  TempDir dir;
  auto& srv = DemoServer::instance();
  const std::string study = "1.2.826.0.1.3680043.10.7008";
  std::map<std::string, std::string> sent;
  for (int n = 1; n <= 3; ++n) {
    auto s = spec(study, n);
    sent[s.sop_uid] = make_image(s).part10();
    REQUIRE(stow(srv.token("clinic1-tech"), sent[s.sop_uid]).status == 200);
  }
  auto r = get("/api/studies/" + study + "/archive", "img-reader1", "application/zip");
  REQUIRE(r.status == 200);
  CHECK(r.headers.at("content-type") == "application/zip");
  write_file(dir / "study.zip", r.body);
  int err = 0;
  zip_t* z = zip_open((dir / "study.zip").c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &err);
  REQUIRE(z);
  REQUIRE(zip_get_num_entries(z, 0) == 3);
  for (zip_int64_t i = 0; i < 3; ++i) {
    zip_stat_t st;
    REQUIRE(zip_stat_index(z, static_cast<zip_uint64_t>(i), 0, &st) == 0);
    std::string name = st.name;
    auto sop = name.substr(name.rfind('/') + 1);
    sop = sop.substr(0, sop.size() - 4);
    REQUIRE(sent.count(sop) == 1);
    std::string bytes(st.size, '\0');
    zip_file_t* f = zip_fopen_index(z, static_cast<zip_uint64_t>(i), 0);
    REQUIRE(f);
    CHECK(zip_fread(f, bytes.data(), st.size) == static_cast<zip_int64_t>(st.size));
    zip_fclose(f);
    CHECK(bytes == sent[sop]);
  }
  zip_close(z);
  CHECK(std::system(("unzip -tqq '" + (dir / "study.zip").string() + "' > /dev/null").c_str()) == 0);
  CHECK(get("/api/studies/1.2.826.0.1.3680043.10.7999/archive", "img-reader1", "*/*").status == 404);
}
