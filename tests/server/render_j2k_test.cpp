// JPEG 2000 instances rendered by a real server. The codestreams are real: OpenCV's own encoder (OpenJPEG)
// writes each frame, the test unwraps the JP2 file to its bare codestream as DICOM carries it (PS3.5 A.4.4)
// and wraps it into Part 10. Each J2K rendering is compared with the rendering of the same pixels stored
// uncompressed.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "demo_server.hpp"
#include "dicom/dicom_fixture.hpp"

using namespace teledx::test;

namespace {

constexpr const char* kJpeg2000Lossy = "1.2.840.10008.1.2.4.91";

HttpResult stow(const std::string& part10) {
  auto& s = DemoServer::instance();
  const std::string body = "--XyZ\r\nContent-Type: application/dicom\r\n\r\n" + part10 + "\r\n--XyZ--\r\n";
  return s.client().request(
      "POST", "/dicom-web/studies", body,
      {{"Authorization", "Bearer " + s.token("clinic1-tech")},
       {"Content-Type", "multipart/related; type=\"application/dicom\"; boundary=XyZ"}});
}

HttpResult get(const std::string& target) {
  auto& s = DemoServer::instance();
  return s.client().request("GET", target, "",
                            {{"Authorization", "Bearer " + s.token("img-reader1")}, {"Accept", "image/png"}});
}

ImageSpec spec(const std::string& study, int n, std::uint16_t size, std::int64_t frames = 1) {
  return series_image("P-J2K", study, n, size, frames);
}

std::string url(const ImageSpec& s) { return wado_instance_path(s); }

// The bare codestream inside the 'jp2c' box of the JP2 file OpenCV writes.
std::string codestream(const cv::Mat& img, int compression_x1000 = 1000) {
  std::vector<uchar> jp2;
  REQUIRE(cv::imencode(".jp2", img, jp2, {cv::IMWRITE_JPEG2000_COMPRESSION_X1000, compression_x1000}));
  for (std::size_t pos = 0; pos + 8 <= jp2.size();) {
    const std::uint32_t len = (jp2[pos] << 24) | (jp2[pos + 1] << 16) | (jp2[pos + 2] << 8) | jp2[pos + 3];
    if (std::memcmp(&jp2[pos + 4], "jp2c", 4) == 0)
      return std::string(reinterpret_cast<const char*>(&jp2[pos + 8]), len ? len - 8 : jp2.size() - pos - 8);
    REQUIRE(len >= 8);
    pos += len;
  }
  FAIL("OpenCV wrote no jp2c box");
  return {};
}

// A signed 16-bit CT-like frame (HU-ish values, different per frame) as DICOM words and as J2K. OpenCV
// encodes only unsigned data: it gets value + 32768, and the codestream's SIZ is then marked signed (Ssiz bit
// 7). For the reversible transform that is exactly the codestream a signed encoder writes: the unsigned
// path's DC level shift subtracts the same 32768 the signed path never adds.
struct Frame {
  std::string words, j2k;
};
Frame signed_frame(int size, int frame, int compression_x1000 = 1000) {
  cv::Mat u(size, size, CV_16UC1);
  Frame f;
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const int v = -1024 + ((x * 53 + y * 31 + frame * 400) % 4000);  // -1024 .. 2975
      u.at<std::uint16_t>(y, x) = static_cast<std::uint16_t>(v + 32768);
      const auto w = static_cast<std::uint16_t>(static_cast<std::int16_t>(v));
      f.words.push_back(static_cast<char>(w & 0xff));
      f.words.push_back(static_cast<char>(w >> 8));
    }
  f.j2k = codestream(u, compression_x1000);
  REQUIRE(static_cast<unsigned char>(f.j2k[42]) == 0x0F);  // one unsigned 16-bit component
  f.j2k[42] = static_cast<char>(0x8F);
  return f;
}

DicomBuilder signed_ct(const ImageSpec& s) {
  auto b = make_image(s);
  b.set_us(0x0028, 0x0101, 16).set_us(0x0028, 0x0102, 15).set_us(0x0028, 0x0103, 1);
  b.set(0x0028, 0x1052, "DS", "0").set(0x0028, 0x1053, "DS", "1");
  return b;
}

