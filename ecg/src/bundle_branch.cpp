// Complete right and left bundle branch block from the median beat's QRS: its width and, in V1, I and V6, the
// direction of its last and first deflections (完全性右束支传导阻滞, 完全性左束支传导阻滞).
#include <algorithm>
#include <optional>
#include <string>

#include "analysis_internal.hpp"

namespace teledx::ecg::detail {
namespace {

/// The shape of one lead's median QRS, each part as a fraction of the lead's QRS peak-to-peak, so that a small lead
/// and a big one read alike.
struct QrsShape {
  double terminal = 0;  ///< mean over the QRS's last 40 ms: its last deflection's side
  double initial = 0;   ///< the lowest point of its first 20 ms: a q wave when clearly negative
  double net = 0;       ///< mean over the whole QRS: the side it mostly lies on
};

std::optional<QrsShape> shape_of(const Analysis& a, Lead lead) {
  const LeadSignal* l = a.median.find(lead);
  const Fiducials& f = a.median_fiducials;
  const double fs = a.median.sample_rate_hz;
  const std::int64_t on = *f.qrs_on, off = *f.qrs_off;
  if (!l || off >= std::int64_t(l->uv.size())) return std::nullopt;
  const double base = pr_baseline_uv(*l, on, fs);
  auto x = [&](std::int64_t k) { return double(l->uv[std::size_t(k)]) - base; };
  double hi = 0, lo = 0, sum = 0;
  for (std::int64_t k = on; k <= off; ++k) hi = std::max(hi, x(k)), lo = std::min(lo, x(k)), sum += x(k);
  if (hi - lo <= 0) return std::nullopt;
  QrsShape s;
  const std::int64_t t0 = std::max(on, off - std::int64_t(0.04 * fs)), i1 = std::min(off, on + std::int64_t(0.02 * fs));
  for (std::int64_t k = t0; k <= off; ++k) s.terminal += x(k);
  s.terminal /= double(off - t0 + 1) * (hi - lo);
  for (std::int64_t k = on; k <= i1; ++k) s.initial = std::min(s.initial, x(k) / (hi - lo));
  s.net = sum / double(off - on + 1) / (hi - lo);
  return s;
}

/// A deflection counts when it is 5% of the lead's QRS: past the noise of a median beat, short of any threshold a
/// record could be tuned on (the textbook's criteria are directions, not sizes).
constexpr double kClear = 0.05;

}  // namespace

void bundle_branch_statements(Analysis& a) {
  const auto& m = a.measurements;
  const Fiducials& f = a.median_fiducials;
  if (!m.qrs || *m.qrs < 120 || !f.qrs_on || !f.qrs_off || has_statement(a.rhythm, "paced_rhythm") ||
      tracing_unreliable(a))
    return;
  // The three leads the criteria read; a lead off or noisy (said already) leaves the QRS's shape unknown.
  for (Lead lead : {Lead::V1, Lead::I, Lead::V6})
    if (lead_off_or_noisy(a, lead)) return;
  const auto v1 = shape_of(a, Lead::V1), i = shape_of(a, Lead::I), v6 = shape_of(a, Lead::V6);
  if (!v1 || !i || !v6) return;
  const std::string qrs = fmt(*m.qrs) + " ms";
  // Right: the right ventricle depolarises last, from left to right and toward V1 — a terminal R' in V1, and I and
  // V6 ending below the baseline (their terminal S; in V1 the clear deflection is the one asked for).
  if (v1->terminal > kClear && i->terminal < 0 && v6->terminal < 0) {
    a.rhythm.push_back({"complete_rbbb",
                        "Complete right bundle branch block suspected (QRS " + qrs +
                            ", terminal R in V1, terminal S in I and V6)",
                        Severity::Info, std::nullopt,
                        "完全性右束支传导阻滞（疑似）：QRS " + qrs + "，V1 终末 R 波，I、V6 终末 S 波"});
    return;
  }
  // Left: the septum depolarises from right to left and the whole QRS turns away from V1 — V1 mostly negative (QS
  // or rS), I and V6 upright to the end without a septal q.
  if (v1->net < -kClear && i->terminal > kClear && v6->terminal > kClear && i->initial > -kClear &&
      v6->initial > -kClear)
    a.rhythm.push_back({"complete_lbbb",
                        "Complete left bundle branch block suspected (QRS " + qrs +
                            ", V1 mostly negative, I and V6 upright without q)",
                        Severity::Info, std::nullopt,
                        "完全性左束支传导阻滞（疑似）：QRS " + qrs + "，V1 以负向波为主，I、V6 直立且无 q 波"});
}

}  // namespace teledx::ecg::detail
