// Ventricular-beat typing and false-AF scoring for ecg_qrs_eval's `beats` mode (issue 6).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

/// Scores analyze()'s beat types against the MIT-BIH .atr labels, in 10-s windows and on whole records; prints one
/// line per record and a total per mode. Returns 0, or 2 when there are no records or a record or its
/// annotations cannot be read.
int run_beats(const std::filesystem::path& db, const std::vector<std::string>& records);
