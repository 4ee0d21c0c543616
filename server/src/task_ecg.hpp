#pragma once
// An ECG task's stored waveform, made ready for printing: shared by the ECG page (ecg.pdf) and the signed report,
// which prints the same page after its text.
#include <string>
#include <vector>

#include "teledx/core/result.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/waveform.hpp"
#include "teledx/server/services.hpp"
#include "teledx/worklist/task.hpp"

namespace teledx::server {

struct TaskEcg {
  ecg::Waveform wave;
  ecg::Analysis analysis;
  std::vector<std::string> title_lines;  // patient, then clinic, exam and receipt time, as printed above the ECG
};

/// The first readable ECG waveform of the task's exam with its analysis (the one stored when the exam arrived, if it
/// was made of this waveform; else a new one) and its printed title. NotFound naming why when
/// the exam holds none (no ECG instance, or the file cannot be read).
Result<TaskEcg> load_task_ecg(Services& services, const worklist::Task& task);

}  // namespace teledx::server