cv::Mat png(const HttpResult& r) {
  INFO(r.body.substr(0, 300));
  REQUIRE(r.status == 200);
  REQUIRE(r.headers.at("content-type") == "image/png");
  return cv::imdecode(std::vector<uchar>(r.body.begin(), r.body.end()), cv::IMREAD_UNCHANGED);
}

void same_pixels(const cv::Mat& a, const cv::Mat& b) {
  REQUIRE(!a.empty());
  REQUIRE(a.size() == b.size());
  REQUIRE(a.type() == b.type());
  CHECK(cv::norm(a, b, cv::NORM_INF) == 0);
}

// Items of encapsulated pixel data with a Basic Offset Table: frame starts counted from the first fragment.
std::string items_with_offsets(const std::vector<std::vector<std::string>>& frames) {
  auto item = [](std::string& out, std::string value) {
    if (value.size() % 2) value.push_back('\0');  // items have even lengths
    const std::uint32_t n = static_cast<std::uint32_t>(value.size());
    const char head[8] = {
        '\xFE',       '\xFF', '\x00', '\xE0', char(n & 0xff), char((n >> 8) & 0xff), char((n >> 16) & 0xff),
        char(n >> 24)};
    out.append(head, 8);
    out += value;
  };
  std::string table, fragments;
  for (const auto& frame : frames) {
    const auto offset = static_cast<std::uint32_t>(fragments.size());
    for (int i = 0; i < 4; ++i) table.push_back(static_cast<char>((offset >> (8 * i)) & 0xff));
    for (const auto& f : frame) item(fragments, f);
  }
  std::string out;
  item(out, table);
  out += fragments;
  out.append("\xFE\xFF\xDD\xE0\0\0\0\0", 8);
  return out;
}

}  // namespace

TEST_CASE("A JPEG 2000 signed CT renders exactly like the same pixels stored uncompressed",
          "[server][render][j2k]") {
  const std::string study = "1.2.826.0.1.3680043.10.7101";
  auto raw = spec(study, 1, 64), j2k = spec(study, 2, 64);
  const auto f = signed_frame(64, 0);
  REQUIRE(stow(signed_ct(raw).set(0x7FE0, 0x0010, "OW", f.words).part10()).status == 200);
  REQUIRE(stow(signed_ct(j2k).set_encapsulated_pixels({f.j2k}).part10({}, kJpeg2000Lossless)).status == 200);
  for (const std::string q : {"?window=40,400", "?window=500,4000", ""}) {  // "": the file's own 40/400
    INFO("query " << q);
    const auto a = png(get(url(raw) + "/rendered" + q)), b = png(get(url(j2k) + "/rendered" + q));
    same_pixels(a, b);
    cv::Scalar mean, stddev;
    cv::meanStdDev(b, mean, stddev);
    CHECK(stddev[0] > 10);  // not a flat image: the windows cut through real values
  }
  // -1024 (the first pixel) is below a 40/400 window: black, proving the sign survived the codec.
  CHECK(int(png(get(url(j2k) + "/rendered?window=40,400")).at<std::uint8_t>(0, 0)) == 0);
}

TEST_CASE("Lossy JPEG 2000 (.91) renders close to the original", "[server][render][j2k]") {
  const std::string study = "1.2.826.0.1.3680043.10.7102";
  auto raw = spec(study, 1, 64), j2k = spec(study, 2, 64);
  const auto f = signed_frame(64, 1, 100);  // a tenth of the lossless size
  REQUIRE(stow(signed_ct(raw).set(0x7FE0, 0x0010, "OW", f.words).part10()).status == 200);
  REQUIRE(stow(signed_ct(j2k).set_encapsulated_pixels({f.j2k}).part10({}, kJpeg2000Lossy)).status == 200);
  const auto a = png(get(url(raw) + "/rendered?window=1000,4000"));
  const auto b = png(get(url(j2k) + "/rendered?window=1000,4000"));
  REQUIRE(a.size() == b.size());
  const double mean_error = cv::norm(a, b, cv::NORM_L1) / a.total();
  INFO("mean error " << mean_error);
  CHECK(mean_error < 3.0);
  CHECK(mean_error > 0.0);  // really lossy: the test would prove nothing otherwise
}

