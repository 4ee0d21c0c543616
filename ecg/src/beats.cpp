// Beat typing (dominant template correlation, QRS width, prematurity) and the median beat.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "analysis_internal.hpp"

namespace teledx::ecg::detail {

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  const std::size_t m = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(m), v.end());
  if (v.size() % 2) return v[m];
  const double hi = v[m];
  return (*std::max_element(v.begin(), v.begin() + std::ptrdiff_t(m)) + hi) / 2;
}

std::string fmt(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

namespace {

/// Indices of up to three leads with the largest typical QRS amplitude.
std::vector<std::size_t> main_leads(const LeadSet& s, const std::vector<std::int64_t>& r) {
  const std::int64_t n = std::int64_t(s.sample_count()), h = std::int64_t(0.06 * s.sample_rate_hz);
  std::vector<std::pair<double, std::size_t>> amp;
  for (std::size_t l = 0; l < s.leads.size(); ++l) {
    std::vector<double> a;
    for (std::size_t i = 0; i < r.size(); i += std::max<std::size_t>(1, r.size() / 50)) {
      const auto lo = std::max<std::int64_t>(0, r[i] - h), hi = std::min(n, r[i] + h);
      if (hi <= lo) continue;
      auto [mn, mx] = std::minmax_element(s.leads[l].uv.begin() + lo, s.leads[l].uv.begin() + hi);
      a.push_back(*mx - *mn);
    }
    amp.push_back({median_of(a), l});
  }
  std::sort(amp.rbegin(), amp.rend());
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < std::min<std::size_t>(3, amp.size()); ++i) out.push_back(amp[i].second);
  return out;
}

double correlation(const float* a, const float* b, std::size_t n) {
  double ma = 0, mb = 0;
  for (std::size_t k = 0; k < n; ++k) ma += a[k], mb += b[k];
  ma /= double(n), mb /= double(n);
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double x = a[k] - ma, y = b[k] - mb;
    sab += x * y, saa += x * x, sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0;
}

/// Width (samples) of the span where the beat's slope exceeds a quarter of its maximum.
double slope_width(const std::vector<float>& x, std::int64_t r, std::int64_t before, std::int64_t after) {
  const std::int64_t n = std::int64_t(x.size());
  const std::int64_t lo = std::max<std::int64_t>(1, r - before), hi = std::min(n - 1, r + after);
  double mx = 0;
  for (std::int64_t k = lo; k < hi; ++k) mx = std::max(mx, double(std::abs(x[std::size_t(k + 1)] - x[std::size_t(k - 1)])));
  if (mx <= 0) return 0;
  std::int64_t first = -1, last = -1;
  for (std::int64_t k = lo; k < hi; ++k)
    if (std::abs(x[std::size_t(k + 1)] - x[std::size_t(k - 1)]) > 0.25 * mx) {
      if (first < 0) first = k;
      last = k;
    }
  return first < 0 ? 0 : double(last - first);
}

}  // namespace

std::vector<Beat> classify_beats(const LeadSet& s, const std::vector<std::int64_t>& r) {
  std::vector<Beat> out;
  for (auto t : r) out.push_back({t, BeatType::Normal});
  if (r.size() < 3 || s.leads.empty()) return out;
  const double fs = s.sample_rate_hz;
  const std::int64_t n = std::int64_t(s.sample_count());
  const std::int64_t pre = std::int64_t(0.06 * fs), post = std::int64_t(0.10 * fs), len = pre + post;
  const auto leads = main_leads(s, r);
  // Dominant template: sample-wise median of up to 200 beats spread over the record.
  std::vector<std::vector<float>> tmpl(leads.size(), std::vector<float>(std::size_t(len), 0));
  std::vector<std::size_t> pick;
  for (std::size_t i = 0; i < r.size(); i += std::max<std::size_t>(1, r.size() / 200))
    if (r[i] - pre >= 0 && r[i] + post < n) pick.push_back(i);
  if (pick.size() < 3) return out;
  for (std::size_t li = 0; li < leads.size(); ++li)
    for (std::int64_t k = 0; k < len; ++k) {
      std::vector<double> v;
      for (auto i : pick) v.push_back(s.leads[leads[li]].uv[std::size_t(r[i] - pre + k)]);
      tmpl[li][std::size_t(k)] = float(median_of(v));
    }
  std::vector<double> widths, rr;
  for (std::size_t i = 0; i < r.size(); ++i) {
    widths.push_back(slope_width(s.leads[leads[0]].uv, r[i], std::int64_t(0.1 * fs), std::int64_t(0.15 * fs)));
    if (i) rr.push_back(double(r[i] - r[i - 1]));
  }
  const double w_med = median_of(widths), rr_med = median_of(rr);
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (r[i] - pre < 0 || r[i] + post >= n) continue;
    double c = 0;
    for (std::size_t li = 0; li < leads.size(); ++li)
      c += correlation(&s.leads[leads[li]].uv[std::size_t(r[i] - pre)], tmpl[li].data(), std::size_t(len));
    c /= double(leads.size());
    const bool wide = widths[i] > w_med + 0.03 * fs && widths[i] > 0.09 * fs;
    const bool premature = i > 0 && double(r[i] - r[i - 1]) < 0.88 * rr_med;
    if (c < 0.3 && !wide && !premature) out[i].type = BeatType::Unknown;
    else if ((c < 0.8 && wide) || (c < 0.6 && premature)) out[i].type = BeatType::Ventricular;
  }
  return out;
}

LeadSet median_beat(const LeadSet& s, const std::vector<Beat>& beats, std::int64_t& r_index) {
  LeadSet m;
  m.sample_rate_hz = s.sample_rate_hz;
  const double fs = s.sample_rate_hz;
  const std::int64_t n = std::int64_t(s.sample_count());
  const std::int64_t pre = std::int64_t(0.5 * fs), post = std::int64_t(0.8 * fs);
  r_index = pre;
  std::vector<std::int64_t> use;
  for (const auto& b : beats)
    if (b.type == BeatType::Normal && b.r - pre >= 0 && b.r + post < n) use.push_back(b.r);
  if (use.size() < 2)
    for (const auto& b : beats)
      if (b.r - pre >= 0 && b.r + post < n && b.type != BeatType::Unknown) use.push_back(b.r);
  if (use.empty()) return m;
  if (use.size() > 60) {  // enough for a stable median; spread over the record
    std::vector<std::int64_t> thin;
    for (std::size_t i = 0; i < use.size(); i += use.size() / 60 + 1) thin.push_back(use[i]);
    use = std::move(thin);
  }
  std::vector<float> v(use.size());
  const std::size_t mid = v.size() / 2;
  for (const auto& lead : s.leads) {
    LeadSignal out{lead.lead, std::vector<float>(std::size_t(pre + post)), lead.label};
    for (std::int64_t k = 0; k < pre + post; ++k) {
      for (std::size_t i = 0; i < use.size(); ++i) v[i] = lead.uv[std::size_t(use[i] - pre + k)];
      std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(mid), v.end());
      float m = v[mid];
      if (v.size() % 2 == 0) m = (m + *std::max_element(v.begin(), v.begin() + std::ptrdiff_t(mid))) / 2;
      out.uv[std::size_t(k)] = m;
    }
    m.leads.push_back(std::move(out));
  }
  return m;
}

}  // namespace teledx::ecg::detail
