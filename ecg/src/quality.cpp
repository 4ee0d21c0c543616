// Signal quality, so a technician can repeat the ECG before the patient leaves: lead off, noise (and bursts of it
// taken for fast beats), baseline wander, mains interference, electrodes on the wrong limbs or chest positions.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>

#include "analysis_internal.hpp"
#include "filters_internal.hpp"
#include "teledx/ecg/processing.hpp"

namespace teledx::ecg::detail {
namespace {

void say(Analysis& a, std::string code, std::string text, std::string text_zh, Severity sev,
         std::optional<Lead> lead = std::nullopt) {
  a.quality.push_back({std::move(code), std::move(text), sev, lead, std::move(text_zh)});
}

/// A sentence for the technician in English and in Chinese.
struct Advice {
  std::string text, text_zh;
};

/// Where stretches of the recording lie, in seconds, for a sentence: "1.0-2.5 s, 4.0-5.0 s and 2 more" and
/// "1.0–2.5 秒、4.0–5.0 秒及另外 2 处" (the first three named).
Advice stretches_at(const std::vector<std::pair<double, double>>& from_to_s) {
  Advice where;
  for (std::size_t i = 0; i < from_to_s.size() && i < 3; ++i) {
    const auto [from, to] = from_to_s[i];
    where.text += (i ? ", " : "") + fmt(from, 1) + "-" + fmt(to, 1) + " s";
    where.text_zh += (i ? "、" : "") + fmt(from, 1) + "–" + fmt(to, 1) + " 秒";
  }
  if (from_to_s.size() > 3) {
    where.text += " and " + std::to_string(from_to_s.size() - 3) + " more";
    where.text_zh += "及另外 " + std::to_string(from_to_s.size() - 3) + " 处";
  }
  return where;
}

double net_qrs(const LeadSet& m, Lead l, const Fiducials& f) {
  const LeadSignal* s = m.find(l);
  if (!s || !f.qrs_on || !f.qrs_off) return 0;
  double v = 0;
  const double base = s->uv[std::size_t(*f.qrs_on)];
  for (std::int64_t k = *f.qrs_on; k <= *f.qrs_off; ++k) v += s->uv[std::size_t(k)] - base;
  return v;
}

/// Smallest and largest sample (0, 0 for none), four running minima and maxima at a time: std::minmax_element
/// compares through the current extremes' addresses, one branch per sample, and was most of this check's time.
/// The same range for finite samples, which is what the readers deliver (they reject non-finite values); a NaN that
/// reaches the conditioning filters is spread over the whole lead, which both call a NaN range.
std::pair<float, float> value_range(const std::vector<float>& x) {
  if (x.empty()) return {0, 0};
  float lo[4], hi[4];
  for (int j = 0; j < 4; ++j) lo[j] = hi[j] = x[0];
  std::size_t k = 1;
  for (; k + 4 <= x.size(); k += 4)
    for (std::size_t j = 0; j < 4; ++j) lo[j] = std::min(lo[j], x[k + j]), hi[j] = std::max(hi[j], x[k + j]);
  for (; k < x.size(); ++k) lo[0] = std::min(lo[0], x[k]), hi[0] = std::max(hi[0], x[k]);
  return {std::min({lo[0], lo[1], lo[2], lo[3]}), std::max({hi[0], hi[1], hi[2], hi[3]})};
}

/// Electrode pops taken out of the leads (remove_electrode_steps), said once with the leads they were in. A limb
/// electrode's pop reaches two of I, II and III in full and leaves the third, which does not join it: that names it.
void electrode_pop_statement(Analysis& a, const Waveform& raw, const std::vector<std::size_t>& pops) {
  std::string leads;
  std::size_t count = 0, in_lead = 0;
  bool i = false, ii = false, iii = false;
  std::optional<Lead> only;
  for (std::size_t l = 0; l < pops.size() && l < raw.leads.size(); ++l) {
    if (pops[l] == 0) continue;
    const Lead id = raw.leads[l].lead;
    leads += (leads.empty() ? "" : ", ") + (id == Lead::Other ? raw.leads[l].label : std::string(lead_name(id)));
    i = i || id == Lead::I, ii = ii || id == Lead::II, iii = iii || id == Lead::III;
    only = count++ == 0 ? std::optional(id) : std::nullopt;
    in_lead = std::max(in_lead, pops[l]);
  }
  if (count == 0) return;
  std::string who = count == 1 ? "its electrode is loose" : "an electrode is loose",
              who_zh = count == 1 ? "该导联电极接触不良" : "电极接触不良";
  if (i && ii && !iii) who = "the right-arm electrode is loose", who_zh = "右上肢电极接触不良";
  if (i && iii && !ii) who = "the left-arm electrode is loose", who_zh = "左上肢电极接触不良";
  if (ii && iii && !i) who = "the left-leg electrode is loose", who_zh = "左下肢电极接触不良";
  say(a, "electrode_pop",
      "Abrupt jumps (electrode pops, up to " + std::to_string(in_lead) + " in a lead) in " + leads + ": " + who +
          "; press it on or replace it, and repeat the ECG if the tracing is hard to read",
      "电极接触不良（突然跳变，单导联最多 " + std::to_string(in_lead) + " 次）：" + leads + "，" + who_zh +
          "，请按压或更换电极，描记不清时重新描记",
      Severity::Warning, only);
}

/// Calibration pulses flattened before the analysis (remove_calibration_pulses): said, so that a reader who sees
/// the rectangle on the tracing knows it was not read as a beat.
void calibration_pulse_statement(Analysis& a, const std::vector<CalibrationPulse>& pulses, double fs) {
  if (pulses.empty() || fs <= 0) return;
  const CalibrationPulse& p = pulses.front();
  const std::string mv = fmt(std::abs(p.uv) / 1000.0, 1) + " mV", ms = fmt(double(p.width) * 1000.0 / fs) + " ms",
                    at = fmt(double(p.starts) / fs, 1) + " s", count = std::to_string(pulses.size());
  if (pulses.size() == 1)
    say(a, "calibration_pulse", "Calibration pulse (" + mv + ", " + ms + ", at " + at + ") recognised and left out of the analysis",
        "定标脉冲（" + mv + "，" + ms + "，位于 " + at + "）已识别，未参与分析", Severity::Info);
  else
    say(a, "calibration_pulse",
        count + " calibration pulses (the first " + mv + ", " + ms + ", at " + at + ") recognised and left out of the analysis",
        "定标脉冲 " + count + " 处（首个 " + mv + "，" + ms + "，位于 " + at + "）已识别，未参与分析", Severity::Info);
}

}  // namespace

bool lead_is_flat(const std::vector<float>& conditioned_uv) {
  const auto [mn, mx] = value_range(conditioned_uv);
  return conditioned_uv.empty() || mx - mn < kFlatLeadRangeUv;
}

namespace {

/// Whether a lead in [first, last] (in Lead order) was already said to be off (or, with `noisy`, noisy).
bool lead_fault_among(const Analysis& a, Lead first, Lead last, bool noisy) {
  return std::any_of(a.quality.begin(), a.quality.end(), [&](const Statement& q) {
    return (q.code == "lead_off" || (noisy && q.code == "noise")) && q.lead && *q.lead >= first && *q.lead <= last;
  });
}

/// Limb electrodes swapped, in words for the technician; nullopt when nothing suggests it.
/// LA/RA: lead I inverted (negative P, QRS and T) while aVR is upright. Failing that, the P wave's frontal axis: an
/// atrial rhythm's P points down and left (about 0 to 75°, LUDB dev: -20 to 92°, paced records aside). Swapping the
/// arm electrodes mirrors every axis about the vertical (a P at 50° reads 130°); swapping the right arm and left leg
/// turns it to -60° minus itself (50° reads -110°). Built from the 51 LUDB dev records with the electrodes swapped
/// in software: LA/RA called on 33 by lead I and aVR alone, 44 with the P axis too; RA/LL 23, then 37; none of the
/// records as recorded. A P axis outside those bounds is also dextrocardia or an ectopic atrial rhythm: the advice
/// is to check, not a finding. Not with AF, flutter or pacing: their "P axis" is not an atrial rhythm's; nor with a
/// limb lead off, said already (one limb lead flat, each of the 306 LUDB dev ones in turn: 1 false call). A noisy
/// limb lead still counts: noise moves the axis little, and several swapped records have one (2 of 44 lost).
std::optional<Advice> limb_lead_reversal(const Analysis& a) {
  if (lead_fault_among(a, Lead::I, Lead::aVF, false)) return std::nullopt;
  const Fiducials& f = a.median_fiducials;
  if (a.median.find(Lead::I) && a.median.find(Lead::aVR) && f.qrs_on && f.qrs_off) {
    const double qi = net_qrs(a.median, Lead::I, f), qavr = net_qrs(a.median, Lead::aVR, f);
    double pi = 0;
    if (f.p_on && f.p_off) {
      const auto& s = a.median.find(Lead::I)->uv;
      for (std::int64_t k = *f.p_on; k <= *f.p_off; ++k) pi += s[std::size_t(k)] - s[std::size_t(*f.qrs_on)];
    }
    if (qi < 0 && qavr > 0 && pi < 0)
      return Advice{"Lead I is inverted and aVR upright: left/right arm electrodes may be reversed; check and repeat",
                    "肢体导联反接（疑似）：I 导联倒置而 aVR 直立，左右手电极可能接反；请检查电极后重新描记"};
  }
  const auto& p = a.measurements.p_axis;
  if (!p || has_statement(a.rhythm, "atrial_fibrillation") || has_statement(a.rhythm, "atrial_flutter") ||
      has_statement(a.rhythm, "paced_rhythm"))
    return std::nullopt;
  if (*p > 105)
    return Advice{"The P wave points to the right (P axis " + fmt(*p) +
                      "°): left/right arm electrodes may be reversed (or dextrocardia); check and repeat",
                  "肢体导联反接（疑似）：P 波电轴 " + fmt(*p) + "° 指向右侧，左右手电极可能接反（或为右位心）；请检查电极后重新描记"};
  if (*p < -90)
    return Advice{"The P wave points upward (P axis " + fmt(*p) +
                      "°): right arm and left leg electrodes may be reversed (or an ectopic atrial rhythm); check and repeat",
                  "肢体导联反接（疑似）：P 波电轴 " + fmt(*p) +
                      "° 指向上方，右手与左脚电极可能接反（或为异位房性心律）；请检查电极后重新描记"};
  return std::nullopt;
}

/// 1 - the correlation of two median beats over [on, off].
double unlikeness(const std::vector<float>& x, const std::vector<float>& y, std::int64_t on, std::int64_t off) {
  double mx = 0, my = 0;
  for (std::int64_t k = on; k <= off; ++k) mx += x[std::size_t(k)], my += y[std::size_t(k)];
  const double n = double(off - on + 1);
  mx /= n, my /= n;
  double xy = 0, xx = 0, yy = 0;
  for (std::int64_t k = on; k <= off; ++k) {
    const double a = x[std::size_t(k)] - mx, b = y[std::size_t(k)] - my;
    xy += a * b, xx += a * a, yy += b * b;
  }
  return xx > 0 && yy > 0 ? 1 - xy / std::sqrt(xx * yy) : 1;
}

/// Two neighbouring chest electrodes that look swapped; nullopt when nothing suggests it.
/// The QRS changes gradually from V1 to V6, so each chest lead's median QRS is most like its neighbours'. Where
/// putting two neighbours back in the other order makes the row smoother (the summed unlikeness of each to its outer
/// neighbour falls by over 0.2), they are probably swapped. LUDB dev, 48 unpaced records with each pair swapped in
/// software: V1/V2 called on 27, V2/V3 37, V3/V4 36, V4/V5 31, V5/V6 13 (V5 and V6 are often alike), always the
/// right pair; none of the records as recorded (largest fall 0.04). A paced QRS is alike in every chest lead
/// (LUDB 111: 0.40 as recorded), so not with pacing; nor with a chest lead off or noisy, which is said already and
/// breaks the row by itself (one chest lead flat, on each of the 306 LUDB dev leads in turn: 60 false calls).
std::optional<std::pair<Lead, Lead>> chest_lead_swap(const Analysis& a) {
  const Fiducials& f = a.median_fiducials;
  if (!f.qrs_on || !f.qrs_off || *f.qrs_off <= *f.qrs_on || has_statement(a.rhythm, "paced_rhythm")) return std::nullopt;
  if (lead_fault_among(a, Lead::V1, Lead::V6, true)) return std::nullopt;
  constexpr Lead kChest[6] = {Lead::V1, Lead::V2, Lead::V3, Lead::V4, Lead::V5, Lead::V6};
  std::vector<const std::vector<float>*> v;
  for (Lead l : kChest) {
    const LeadSignal* s = a.median.find(l);
    if (!s || std::size_t(*f.qrs_off) >= s->uv.size()) return std::nullopt;
    v.push_back(&s->uv);
  }
  const auto d = [&](int i, int j) { return unlikeness(*v[std::size_t(i)], *v[std::size_t(j)], *f.qrs_on, *f.qrs_off); };
  double best = 0.2;
  int at = -1;
  for (int i = 0; i < 5; ++i) {
    const double as_recorded = (i > 0 ? d(i - 1, i) : 0) + (i < 4 ? d(i + 1, i + 2) : 0);
    const double swapped_back = (i > 0 ? d(i - 1, i + 1) : 0) + (i < 4 ? d(i, i + 2) : 0);
    if (as_recorded - swapped_back > best) best = as_recorded - swapped_back, at = i;
  }
  if (at < 0) return std::nullopt;
  return std::pair{kChest[at], kChest[at + 1]};
}

}  // namespace

std::vector<double> high_frequency_rms(const LeadSet& cond, const std::vector<std::vector<float>>& smooth) {
  // Leads two at a time: each sum waits on its previous addition, so two side by side cost about as much as one.
  // Each lead's terms are still added in sample order.
  std::vector<double> out(smooth.size());
  for (std::size_t l = 0; l < smooth.size(); l += 2) {
    const std::size_t m = std::min(l + 1, smooth.size() - 1);  // an odd lead out runs in both slots
    const auto &x0 = cond.leads[l].uv, &y0 = smooth[l], &x1 = cond.leads[m].uv, &y1 = smooth[m];
    double s0 = 0, s1 = 0;
    for (std::size_t k = 0; k < y0.size(); ++k) {
      s0 += double(x0[k] - y0[k]) * (x0[k] - y0[k]);
      s1 += double(x1[k] - y1[k]) * (x1[k] - y1[k]);
    }
    out[l] = std::sqrt(s0 / double(y0.size()));
    out[m] = std::sqrt(s1 / double(y1.size()));
  }
  return out;
}

double largest_qrs_uv(const LeadSet& median, std::int64_t r) {
  const std::int64_t h = std::llround(0.06 * median.sample_rate_hz);
  double best = 0;
  for (const auto& l : median.leads) {
    const std::int64_t from = std::max<std::int64_t>(0, r - h), to = std::min<std::int64_t>(std::int64_t(l.uv.size()), r + h);
    if (to <= from) continue;
    const auto [mn, mx] = std::minmax_element(l.uv.begin() + from, l.uv.begin() + to);
    best = std::max(best, double(*mx - *mn));
  }
  return best;
}

void quality_statements(Analysis& a, const Waveform& raw, const LeadSet& cond, const std::vector<double>& hf_rms,
                        const std::vector<NoiseBurst>& bursts, const std::optional<LimbTremor>& tremor,
                        const SignalFindings& found) {
  const bool no_qrs = found.no_qrs;
  const double fs = raw.sample_rate_hz;
  int bad_leads = 0, flat_leads = 0;
  for (std::size_t li = 0; li < raw.leads.size() && li < cond.leads.size(); ++li) {
    const auto& l = raw.leads[li];
    const std::string name = l.lead == Lead::Other ? l.label : std::string(lead_name(l.lead));
    const auto& railed = found.conditioning.railed;
    const auto rail = std::find_if(railed.begin(), railed.end(), [&](const RailedLead& r) { return r.lead == li; });
    // A lead at its rail (take_out_railed_leads): taken out whole, or in a long recording only that stretch.
    if (rail != railed.end()) {
      const std::string at = fmt(double(rail->from) / fs, 1) + " s", mv = fmt(rail->uv / 1000.0, 1) + " mV";
      const std::string ran = "Lead " + name + " ran to the end of its range (" + mv + ") at " + at + ": ",
                        ran_zh = "导联脱落：" + name + " 导联于 " + at + " 起饱和（" + mv + "），";
      if (lead_is_flat(cond.leads[li].uv)) {
        say(a, "lead_off", ran + "electrode off during the recording; the lead is left out of the analysis",
            ran_zh + "记录中电极脱落，该导联未参与分析", Severity::Warning, l.lead);
        ++bad_leads, ++flat_leads;
        continue;
      }
      const std::string off = fmt(double(rail->samples) / fs, 1) + " s";
      say(a, "lead_off", ran + "electrode off for " + off + "; that stretch is left out of the analysis",
          ran_zh + "电极脱落共 " + off + "，该段未参与分析", Severity::Warning, l.lead);
    }
    if (lead_is_flat(cond.leads[li].uv)) {
      say(a, "lead_off", "Lead " + name + " is flat: electrode off or disconnected",
          "导联脱落：" + name + " 导联为直线，电极脱落或未连接", Severity::Warning, l.lead);
      ++bad_leads, ++flat_leads;
      continue;
    }
    // High-frequency noise: RMS of what a 40 Hz low-pass removes (muscle tremor, poor contact).
    const double hf = hf_rms[li];
    if (hf > 40) {
      say(a, "noise", "Lead " + name + " is noisy (" + fmt(hf) + " µV RMS above 40 Hz)",
          "噪声干扰：" + name + " 导联 40 Hz 以上成分 " + fmt(hf) + " µV（均方根）", Severity::Warning, l.lead);
      ++bad_leads;
    }
    // Baseline wander: what the baseline filter removed, peak to peak (a calibration pulse's rectangle is not, nor
    // a stretch at the rail).
    double lo = 1e9, hi = -1e9;
    std::size_t next_pulse = 0;
    const auto& pulses = found.conditioning.pulses;
    for (std::size_t k = 0; k < l.uv.size(); k += 4) {
      while (next_pulse < pulses.size() && std::int64_t(k) > pulses[next_pulse].to) ++next_pulse;
      if (next_pulse < pulses.size() && std::int64_t(k) >= pulses[next_pulse].from) continue;
      const double w = l.uv[k] - cond.leads[li].uv[k];
      lo = std::min(lo, w), hi = std::max(hi, w);
    }
    if (hi - lo > 2000 && l.uv.size() < std::size_t(120 * fs) && rail == railed.end())
      say(a, "baseline_wander", "Lead " + name + " has strong baseline wander (" + fmt((hi - lo) / 1000, 1) + " mV)",
          "基线漂移：" + name + " 导联基线漂移明显（" + fmt((hi - lo) / 1000, 1) + " mV）", Severity::Info, l.lead);
  }
  // Leads the cart recorded with no signal at all: not connected. Said per lead like a flat one; with every chest
  // lead missing the ECG cannot show an anterior infarct, whatever the limb leads look like.
  int chest_missing = 0;
  for (Lead l : raw.unconnected_leads) {
    say(a, "lead_off", "Lead " + std::string(lead_name(l)) + " was not connected: the cart recorded no signal",
        "导联脱落：" + std::string(lead_name(l)) + " 导联未连接，心电图机未记录到信号", Severity::Warning, l);
    ++bad_leads;
    chest_missing += l >= Lead::V1 && l <= Lead::V6;
  }
  // Noise the detector took for a run of ventricular beats (untype_noise_runs): said once, with where it is.
  if (!bursts.empty()) {
    std::vector<std::pair<double, double>> at;
    double worst = 0;
    for (const auto& b : bursts) at.emplace_back(b.from_s, b.to_s), worst = std::max(worst, b.uv);
    const Advice where = stretches_at(at);
    say(a, "noise_burst",
        "Noise at " + where.text + " (up to " + fmt(worst) + " µV RMS above 40 Hz) looked like fast ventricular beats and was " +
            "not called PVCs or ventricular tachycardia: check the tracing, and repeat the ECG if the noise hides the rhythm",
        "干扰段似快速心搏（未判为室速）：" + where.text_zh + "（40 Hz 以上成分最高 " + fmt(worst) +
            " µV），未计为室性早搏或室性心动过速；请查看描记，干扰掩盖心律时请重新描记",
        Severity::Warning);
  }
  // Electrode motion and poor contact: beats that do not repeat between their QRS complexes, in the median lead (in
  // the steadier of two). Their noise lies in the ECG's own band, where the 40 Hz measure above does not see it, and
  // it is what makes beats, pauses and "VT" out of nothing (`teledx-ecg eval noise`).
  std::vector<double> variation;
  for (const auto& v : beat_to_beat_variation(a, cond))
    if (v) variation.push_back(*v);
  std::sort(variation.begin(), variation.end());
  const bool many = variation.size() >= 3;
  const double unsteady = variation.empty() ? 0 : many ? variation[(variation.size() - 1) / 2] : variation.front();
  if (unsteady > (many ? kUnsteadyMedianLead : kUnsteadySteadierOfTwo))
    say(a, "unsteady_tracing",
        "The tracing changes from beat to beat between the QRS complexes (" + fmt(100 * unsteady) + "% of the QRS " +
            "amplitude in the " + (many ? "median lead" : "steadier lead") + "): electrode motion or poor contact; " +
            "check the electrodes, keep the patient still and repeat the ECG",
        "波形逐搏不稳定：QRS 波之间的波形逐搏变化（" + std::string(many ? "中位导联" : "较稳定导联") + "中为 QRS 振幅的 " +
            fmt(100 * unsteady) + "%），提示电极移动或接触不良；请检查电极、嘱患者保持静止后重新描记",
        Severity::Warning);
  // A long gap between the beats found that is not quiet: beats may be hidden in noise there, and the slow rate or
  // the pause read from it is doubtful (electrode motion at 0 dB read as 26/min with a pause, no other warning).
  if (const auto busy = busy_pause(a, cond))
    say(a, "busy_pause",
        "The " + fmt(busy->length_s, 1) + "-s gap between beats at " + fmt(busy->at_s, 1) + " s is not quiet (deflections " +
            fmt(100 * busy->of_qrs) + "% as steep as the QRS complexes): beats may be hidden in noise; check the " +
            "tracing before trusting the rate or a pause, and repeat the ECG with the patient still",
        "长间期内有波动：" + fmt(busy->at_s, 1) + " 秒处 " + fmt(busy->length_s, 1) + " 秒的心搏间期内存在陡度达 QRS 波 " +
            fmt(100 * busy->of_qrs) + "% 的波动，可能有心搏被干扰掩盖；请核对描记后再采信心率或长间歇，并嘱患者保持静止后重新描记",
        Severity::Warning);
  // Stretches with no signal in any lead (bridge_signal_gaps): a break in the recording, not a pause. Said when they
  // split the recording, or take a second or more off either end of it (a cart's flat lead-in is not worth a word).
  std::vector<std::pair<double, double>> gaps;
  double longest = 0;
  for (const auto& g : found.conditioning.gaps)
    if (!g.at_edge || double(g.to - g.from) >= fs) {
      gaps.emplace_back(double(g.from) / fs, double(g.to) / fs);
      longest = std::max(longest, gaps.back().second - gaps.back().first);
    }
  if (!gaps.empty()) {
    const Advice where = stretches_at(gaps);
    say(a, "signal_gap",
        "No signal in any lead at " + where.text + " (the longest " + fmt(longest, 1) + " s): nothing reached the " +
            "recording there (a break in the recording or its transfer); the time across a gap is not read as a pause " +
            "or an irregular rhythm. Repeat the ECG if the gap hides the rhythm",
        "信号中断：" + where.text_zh + "所有导联均无信号（最长 " + fmt(longest, 1) + " 秒），记录或传输中断；跨越中断的间期不判为" +
            "长间歇或心律不齐；如中断影响心律判读，请重新描记",
        Severity::Warning);
  }
  // Complexes no larger than the noise's own swings: with every electrode off the amplifier's noise alone passes the
  // 0.1-mV QRS floor at 30 µV RMS and was read as "frequent PVCs" with no warning at all (under the noisy-lead level).
  const auto indistinct = no_qrs ? std::nullopt : indistinct_qrs(a, cond, hf_rms);
  if (indistinct)
    say(a, "indistinct_qrs",
        "The QRS complexes found barely stand out of the noise (" + fmt(indistinct->noise_uv) + " µV RMS above 40 Hz " +
            "against complexes of " + fmt(indistinct->qrs_uv) + " µV in the median lead): they may be noise, not " +
            "heartbeats; check that the electrodes are on the patient and repeat the ECG",
        "QRS 波群不清：检出的 QRS 波几乎未高出噪声（中位导联 40 Hz 以上成分 " + fmt(indistinct->noise_uv) + " µV，波群 " +
            fmt(indistinct->qrs_uv) + " µV），可能是噪声而非心搏；请检查电极是否贴好后重新描记",
        Severity::Warning);
  // A limb electrode's tremor: flutter-like waves in the limb leads, and a rhythm no one should read from them.
  if (tremor)
    say(a, "limb_tremor",
        "A regular " + fmt(tremor->hz, 1) + " Hz oscillation runs alike through every chest lead (" + fmt(tremor->uv) +
            " µV there): tremor or movement at a limb electrode, which can look like atrial flutter waves; let the patient " +
            "rest the arms and legs (for a tremor, electrodes on the upper arms and thighs help) and repeat the ECG",
        "肢体震颤干扰：各胸导联同步出现 " + fmt(tremor->hz, 1) + " Hz 规则波动（胸导联 " + fmt(tremor->uv) +
            " µV），来自肢体电极的震颤或活动，可酷似心房扑动波；请让患者放松四肢（震颤者可将肢体电极移至上臂和大腿近端）后重新描记",
        Severity::Warning);
  const std::size_t recorded = raw.leads.size() + raw.unconnected_leads.size();
  electrode_pop_statement(a, raw, found.conditioning.pops);
  calibration_pulse_statement(a, found.conditioning.pulses, raw.sample_rate_hz);
  if (a.mains_removed_hz > 0)
    say(a, "mains_interference", fmt(a.mains_removed_hz) + " Hz mains interference was present and filtered out",
        "工频干扰：存在 " + fmt(a.mains_removed_hz) + " Hz 工频干扰，已滤除", Severity::Info);
  // Every lead flat: no ECG reached the cart at all (analyze() looks for no beats then), which a technician fixes
  // at the cable and the electrodes, not by recording again as it was.
  if (flat_leads > 0 && flat_leads == int(raw.leads.size()))
    say(a, "repeat_recording",
        "No lead shows an ECG signal: check that the electrodes are on the patient and the cable is plugged into the "
        "cart, then repeat the ECG",
        "建议重新描记：所有导联均无心电信号，请检查电极是否贴好、导联线是否与心电图机连接，然后重新描记", Severity::Warning);
  else if (no_qrs)
    say(a, "repeat_recording",
        "No lead shows a QRS complex (none reaches 0.1 mV): check that the electrodes are on the patient and the cable "
        "is plugged into the cart, then repeat the ECG",
        "建议重新描记：各导联均未见 QRS 波群（均不足 0.1 mV），请检查电极是否贴好、导联线是否与心电图机连接，然后重新描记",
        Severity::Warning);
  else if (indistinct)
    say(a, "repeat_recording", "The beats cannot be told from the noise: repeat the ECG with the electrodes checked",
        "建议重新描记：心搏与噪声无法区分，请检查电极后重新描记", Severity::Warning);
  else if (chest_missing == 6)
    say(a, "repeat_recording", "No chest lead (V1-V6) was connected: repeat the ECG with the chest electrodes on",
        "建议重新描记：胸导联（V1–V6）均未连接，请接好胸导联电极后重新描记", Severity::Warning);
  else if (bad_leads * 2 > int(recorded))
    say(a, "repeat_recording", "More than half of the leads are unusable: repeat the ECG",
        "建议重新描记：半数以上导联无法使用", Severity::Warning);
  // Not with a tremor: it moves the P wave's axis as a swap would (seen on LUDB records with a synthetic arm tremor).
  if (auto reversal = tremor ? std::nullopt : limb_lead_reversal(a))
    say(a, "limb_lead_reversal_suspected", reversal->text, reversal->text_zh, Severity::Warning);
  // Said for each of the two electrodes, as a lead off is: the clinic's page and the paper then name both leads.
  if (const auto swap = chest_lead_swap(a)) {
    const auto [first, second] = *swap;
    const std::string one(lead_name(first)), other(lead_name(second));
    const std::string text = "The QRS changes out of order across the chest leads, as if the " + one + " and " + other +
                             " electrodes were swapped; check the chest electrodes and repeat";
    const std::string text_zh = "胸导联电极互换（疑似）：QRS 波群在胸导联间的变化顺序异常，" + one + " 与 " + other +
                                " 电极可能互换；请检查胸导联电极后重新描记";
    say(a, "chest_lead_swap_suspected", text, text_zh, Severity::Warning, first);
    say(a, "chest_lead_swap_suspected", text, text_zh, Severity::Warning, second);
  }
}

bool lead_off_or_noisy(const Analysis& a, Lead lead) { return lead_fault_among(a, lead, lead, true); }

}  // namespace teledx::ecg::detail
