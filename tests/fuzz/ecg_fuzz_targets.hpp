#pragma once
// The ECG module's fuzz targets: what the server does with an uploaded ECG file (read it, store it as DICOM, read
// that back, analyse, draw), driven by arbitrary bytes. Each one aborts, naming the broken promise, when a reader
// accepts a waveform the rest of the pipeline cannot trust. Built into libFuzzer programs by scripts/fuzz.sh (clang,
// ASan, UBSan) and replayed over tests/data/ecg/fuzz by the ordinary ecg tests, so a crash once found stays fixed.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace teledx::ecg::fuzz {

/// The first byte's low 7 bits pick the file name the upload carries (".xml", ".scp", ".dcm", ".csv", ".ECG",
/// none...), the rest is the file: read_ecg_bytes; with the top bit set, also what the server does with an accepted
/// waveform (store it as DICOM, read that back, analyse, draw).
void ecg_file(std::span<const std::uint8_t> input);
/// A WFDB record as two uploaded files: the header text up to the first zero byte, the signal file after it; a
/// header starting with a comment ('#') is also stored, analysed and drawn.
void wfdb_record(std::span<const std::uint8_t> input);
/// A waveform made directly from the bytes (lead count, sample rate and scale from the first three bytes, then
/// 16-bit samples interleaved): analyze() and the viewer's rendering on signals no reader would produce.
void ecg_signal(std::span<const std::uint8_t> input);

/// The targets by name ("ecg_file", "wfdb_record", "ecg_signal"); nullptr for another name.
using Target = void (*)(std::span<const std::uint8_t>);
Target target_named(std::string_view name);

}  // namespace teledx::ecg::fuzz
