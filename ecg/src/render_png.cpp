// PNG rendering of the paper ECG with OpenCV: grid, calibration pulses, traces, labels and a header.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "analysis_internal.hpp"
#include "render_layout.hpp"

namespace teledx::ecg {
namespace {

const cv::Scalar kMinor(224, 224, 255), kMajor(160, 160, 245), kTrace(20, 20, 20), kText(40, 40, 40), kRed(30, 30, 210);

}  // namespace

Result<std::vector<std::uint8_t>> render_png(const Waveform& ecg, const RenderOptions& o, const Analysis* analysis) {
  if (ecg.leads.empty() || ecg.sample_rate_hz <= 0 || ecg.sample_count() < 2)
    return make_error(ErrorCode::BadRequest, "the ECG has no samples to render");
  if (!(o.px_per_mm >= 1 && o.px_per_mm <= 40 && o.mm_per_s > 0 && o.mm_per_s <= 100 && o.mm_per_mv > 0 && o.mm_per_mv <= 40))
    return make_error(ErrorCode::BadRequest, "render options out of range (px/mm 1-40, mm/s up to 100, mm/mV up to 40)");
  const LeadSet s = detail::display_signals(ecg);
  const auto page = detail::layout_panels(s, o);
  const double left = 12, right = 5, header = 26, bottom = 5;
  const double row_h = o.layout == Layout::SixByTwo ? 25 : 30;
  const double width_mm = left + page.cols * page.column_s * o.mm_per_s + right;
  const double height_mm = header + page.rows * row_h + bottom;
  const double k = o.px_per_mm;
  auto px = [&](double mm) { return int(std::lround(mm * k)); };
  cv::Mat img(px(height_mm), px(width_mm), CV_8UC3, cv::Scalar(255, 255, 255));
  // Millimetre grid below the header: 1 mm minor, 5 mm major lines.
  for (int mm = 0; header + mm <= height_mm - bottom + 1e-9; ++mm)
    cv::line(img, {0, px(header + mm)}, {img.cols - 1, px(header + mm)}, mm % 5 ? kMinor : kMajor, 1);
  for (int mm = 0; mm <= width_mm; ++mm)
    cv::line(img, {px(mm), px(header)}, {px(mm), px(height_mm - bottom)}, mm % 5 ? kMinor : kMajor, 1);
  const double font = 0.045 * k;
  for (int r = 0; r < page.rows; ++r) {  // 1 mV x 200 ms calibration pulse at the start of every row
    const double base = header + r * row_h + row_h * 0.6;
    const double w = 0.2 * o.mm_per_s, h = o.mm_per_mv;
    std::vector<cv::Point> cal{{px(2), px(base)}, {px(4), px(base)}, {px(4), px(base - h)}, {px(4 + w), px(base - h)},
                               {px(4 + w), px(base)}, {px(6 + w), px(base)}};
    cv::polylines(img, cal, false, kTrace, std::max(1, int(k / 5)), cv::LINE_AA);
  }
  for (const auto& p : page.panels) {
    const double x0 = left + p.col * page.column_s * o.mm_per_s;
    const double base = header + p.row * row_h + row_h * 0.6;
    cv::putText(img, p.label, {px(x0 + 1), px(base - row_h * 0.45)}, cv::FONT_HERSHEY_SIMPLEX, font, kText,
                std::max(1, int(k / 5)), cv::LINE_AA);
    if (p.col > 0) cv::line(img, {px(x0), px(base - 3)}, {px(x0), px(base + 3)}, kTrace, 1, cv::LINE_AA);
    if (!p.lead) continue;
    const auto& x = p.lead->uv;
    const std::int64_t a = std::max<std::int64_t>(0, std::int64_t(p.t0_s * s.sample_rate_hz));
    const std::int64_t b = std::min<std::int64_t>(std::int64_t(x.size()), std::int64_t(p.t1_s * s.sample_rate_hz));
    std::vector<cv::Point> pts;
    pts.reserve(std::size_t(std::max<std::int64_t>(0, b - a)));
    for (std::int64_t i = a; i < b; ++i) {
      const double t = double(i) / s.sample_rate_hz - p.t0_s;
      const double y = std::clamp(base - x[std::size_t(i)] / 1000.0 * o.mm_per_mv, header, height_mm - bottom);
      cv::Point pt(px(x0 + t * o.mm_per_s), px(y));
      if (pts.empty() || pt != pts.back()) pts.push_back(pt);
    }
    if (pts.size() > 1) cv::polylines(img, pts, false, kTrace, std::max(1, int(k / 5)), cv::LINE_AA);
  }
  // Header: acquisition, paper scale, measurements, machine flags.
  std::string l1 = ecg.acquisition_time.empty() ? std::string("time unknown") : ecg.acquisition_time;
  if (!ecg.device.empty()) l1 += "   " + ecg.device;
  l1 += "   " + detail::fmt(o.mm_per_s) + " mm/s   " + detail::fmt(o.mm_per_mv) + " mm/mV";
  cv::putText(img, l1, {px(3), px(6)}, cv::FONT_HERSHEY_SIMPLEX, font, kText, 1, cv::LINE_AA);
  if (analysis) {
    cv::putText(img, detail::measurement_line(*analysis), {px(3), px(12)}, cv::FONT_HERSHEY_SIMPLEX, font, kText, 1, cv::LINE_AA);
    // Hershey fonts draw ASCII only: statements are English machine text, which is what they are.
    std::string said;
    for (const auto& st : analysis->rhythm) said += (said.empty() ? "" : "; ") + st.text;
    if (said.size() > 160) said = said.substr(0, 157) + "...";
    cv::putText(img, said, {px(3), px(18)}, cv::FONT_HERSHEY_SIMPLEX, font, kText, 1, cv::LINE_AA);
    std::string flags;
    for (const auto& c : analysis->critical) flags += (flags.empty() ? "" : "; ") + c.code;
    if (!flags.empty())
      cv::putText(img, "MACHINE FLAG (unconfirmed): " + flags, {px(3), px(24)}, cv::FONT_HERSHEY_SIMPLEX, font, kRed,
                  std::max(1, int(k / 5)), cv::LINE_AA);
  }
  std::vector<std::uint8_t> out;
  if (!cv::imencode(".png", img, out)) return make_error(ErrorCode::Internal, "PNG encoding failed");
  return out;
}

}  // namespace teledx::ecg
