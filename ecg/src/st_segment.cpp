// ST level at J+60 ms per lead on the median beat and the territory-based ST-elevation (STEMI) pattern.
#include <algorithm>
#include <cmath>
#include <string>

#include "analysis_internal.hpp"

namespace teledx::ecg::detail {
namespace {

struct Territory {
  const char* name;
  const char* name_zh;
  std::vector<std::pair<Lead, Lead>> contiguous;
};

const std::vector<Territory>& territories() {
  static const std::vector<Territory> t{
      {"inferior", "下壁", {{Lead::II, Lead::aVF}, {Lead::III, Lead::aVF}, {Lead::II, Lead::III}}},
      {"anterior/septal", "前间壁", {{Lead::V1, Lead::V2}, {Lead::V2, Lead::V3}, {Lead::V3, Lead::V4}}},
      {"lateral", "侧壁", {{Lead::I, Lead::aVL}, {Lead::V5, Lead::V6}, {Lead::V4, Lead::V5}}},
      {"right ventricular", "右心室", {{Lead::V3R, Lead::V4R}}},
      {"posterior", "后壁", {{Lead::V7, Lead::V8}, {Lead::V8, Lead::V9}}},
  };
  return t;
}

/// ST elevation thresholds (µV) of the Fourth Universal Definition of MI (Thygesen 2018): 0.1 mV in every lead but
/// V2-V3, where 0.2 mV for men 40 and over, 0.25 mV for men under 40 and 0.15 mV for women; 0.05 mV in V7-V9, and
/// in V3R-V4R (0.1 mV for men under 30). Where the file does not say the sex or the age, the men's 40-and-over values
/// (the textbook's and the devices' defaults): a woman's anterior elevation of 0.15-0.2 mV is then not called.
/// The definition's thresholds are adults'. The sexes' ST levels part at puberty, when the "male pattern" of J-point
/// elevation in V1-V4 becomes common in boys (Surawicz & Parikh, JACC 2002;40:1870); before it, early repolarisation
/// is as common in girls as in boys. A child under 16 of either sex gets the young men's 0.25 mV in V2-V3 and 0.1 mV
/// in V3R-V4R, so that a girl's juvenile elevation of 0.15-0.25 mV is not flagged as a woman's infarct.
struct ElevationThresholds {
  double v2_v3 = 200, right = 50;
  std::string basis_en, basis_zh;  ///< the V2-V3 threshold's basis when it is not the default, for the statement