TEST_CASE("Each frame of a multi-frame JPEG 2000 renders, however its fragments are laid out",
          "[server][render][j2k]") {
  const std::string study = "1.2.826.0.1.3680043.10.7103";
  const int size = 48;
  std::vector<Frame> frames{signed_frame(size, 0), signed_frame(size, 1), signed_frame(size, 2)};
  std::string words;
  for (const auto& f : frames) words += f.words;
  auto raw = spec(study, 1, size, 3);
  REQUIRE(stow(signed_ct(raw).set(0x7FE0, 0x0010, "OW", words).part10()).status == 200);
  auto split = [](const std::string& cs) {  // at an even offset: fragments keep their exact bytes
    const std::size_t half = cs.size() / 4 * 2;
    return std::vector<std::string>{cs.substr(0, half), cs.substr(half)};
  };
  SECTION("one fragment per frame") {
    auto s = spec(study, 2, size, 3);
    auto b = signed_ct(s).set_encapsulated_pixels({frames[0].j2k, frames[1].j2k, frames[2].j2k});
    REQUIRE(stow(b.part10({}, kJpeg2000Lossless)).status == 200);
    for (int n = 1; n <= 3; ++n) {
      INFO("frame " << n);
      const auto path = "/frames/" + std::to_string(n) + "/rendered?window=1000,4000";
      same_pixels(png(get(url(raw) + path)), png(get(url(s) + path)));
    }
  }
  SECTION("frames split over fragments, found through the Basic Offset Table") {
    auto s = spec(study, 3, size, 3);
    auto f1 = split(frames[1].j2k);
    auto b =
        signed_ct(s).set(0x7FE0, 0x0010, "OB*", items_with_offsets({{frames[0].j2k}, f1, {frames[2].j2k}}));
    REQUIRE(stow(b.part10({}, kJpeg2000Lossless)).status == 200);
    for (int n = 1; n <= 3; ++n) {
      INFO("frame " << n);
      const auto path = "/frames/" + std::to_string(n) + "/rendered?window=1000,4000";
      same_pixels(png(get(url(raw) + path)), png(get(url(s) + path)));
    }
  }
  SECTION("frames split over fragments without an offset table: each codestream's start marks a frame") {
    auto s = spec(study, 4, size, 3);
    auto f0 = split(frames[0].j2k);
    auto b = signed_ct(s).set_encapsulated_pixels({f0[0], f0[1], frames[1].j2k, frames[2].j2k});
    REQUIRE(stow(b.part10({}, kJpeg2000Lossless)).status == 200);
    for (int n = 1; n <= 3; ++n) {
      INFO("frame " << n);
      const auto path = "/frames/" + std::to_string(n) + "/rendered?window=1000,4000";
      same_pixels(png(get(url(raw) + path)), png(get(url(s) + path)));
    }
  }
}

