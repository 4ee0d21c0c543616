// The evaluations of `teledx-ecg eval` (issue 6): each runs the real pipeline over a WFDB database and prints its
// scores. Returns 0, or 2 when the database cannot be read (the message names the record and what is wrong).
#pragma once

#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg::eval {

/// The records of a database directory: the arguments when given, else DIR/RECORDS.dev (a development split) or,
/// when more of its records are present, DIR/RECORDS. Listed records whose header is not in `data_dir` (default
/// DIR) are left out, and how many were is said on stderr: a split keeps the full list of its database.
std::vector<std::string> records_in(const std::filesystem::path& dir, std::vector<std::string> given = {},
                                    const std::filesystem::path& data_dir = {});

/// LUDB keeps its records under data/ in PhysioNet's layout; a flat copy has them beside RECORDS.
std::filesystem::path ludb_records_dir(const std::filesystem::path& ludb);

/// `each(record, ecg)` for every 12-lead LUDB record under DATA/ludb, in the list's order. Returns 0, or 2 with a
/// message naming `what` (the evaluation) when there are none, or the record when one cannot be read.
int for_each_ludb_ecg(const std::filesystem::path& data, const char* what,
                      const std::function<void(const std::string&, const Waveform&)>& each);

/// The record's whole 10-s windows, each a Waveform of its own (a resting ECG's length), in order.
std::vector<Waveform> ten_second_windows(const Waveform& w);

/// Process CPU time in ms: the machine may be shared, so wall time would measure the neighbours' load.
double cpu_ms();

/// QRS detection scored per ANSI/AAMI EC57 (150 ms, learning period `start_s`): a per-record table, gross and
/// average Se/+P. With `out` set, also writes OUT/<record>.txt (one sample per line) for an outside scorer.
int run_qrs(const std::filesystem::path& db, const std::filesystem::path& out, bool first_lead, double start_s,
            const std::vector<std::string>& records);

/// Ventricular-beat typing against the .atr labels and AF statements against its rhythm annotations (AF found in
/// windows inside AF/flutter episodes, AF stated outside them), in 10-s windows and on whole records.
int run_beats(const std::filesystem::path& db, const std::vector<std::string>& records);

/// Wave boundaries against QTDB (q1c) and LUDB (per-lead marks), whichever of DATA/qtdb and DATA/ludb exist.
int run_delineation(const std::filesystem::path& data);

/// Rhythm statements against LUDB's diagnoses (DATA/ludb), and median-beat intervals against its annotations.
int run_rhythm(const std::filesystem::path& data);

/// Electrode misplacements made in software from LUDB's records (DATA/ludb): how often each is called, and the
/// false calls on the records as recorded and with one lead off.
int run_electrodes(const std::filesystem::path& data);

/// LUDB's records (DATA/ludb) changed in ways that should not change their reading (a calibration pulse, pops near
/// the ends, a lead at its rail, cut or padded ends): per change, the records whose beat count, rhythm statements
/// or critical flags differ from the record as recorded.
int run_robustness(const std::filesystem::path& data);

/// Whether a quality statement tells the technician the tracing is disturbed (noise, a noise burst, an unsteady
/// tracing, a limb tremor, baseline wander, a lead off, a repeat): a critical flag without one is "silent".
bool warns_of_signal(const Analysis& a);
/// The codes of the analysis' critical flags.
std::set<std::string> critical_codes(const Analysis& a);

/// The detector and analyze() under synthetic noise of the MIT-BIH Noise Stress Test's three kinds at SNRs 24 to
/// -6 dB: QRS Se/+P per EC57, and per 10-s window the quality warnings and any critical flag the noise raised.
int run_noise(const std::filesystem::path& db, const std::vector<std::string>& records);

/// Our PR, P, QRS and QT next to the device's own measurements in each ECG file.
int run_measure(const std::vector<std::string>& files);

}  // namespace teledx::ecg::eval
