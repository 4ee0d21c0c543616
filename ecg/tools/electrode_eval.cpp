// `teledx-ecg eval electrodes`: misplaced electrodes made in software from LUDB's 12-lead records (limb electrodes
// on the wrong limbs, two neighbouring chest electrodes exchanged), and how often the quality check calls them; and
// its false calls on the records as recorded, and with one lead off. Then a tremor at the limb electrodes
// (add_limb_tremor): how often it is named, how often atrial flutter is called from it, and the critical flags it
// raises, with or without a warning beside them.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "eval.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/evaluation.hpp"
#include "teledx/ecg/readers.hpp"

namespace fs = std::filesystem;

namespace teledx::ecg::eval {
namespace {

std::vector<float>& lead_of(Waveform& w, Lead l) {
  for (auto& x : w.leads)
    if (x.lead == l) return x.uv;
  throw std::runtime_error("lead " + std::string(lead_name(l)) + " missing");
}

std::string fmt_hz(double hz) { return std::to_string(int(hz)) + " Hz"; }

void invert(std::vector<float>& v) {
  for (auto& x : v) x = -x;
}

/// Each misplacement as the cart would record it: what each lead shows with the electrodes swapped.
struct Misplacement {
  std::string name;
  std::string code;        // the statement that should call it
  std::string pair;        // for a chest swap, the pair the statement must name ("V2 and V3")
  std::function<void(Waveform&)> apply;
};

std::vector<Misplacement> misplacements() {
  std::vector<Misplacement> out;
  out.push_back({"LA/RA (arms)", "limb_lead_reversal_suspected", "", [](Waveform& w) {
                   invert(lead_of(w, Lead::I));
                   std::swap(lead_of(w, Lead::II), lead_of(w, Lead::III));
                   std::swap(lead_of(w, Lead::aVR), lead_of(w, Lead::aVL));
                 }});
  out.push_back({"RA/LL", "limb_lead_reversal_suspected", "", [](Waveform& w) {
                   auto i = lead_of(w, Lead::I);
                   lead_of(w, Lead::I) = lead_of(w, Lead::III);
                   invert(lead_of(w, Lead::I));
                   lead_of(w, Lead::III) = std::move(i);
                   invert(lead_of(w, Lead::III));
                   invert(lead_of(w, Lead::II));
                   std::swap(lead_of(w, Lead::aVR), lead_of(w, Lead::aVF));
                 }});
  out.push_back({"LA/LL", "limb_lead_reversal_suspected", "", [](Waveform& w) {
                   std::swap(lead_of(w, Lead::I), lead_of(w, Lead::II));
                   invert(lead_of(w, Lead::III));
                   std::swap(lead_of(w, Lead::aVL), lead_of(w, Lead::aVF));
                 }});
  constexpr Lead kChest[6] = {Lead::V1, Lead::V2, Lead::V3, Lead::V4, Lead::V5, Lead::V6};
  for (std::size_t i = 0; i < 5; ++i) {
    const Lead a = kChest[i], b = kChest[i + 1];
    const std::string pair = std::string(lead_name(a)) + " and " + std::string(lead_name(b));
    out.push_back({std::string(lead_name(a)) + "/" + std::string(lead_name(b)), "chest_lead_swap_suspected", pair,
                   [a, b](Waveform& w) { std::swap(lead_of(w, a), lead_of(w, b)); }});
  }
  return out;
}

bool says(const Analysis& an, const std::string& code, const std::string& pair = {}) {
  for (const auto& q : an.quality)
    if (q.code == code && (pair.empty() || q.text.find(pair) != std::string::npos)) return true;
  return false;
}

bool says_misplacement(const Analysis& an) {
  return says(an, "limb_lead_reversal_suspected") || says(an, "chest_lead_swap_suspected");
}

/// An atrial origin other than the sinus node named from the P axis (atrial_origin.cpp): a limb swap the check missed
/// turns the P wave too.
bool calls_ectopic_origin(const Analysis& an) {
  return std::any_of(an.rhythm.begin(), an.rhythm.end(),
                     [](const Statement& s) { return s.code == "ectopic_atrial_rhythm" || s.code == "junctional_rhythm"; });
}

/// Pathological Q waves (q_waves.cpp): a swap the check missed puts an all-negative QRS in a limb lead.
bool calls_q_waves(const Analysis& an) {
  return std::any_of(an.rhythm.begin(), an.rhythm.end(), [](const Statement& s) { return s.code == "pathological_q_waves"; });
}

bool calls_flutter(const Analysis& an) {
  return std::any_of(an.rhythm.begin(), an.rhythm.end(), [](const Statement& s) { return s.code == "atrial_flutter"; });
}

/// A tremor added to every record: which electrodes, how fast, how large.
struct Tremor {
  std::string name;
  double hz, uv;
  LimbElectrodes moving;
};

std::vector<Tremor> tremors() {
  const LimbElectrodes arms{true, true, false};
  std::vector<Tremor> out;
  for (double hz : {4.0, 5.0, 6.0, 8.0, 10.0}) out.push_back({"both arms, " + fmt_hz(hz), hz, 150, arms});
  for (double uv : {50.0, 100.0, 250.0}) out.push_back({"both arms, 5 Hz, " + std::to_string(int(uv)) + " uV", 5, uv, arms});
  out.push_back({"left arm, 5 Hz", 5, 150, {true, false, false}});
  out.push_back({"right arm, 5 Hz", 5, 150, {false, true, false}});
  out.push_back({"left leg, 5 Hz", 5, 150, {false, false, true}});
  out.push_back({"all three, 5 Hz", 5, 150, {true, true, true}});
  return out;
}

/// The tally of one tremor over the records.
struct TremorTally {
  int named = 0, flutter = 0, new_critical = 0, silent = 0;
  void add(const Analysis& clean, const Analysis& shaking, const std::string& record, const std::string& tremor) {
    named += says(shaking, "limb_tremor");
    flutter += calls_flutter(shaking);
    const auto before = critical_codes(clean);
    const bool raised = std::any_of(shaking.critical.begin(), shaking.critical.end(), [&](auto& c) { return !before.count(c.code); });
    new_critical += raised, silent += raised && !warns_of_signal(shaking);
    if (raised && std::getenv("ELECTRODES_VERBOSE")) {  // which record, which flag: to compare two builds
      std::printf("  %s, %s: new", record.c_str(), tremor.c_str());
      for (const auto& c : shaking.critical)
        if (!before.count(c.code)) std::printf(" %s", c.code.c_str());
      std::printf("%s\n", warns_of_signal(shaking) ? "" : " (no warning)");
    }
  }
};

}  // namespace

int run_electrodes(const fs::path& data) {
  const auto kinds = misplacements();
  const auto shakes = tremors();
  std::vector<TremorTally> shaken(shakes.size());
  int flutter_as_recorded = 0, tremor_as_recorded = 0;
  std::vector<int> called(kinds.size(), 0), ectopic(kinds.size(), 0), new_q(kinds.size(), 0);
  int ectopic_as_recorded = 0, q_as_recorded = 0;
  int n = 0, false_as_recorded = 0, false_lead_off = 0, lead_off_cases = 0;
  const int rc = for_each_ludb_ecg(data, "electrodes", [&](const std::string& rec, const Waveform& w) {
    ++n;
    const Analysis clean = analyze(w);
    ectopic_as_recorded += calls_ectopic_origin(clean);
    q_as_recorded += calls_q_waves(clean);
    tremor_as_recorded += says(clean, "limb_tremor");
    flutter_as_recorded += calls_flutter(clean);
    for (std::size_t k = 0; k < shakes.size(); ++k) {
      Waveform m = w;
      add_limb_tremor(m, shakes[k].hz, shakes[k].uv, shakes[k].moving, 0.4 + 0.7 * n);
      shaken[k].add(clean, analyze(m), rec, shakes[k].name);
    }
    if (says_misplacement(clean)) {
      ++false_as_recorded;
      std::printf("  false call on %s as recorded\n", rec.c_str());
    }
    for (std::size_t k = 0; k < kinds.size(); ++k) {
      Waveform m = w;
      kinds[k].apply(m);
      const Analysis swapped = analyze(m);
      called[k] += says(swapped, kinds[k].code, kinds[k].pair);
      ectopic[k] += calls_ectopic_origin(swapped);
      new_q[k] += calls_q_waves(swapped) && !calls_q_waves(clean);
    }
    // One lead off (flat) at a time: its own statement says so; a misplacement must not be called for it.
    for (std::size_t l = 0; l < w.leads.size(); ++l) {
      Waveform off = w;
      std::fill(off.leads[l].uv.begin(), off.leads[l].uv.end(), 0.f);
      ++lead_off_cases;
      false_lead_off += says_misplacement(analyze(off));
    }
  });
  if (rc != 0) return rc;
  std::printf("LUDB electrode misplacements made in software, %d 12-lead records (called = the right statement; for\n"
              "a chest swap, naming the right pair; ectopic = an ectopic atrial or junctional rhythm stated from the\n"
              "turned P wave; as recorded: %d; new Q = pathological Q waves stated where the record as recorded has\n"
              "none; as recorded: %d):\n",
              n, ectopic_as_recorded, q_as_recorded);
  for (std::size_t k = 0; k < kinds.size(); ++k)
    std::printf("  %-13s called %3d of %d (%5.1f %%)  ectopic %d  new Q %d\n", kinds[k].name.c_str(), called[k], n,
                n ? 100.0 * called[k] / n : 0.0, ectopic[k], new_q[k]);
  std::printf("  false calls: %d of %d records as recorded; %d of %d with one lead off\n", false_as_recorded, n,
              false_lead_off, lead_off_cases);
  std::printf("\nLUDB with a synthetic tremor at limb electrodes (add_limb_tremor: uV = the left arm's and left leg's\n"
              "amplitude, the right arm's half of it), %d 12-lead records:\n"
              "  %-28s %8s %8s  %s\n  %-28s %5d/%-2d %5d/%-2d\n",
              n, "tremor", "named", "flutter", "new critical flag (without a warning)", "none (as recorded)",
              tremor_as_recorded, n, flutter_as_recorded, n);
  for (std::size_t k = 0; k < shakes.size(); ++k)
    std::printf("  %-28s %5d/%-2d %5d/%-2d  %d (%d)\n", shakes[k].name.c_str(), shaken[k].named, n, shaken[k].flutter, n,
                shaken[k].new_critical, shaken[k].silent);
  return 0;
}

}  // namespace teledx::ecg::eval