TEST_CASE("A JPEG 2000 colour image (YBR_RCT) renders with its RGB colours", "[server][render][j2k]") {
  const std::string study = "1.2.826.0.1.3680043.10.7104";
  const int size = 64;
  cv::Mat bgr(size, size, CV_8UC3);
  std::string rgb;
  for (int i = 0; i < size * size; ++i) {
    const int v[3] = {i % 256, 255 - (i * 3) % 256, (i * 7) % 256};
    for (int c = 0; c < 3; ++c) rgb.push_back(static_cast<char>(v[c]));
    bgr.at<cv::Vec3b>(i / size, i % size) = cv::Vec3b(v[2], v[1], v[0]);
  }
  auto colour = [&](const ImageSpec& s) {
    auto b = make_image(s);
    b.set(0x0008, 0x0016, "UI", kSecondaryCapture).set(0x0008, 0x0060, "CS", "OT");
    b.set_us(0x0028, 0x0002, 3).set_us(0x0028, 0x0006, 0);
    b.set_us(0x0028, 0x0100, 8).set_us(0x0028, 0x0101, 8).set_us(0x0028, 0x0102, 7);
    return b;
  };
  auto raw = spec(study, 1, size), j2k = spec(study, 2, size);
  REQUIRE(stow(colour(raw).set(0x0028, 0x0004, "CS", "RGB").set(0x7FE0, 0x0010, "OB", rgb).part10()).status ==
          200);
  // OpenJPEG applies the reversible colour transform to three components: the codestream is YBR_RCT.
  auto b = colour(j2k).set(0x0028, 0x0004, "CS", "YBR_RCT").set_encapsulated_pixels({codestream(bgr)});
  REQUIRE(stow(b.part10({}, kJpeg2000Lossless)).status == 200);
  const auto a = png(get(url(raw) + "/rendered")), c = png(get(url(j2k) + "/rendered"));
  REQUIRE(c.type() == CV_8UC3);
  same_pixels(a, c);
  same_pixels(bgr, c);
}

TEST_CASE("A JPEG 2000 frame that does not decode answers a JSON error, and the server goes on",
          "[server][render][j2k]") {
  const std::string study = "1.2.826.0.1.3680043.10.7105";
  const auto good = signed_frame(64, 0).j2k;
  struct Case {
    std::string name, fragment, words;
  };
  const std::vector<Case> cases{
      {"no codestream at all", std::string(200, '\x11'), "start with a codestream"},
      {"a real header, then garbage", good.substr(0, 60) + std::string(400, '\x5A'), "could not be decoded"},
      {"a header announcing three components in a grey image",
       std::string("\xFF\x4F\xFF\x51", 4) + std::string(36, '\0') + std::string("\x00\x03", 2) +
           std::string(20, '\x07'),
       "3 component(s)"},
  };
  int n = 0;
  for (const auto& c : cases) {
    INFO(c.name);
    auto s = spec(study, ++n, 64);
    REQUIRE(stow(signed_ct(s).set_encapsulated_pixels({c.fragment}).part10({}, kJpeg2000Lossless)).status ==
            200);
    auto r = get(url(s) + "/rendered");
    CHECK(r.status == 400);
    CHECK(r.json()["error"]["code"] == "invalid_dicom");
    const auto message = r.json()["error"]["message"].get<std::string>();
    CHECK(message.find("JPEG 2000") != std::string::npos);
    CHECK(message.find(c.words) != std::string::npos);
  }
  CHECK(DemoServer::instance().client().get("/healthz").status == 200);
}

TEST_CASE("A JP2 file in place of a bare codestream (some modalities write one) renders too",
          "[server][render][j2k]") {
  const std::string study = "1.2.826.0.1.3680043.10.7106";
  const int size = 64;
  cv::Mat u(size, size, CV_16UC1);
  std::string words;
  for (int i = 0; i < size * size; ++i) {
    const auto v = static_cast<std::uint16_t>((i * 13) % 4096);  // 12-bit unsigned, as make_image declares
    u.at<std::uint16_t>(i / size, i % size) = v;
    words.push_back(static_cast<char>(v & 0xff));
    words.push_back(static_cast<char>(v >> 8));
  }
  std::vector<uchar> jp2;
  REQUIRE(cv::imencode(".jp2", u, jp2, {cv::IMWRITE_JPEG2000_COMPRESSION_X1000, 1000}));
  auto raw = spec(study, 1, size), j2k = spec(study, 2, size);
  REQUIRE(stow(make_image(raw).set(0x7FE0, 0x0010, "OW", words).part10()).status == 200);
  auto b = make_image(j2k).set_encapsulated_pixels({std::string(jp2.begin(), jp2.end())});
  REQUIRE(stow(b.part10({}, kJpeg2000Lossless)).status == 200);
  same_pixels(png(get(url(raw) + "/rendered?window=2048,4096")),
              png(get(url(j2k) + "/rendered?window=2048,4096")));
}
