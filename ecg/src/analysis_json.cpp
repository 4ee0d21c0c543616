// JSON form of an Analysis: units in key names, nulls for what could not be measured.
#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "analysis_internal.hpp"
#include "teledx/ecg/analysis.hpp"

namespace teledx::ecg {
namespace {

nlohmann::json opt(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::Info: return "info";
    case Severity::Warning: return "warning";
    case Severity::Critical: return "critical";
  }
  return "info";
}

nlohmann::json statements(const std::vector<Statement>& v) {
  auto out = nlohmann::json::array();
  for (const auto& s : v) {
    nlohmann::json j{{"code", s.code}, {"text", s.text}, {"severity", severity_name(s.severity)}};
    if (s.lead) j["lead"] = lead_name(*s.lead);
    if (!s.text_zh.empty()) j["text_zh"] = s.text_zh;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

nlohmann::json to_json(const Analysis& a) {
  const auto& m = a.measurements;
  nlohmann::json j;
  j["machine_generated"] = true;
  j["sample_rate_hz"] = a.sample_rate_hz;
  j["duration_s"] = a.sample_rate_hz > 0 ? double(a.sample_count) / a.sample_rate_hz : 0.0;
  j["mains_removed_hz"] = a.mains_removed_hz;
  j["measurements"] = {{"heart_rate_bpm", opt(m.heart_rate)}, {"rr_ms", opt(m.rr)}, {"pp_ms", opt(m.pp)},
                       {"pr_ms", opt(m.pr)}, {"p_duration_ms", opt(m.p_duration)}, {"qrs_ms", opt(m.qrs)},
                       {"qt_ms", opt(m.qt)}, {"qtc_bazett_ms", opt(m.qtc_bazett)},
                       {"qtc_fridericia_ms", opt(m.qtc_fridericia)}, {"p_axis_deg", opt(m.p_axis)},
                       {"qrs_axis_deg", opt(m.qrs_axis)}, {"t_axis_deg", opt(m.t_axis)},
                       {"rv5_uv", opt(m.rv5)}, {"sv1_uv", opt(m.sv1)},
                       {"rv5_plus_sv1_uv", m.rv5 && m.sv1 ? nlohmann::json(*m.rv5 + *m.sv1) : nlohmann::json(nullptr)}};
  j["normal_ranges"] = nlohmann::json::object();
  for (const auto& [key, r] : a.normal_ranges)
    j["normal_ranges"][key] = {{"low", r.low}, {"high", r.high}, {"age", r.age_zh}, {"age_en", r.age_en}};
  auto amplitudes = nlohmann::json::object();
  for (const auto& q : a.qrs_amplitudes) amplitudes[std::string(lead_name(q.lead))] = {{"r", q.r_uv}, {"s", q.s_uv}, {"pp", q.pp_uv}};
  j["qrs_amplitudes_uv"] = std::move(amplitudes);
  // The device's own, under the same keys (qtc_ms by its formula): the viewer sets them beside ours.
  j["device_measurements"] = nlohmann::json::object();
  for (const auto& [key, value] : a.device_measurements) j["device_measurements"][key] = value;
  int n = 0, v = 0, u = 0;
  auto beats = nlohmann::json::array();
  for (const auto& b : a.beats) {
    const char* t = b.type == BeatType::Normal ? "N" : b.type == BeatType::Ventricular ? "V" : "Q";
    n += b.type == BeatType::Normal, v += b.type == BeatType::Ventricular, u += b.type == BeatType::Unknown;
    beats.push_back({{"t_s", double(b.r) / a.sample_rate_hz}, {"type", t}});
  }
  j["beats"] = {{"count", a.beats.size()}, {"normal", n}, {"ventricular", v}, {"unknown", u}};
  if (a.beats.size() <= 2000) {
    j["beats"]["list"] = std::move(beats);
  } else {
    // A record too long for the whole list (a fast 30-min record, a Holter) still gives the reader its ventricular
    // beats to step through: their times alone, at most 5,000, to the millisecond.
    auto v_times = nlohmann::json::array();
    for (const auto& b : a.beats)
      if (b.type == BeatType::Ventricular && v_times.size() < 5000)
        v_times.push_back(std::round(double(b.r) / a.sample_rate_hz * 1000.0) / 1000.0);
    j["beats"]["ventricular_t_s"] = std::move(v_times);
  }
  auto st = nlohmann::json::object(), stj = nlohmann::json::object();
  for (const auto& s : a.st) st[std::string(lead_name(s.lead))] = s.j60_uv, stj[std::string(lead_name(s.lead))] = s.j_uv;
  j["st_j60_uv"] = std::move(st);
  j["st_j_uv"] = std::move(stj);
  const auto& f = a.median_fiducials;
  auto rel = [&](const std::optional<std::int64_t>& x) {
    return x ? nlohmann::json(double(*x - a.median_r) * 1000.0 / a.sample_rate_hz) : nlohmann::json(nullptr);
  };
  j["median_fiducials_ms_from_r"] = {{"p_on", rel(f.p_on)},       {"p_off", rel(f.p_off)}, {"qrs_on", rel(f.qrs_on)},
                                     {"qrs_off", rel(f.qrs_off)}, {"t_peak", rel(f.t_peak)}, {"t_off", rel(f.t_off)}};
  j["rhythm"] = statements(a.rhythm);
  j["quality"] = statements(a.quality);
  j["critical"] = statements(a.critical);
  j["critical_flag"] = a.has_critical();
  // The same values under the keys of the ECG report template's structured fields (heart_rate, pr, qrs, qt,
  // qtc, axis, rhythm), rounded as a reader writes them, so the editor prefills the report from the analysis.
  auto whole = [](const std::optional<double>& v) {
    return v ? nlohmann::json(static_cast<long long>(std::lround(*v))) : nlohmann::json(nullptr);
  };
  // RV5/SV1 in mV to the µV, as Chinese carts print them ("1.425/0.725").
  auto millivolts = [](double uv) { return detail::fmt(uv / 1000.0, 3); };
  j["template_fields"] = {{"heart_rate", whole(m.heart_rate)}, {"pr", whole(m.pr)},   {"qrs", whole(m.qrs)},
                          {"qt", whole(m.qt)},                 {"qtc", whole(m.qtc_bazett)}, {"axis", whole(m.qrs_axis)},
                          {"rv5_sv1", m.rv5 && m.sv1 ? nlohmann::json(millivolts(*m.rv5) + "/" + millivolts(*m.sv1)) : nlohmann::json(nullptr)},
                          {"rv5_plus_sv1", m.rv5 && m.sv1 ? nlohmann::json(millivolts(*m.rv5 + *m.sv1)) : nlohmann::json(nullptr)},
                          {"rhythm", a.rhythm.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.rhythm.front().text)}};
  return j;
}

namespace {

std::optional<Severity> severity_from(std::string_view s) {
  if (s == "info") return Severity::Info;
  if (s == "warning") return Severity::Warning;
  if (s == "critical") return Severity::Critical;
  return std::nullopt;
}

Result<std::optional<double>> optional_number(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::optional<double>{};
  if (!j[key].is_number()) return make_error(ErrorCode::BadRequest, std::string("'") + key + "' is not a number");
  return std::optional<double>(j[key].get<double>());
}

Result<std::vector<Statement>> statements_from(const nlohmann::json& j, const char* key) {
  std::vector<Statement> out;
  if (!j.contains(key)) return out;
  if (!j[key].is_array()) return make_error(ErrorCode::BadRequest, std::string("'") + key + "' is not a list");
  for (const auto& x : j[key]) {
    auto text = [&x](const char* k) { return x.contains(k) && x[k].is_string() ? x[k].get<std::string>() : std::string(); };
    const auto severity = severity_from(text("severity"));
    if (!x.is_object() || text("code").empty() || !severity)
      return make_error(ErrorCode::BadRequest, std::string("a statement of '") + key + "' has no code or severity");
    Statement st{text("code"), text("text"), *severity, std::nullopt, text("text_zh")};
    if (x.contains("lead")) {
      // "?" is lead_name(Lead::Other): a research channel's statement (WFDB "ECG1" with baseline wander), which
      // must read back like any other (found by tests/fuzz wfdb_record).
      st.lead = text("lead") == lead_name(Lead::Other) ? std::optional<Lead>(Lead::Other) : parse_lead_name(text("lead"));
      if (!st.lead) return make_error(ErrorCode::BadRequest, "a statement names an unknown lead '" + text("lead") + "'");
    }
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace

Result<Analysis> analysis_from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("machine_generated") || j["machine_generated"] != true)
    return make_error(ErrorCode::BadRequest, "the JSON is not a machine analysis ('machine_generated' is not true)");
  Analysis a;
  auto rate = optional_number(j, "sample_rate_hz");
  auto duration = optional_number(j, "duration_s");
  auto mains = optional_number(j, "mains_removed_hz");
  for (const auto* r : {&rate, &duration, &mains})
    if (!r->ok()) return r->error();
  if (!*rate || **rate <= 0) return make_error(ErrorCode::BadRequest, "the analysis has no sample rate");
  a.sample_rate_hz = **rate;
  a.sample_count = std::llround(duration->value_or(0) * **rate);
  a.mains_removed_hz = mains->value_or(0);
  const nlohmann::json none = nlohmann::json::object();
  const auto& m = j.contains("measurements") && j["measurements"].is_object() ? j["measurements"] : none;
  const std::pair<const char*, std::optional<double> Measurements::*> fields[] = {
      {"heart_rate_bpm", &Measurements::heart_rate}, {"rr_ms", &Measurements::rr},
      {"pp_ms", &Measurements::pp},                  {"pr_ms", &Measurements::pr},
      {"p_duration_ms", &Measurements::p_duration},  {"qrs_ms", &Measurements::qrs},
      {"qt_ms", &Measurements::qt},                  {"qtc_bazett_ms", &Measurements::qtc_bazett},
      {"qtc_fridericia_ms", &Measurements::qtc_fridericia}, {"p_axis_deg", &Measurements::p_axis},
      {"qrs_axis_deg", &Measurements::qrs_axis},     {"t_axis_deg", &Measurements::t_axis},
      {"rv5_uv", &Measurements::rv5},                {"sv1_uv", &Measurements::sv1}};
  for (const auto& [key, field] : fields) {
    auto v = optional_number(m, key);
    if (!v.ok()) return v.error();
    a.measurements.*field = *v;
  }
  if (j.contains("device_measurements") && j["device_measurements"].is_object())
    for (const auto& [key, value] : j["device_measurements"].items())
      if (value.is_number()) a.device_measurements[key] = value.get<double>();
  if (j.contains("st_j60_uv") && j["st_j60_uv"].is_object())
    for (const auto& [name, uv] : j["st_j60_uv"].items()) {
      const auto lead = parse_lead_name(name);
      if (!lead || !uv.is_number()) continue;
      const auto& at_j = j.contains("st_j_uv") && j["st_j_uv"].is_object() ? j["st_j_uv"] : none;
      a.st.push_back({*lead, at_j.contains(name) && at_j[name].is_number() ? at_j[name].get<double>() : 0.0,
                      uv.get<double>()});
    }
  if (j.contains("qrs_amplitudes_uv") && j["qrs_amplitudes_uv"].is_object())
    for (const auto& [name, waves] : j["qrs_amplitudes_uv"].items()) {
      const auto lead = parse_lead_name(name);
      const nlohmann::json& rs = waves;  // a named reference: clang 14 does not capture structured bindings
      auto part = [&rs](const char* k) { return rs.is_object() && rs.contains(k) && rs[k].is_number() ? rs[k].get<double>() : 0.0; };
      if (lead) a.qrs_amplitudes.push_back({*lead, part("r"), part("s"), part("pp")});
    }
  // JSON keeps the leads by name, in alphabetical order: back in the standard order.
  std::sort(a.st.begin(), a.st.end(), [](const StLevel& x, const StLevel& y) { return x.lead < y.lead; });
  std::sort(a.qrs_amplitudes.begin(), a.qrs_amplitudes.end(),
            [](const QrsAmplitude& x, const QrsAmplitude& y) { return x.lead < y.lead; });
  for (auto [key, list] : {std::pair{"rhythm", &a.rhythm}, {"quality", &a.quality}, {"critical", &a.critical}}) {
    auto said = statements_from(j, key);
    if (!said.ok()) return said.error();
    *list = std::move(*said);
  }
  return a;
}

}  // namespace teledx::ecg
