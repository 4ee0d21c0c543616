#include "teledx/ecg/waveform.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace teledx::ecg {
namespace {

struct LeadEntry {
  Lead lead;
  std::string_view name;
  int scp_code;
};

constexpr std::array<LeadEntry, 26> kLeads{{
    {Lead::I, "I", 1},       {Lead::II, "II", 2},     {Lead::III, "III", 61},  {Lead::aVR, "aVR", 62},
    {Lead::aVL, "aVL", 63},  {Lead::aVF, "aVF", 64},  {Lead::V1, "V1", 3},     {Lead::V2, "V2", 4},
    {Lead::V3, "V3", 5},     {Lead::V4, "V4", 6},     {Lead::V5, "V5", 7},     {Lead::V6, "V6", 8},
    {Lead::V2R, "V2R", 10},  {Lead::V3R, "V3R", 11},  {Lead::V4R, "V4R", 12},  {Lead::V5R, "V5R", 13},
    {Lead::V6R, "V6R", 14},  {Lead::V7, "V7", 9},     {Lead::V8, "V8", 66},    {Lead::V9, "V9", 67},
    {Lead::X, "X", 16},      {Lead::Y, "Y", 17},      {Lead::Z, "Z", 18},      {Lead::MLI, "MLI", 0},
    {Lead::MLII, "MLII", 0}, {Lead::MLIII, "MLIII", 0},
}};

std::string upper_compact(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '_' || c == '-' || c == '\t') continue;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace

std::string_view lead_name(Lead lead) {
  for (const auto& e : kLeads)
    if (e.lead == lead) return e.name;
  return "?";
}

std::optional<Lead> parse_lead_name(std::string_view text) {
  // Drop a trailing "(Einthoven)" / "(mV)" remark.
  if (auto p = text.find('('); p != std::string_view::npos && p > 0) text = text.substr(0, p);
  std::string s = upper_compact(text);
  for (std::string_view prefix : {"MDCECGLEAD", "LEAD"})
    if (s.rfind(prefix, 0) == 0 && s.size() > prefix.size()) s = s.substr(prefix.size());
  if (s == "AVR" || s == "AVL" || s == "AVF") s = std::string("aV") + s[2];
  for (const auto& e : kLeads)
    if (upper_compact(e.name) == upper_compact(s)) return e.lead;
  return std::nullopt;
}

std::optional<Lead> lead_from_scp_code(int code) {
  if (code <= 0) return std::nullopt;
  for (const auto& e : kLeads)
    if (e.scp_code == code) return e.lead;
  return std::nullopt;
}

std::string accepted_lead_names() {
  std::string out;
  for (const auto& e : kLeads) {
    if (!out.empty()) out += ", ";
    out += e.name;
  }
  return out;
}

const LeadSignal* LeadSet::find(Lead lead) const {
  for (const auto& l : leads)
    if (l.lead == lead) return &l;
  return nullptr;
}

int derive_limb_leads(LeadSet& set) {
  int added = 0;
  // Some carts (Contec) store II and III instead of I and II: I = II - III (Einthoven) first.
  if (const LeadSignal *ii = set.find(Lead::II), *iii = set.find(Lead::III);
      !set.find(Lead::I) && ii && iii && ii->uv.size() == iii->uv.size()) {
    LeadSignal s{Lead::I, std::vector<float>(ii->uv.size()), std::string(lead_name(Lead::I))};
    for (std::size_t k = 0; k < s.uv.size(); ++k) s.uv[k] = ii->uv[k] - iii->uv[k];
    set.leads.push_back(std::move(s));
    ++added;
  }
  const LeadSignal* i = set.find(Lead::I);
  const LeadSignal* ii = set.find(Lead::II);
  if (!i || !ii || i->uv.size() != ii->uv.size()) {
    if (added) sort_leads(set);
    return added;
  }
  const std::vector<float> a = i->uv, b = ii->uv;
  const std::size_t n = a.size();
  auto add = [&](Lead lead, auto f) {
    if (set.find(lead)) return;
      LeadSignal s{lead, std::vector<float>(n), std::string(lead_name(lead))};
    for (std::size_t k = 0; k < n; ++k) s.uv[k] = f(a[k], b[k]);
    set.leads.push_back(std::move(s));
    ++added;
  };
  add(Lead::III, [](float x, float y) { return y - x; });
  add(Lead::aVR, [](float x, float y) { return -(x + y) / 2; });
  add(Lead::aVL, [](float x, float y) { return x - y / 2; });
  add(Lead::aVF, [](float x, float y) { return y - x / 2; });
  if (added) sort_leads(set);
  return added;
}

void sort_leads(LeadSet& set) {
  std::stable_sort(set.leads.begin(), set.leads.end(),
                   [](const LeadSignal& a, const LeadSignal& b) { return a.lead < b.lead; });
}

}  // namespace teledx::ecg
