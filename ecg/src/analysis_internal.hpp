#pragma once
// Stages of analyze(), one file each; they communicate through Analysis and the conditioned signals.
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg::detail {

/// Normal / ventricular / unknown by correlation with the dominant template, width and prematurity.
std::vector<Beat> classify_beats(const LeadSet& conditioned, const std::vector<std::int64_t>& r);
/// Sample-wise median of the dominant beats per lead; `r_index` receives the R position inside it.
LeadSet median_beat(const LeadSet& conditioned, const std::vector<Beat>& beats, std::int64_t& r_index);
/// Intervals, rate and frontal axes from the median beat and the beat list.
Measurements measure(const Analysis& a);
void rhythm_statements(Analysis& a, const LeadSet& conditioned);
/// Atrial waves found in the QRS-T-cancelled residual: 2:1 and complete AV block suspicion.
void av_conduction_statements(Analysis& a, const LeadSet& conditioned, double rr_irregularity);
void st_statements(Analysis& a);
/// RMS of what a 40 Hz low-pass removes from each conditioned lead (`smooth`: the leads low-passed; analyze()).
std::vector<double> high_frequency_rms(const LeadSet& conditioned, const std::vector<std::vector<float>>& smooth);
/// `hf_rms`: high_frequency_rms() of each conditioned lead (0 when 40 Hz is near Nyquist; analyze()).
void quality_statements(Analysis& a, const Waveform& raw, const LeadSet& conditioned, const std::vector<double>& hf_rms);
/// Critical values per the Chinese ECG critical-value consensus; reads the statements already made.
void critical_flags(Analysis& a, const LeadSet& conditioned);

/// Median of a copy (0 for an empty vector).
double median_of(std::vector<double> v);
std::string fmt(double v, int decimals = 0);

}  // namespace teledx::ecg::detail