  ElevationThresholds(const PatientInfo& patient, const std::string& acquisition_time) {
    const auto age = patient_age(patient, acquisition_time);
    if (age && *age < 16) {
      v2_v3 = 250, right = 100, basis_en = "V2-V3 from 0.25 mV under 16", basis_zh = "V2–V3 16 岁以下阈值 0.25 mV";
    } else if (patient.sex == "F") {
      v2_v3 = 150, basis_en = "V2-V3 from 0.15 mV for women", basis_zh = "V2–V3 女性阈值 0.15 mV";
    } else if (patient.sex == "M" && age && *age < 40) {
      v2_v3 = 250, basis_en = "V2-V3 from 0.25 mV for men under 40", basis_zh = "V2–V3 40 岁以下男性阈值 0.25 mV";
      if (*age < 30) right = 100;
    }
  }
  double of(Lead l) const {
    if (l == Lead::V2 || l == Lead::V3) return v2_v3;
    if (l >= Lead::V7 && l <= Lead::V9) return 50;
    if (l == Lead::V3R || l == Lead::V4R) return right;
    return 100;
  }
};

}  // namespace

void st_statements(Analysis& a, const PatientInfo& patient, const std::string& acquisition_time) {
  const Fiducials& f = a.median_fiducials;
  if (a.median.leads.empty() || !f.qrs_on || !f.qrs_off) return;
  const double fs = a.sample_rate_hz;
  const std::int64_t j = *f.qrs_off, j60 = j + std::int64_t(0.06 * fs), half = std::max<std::int64_t>(1, std::int64_t(0.005 * fs));
  for (const auto& l : a.median.leads) {
    if (l.lead == Lead::Other || j60 + half >= std::int64_t(l.uv.size())) continue;
    const double base = isoelectric_uv(l, f, fs);
    double st = 0, sj = 0;
    for (std::int64_t k = j60 - half; k <= j60 + half; ++k) st += l.uv[std::size_t(k)];
    st /= double(2 * half + 1);
    for (std::int64_t k = j; k <= j + 2 * half; ++k) sj += l.uv[std::size_t(k)];
    sj /= double(2 * half + 1);
    a.st.push_back({l.lead, std::round(sj - base), std::round(st - base)});
  }
  // Elevation must hold both at J (the universal-definition point) and at J+60 (so an upsloping ST after a
  // depressed J point does not count).
  auto level = [&](Lead l) -> std::optional<double> {
    for (const auto& s : a.st)
      if (s.lead == l) return std::min(s.j_uv, s.j60_uv);
    return std::nullopt;
  };
  const bool wide = a.measurements.qrs && *a.measurements.qrs >= 120;
  const ElevationThresholds threshold(patient, acquisition_time);
  struct Hit {
    std::string en, zh;  // territory with its leads
    bool by_patient;     // a V2-V3 lead called at a threshold the patient's sex or age set
  };
  std::vector<Hit> hit;
  for (const auto& t : territories()) {
    std::vector<std::string> leads;
    bool by_patient = false;
    for (auto [x, y] : t.contiguous) {
      auto sx = level(x), sy = level(y);
      if (sx && sy && *sx >= threshold.of(x) && *sy >= threshold.of(y)) {
        for (Lead l : {x, y}) {
          std::string n(lead_name(l));
          if (std::find(leads.begin(), leads.end(), n) == leads.end()) leads.push_back(n);
          by_patient |= (l == Lead::V2 || l == Lead::V3) && !threshold.basis_en.empty();
        }
      }
    }
    if (leads.empty()) continue;
    std::string list, list_zh;
    for (const auto& n : leads) list += (list.empty() ? "" : ", ") + n, list_zh += (list_zh.empty() ? "" : "、") + n;
    hit.push_back({std::string(t.name) + " (" + list + ")", std::string(t.name_zh) + "（" + list_zh + "）", by_patient});
  }
  // A wide QRS moves the ST segment itself, against its main deflection (LBBB's depression in I, V5 and V6): the
  // reader is told, as for the elevation below, rather than shown an ischaemic-looking depression bare (MIT-BIH 109,
  // LBBB, had one in all its 180 windows).
  for (const auto& s : a.st)
    if (s.j60_uv <= -100 && s.lead != Lead::aVR)
      a.rhythm.push_back({"st_depression",
                          "ST depression " + fmt(-s.j60_uv / 1000.0, 2) + " mV at J+60 in " + std::string(lead_name(s.lead)) +
                              (wide ? " (QRS >= 120 ms: may be secondary to bundle branch block or pacing)" : ""),
                          Severity::Warning, s.lead,
                          "ST 段压低：" + std::string(lead_name(s.lead)) + " 导联 J+60 ms 处 " + fmt(-s.j60_uv / 1000.0, 2) +
                              " mV" + (wide ? "（QRS ≥120 ms：可为束支传导阻滞或起搏所致继发性改变）" : "")});
  for (const auto& [h, h_zh, by_patient] : hit) {
    std::string text = "ST elevation in contiguous leads, " + h + ": acute myocardial infarction pattern suspected";
    std::string text_zh = "ST 段抬高（心梗图形）：" + h_zh + "相邻导联 ST 段抬高，急性心肌梗死图形（疑似）";
    if (by_patient) {
      text += " (" + threshold.basis_en + ")";
      text_zh += "（" + threshold.basis_zh + "）";
    }
    if (wide) {
      text += " (QRS >= 120 ms: bundle branch block or pacing may explain ST changes)";
      text_zh += "（QRS ≥120 ms：束支传导阻滞或起搏可致 ST 改变）";
    }
    a.rhythm.push_back({"stemi_pattern", text, Severity::Warning, std::nullopt, text_zh});
  }
}

}  // namespace teledx::ecg::detail
