#pragma once
// The signed report as an A4 PDF with Chinese text (cairo + pango, font "Noto Sans CJK SC").
#include <cstdint>
#include <string>
#include <vector>

#include "teledx/core/result.hpp"
#include "teledx/worklist/reports.hpp"
#include "teledx/worklist/task.hpp"

namespace teledx::worklist {

/// Everything printed on the report. `versions` are the signed versions to print, oldest first: version 1 (the
/// original) and any addenda; the last one's verification code is printed prominently.
struct ReportPdfInput {
  std::string clinic_name;  // the clinic that sent the exam
  std::string center_name;  // the reading center that reported it
  Task task;
  std::vector<ReportVersion> versions;
  std::vector<TemplateField> field_labels;  // labels/units for structured fields; unknown keys print as-is
  std::int64_t printed_ms = 0;              // 0 = not printed
  int utc_offset_minutes = 480;             // local time zone of the printed times
};

/// The PDF bytes. BadRequest when there is no signed version (version 1 must be the original); Internal when
/// cairo fails.
Result<std::string> render_report_pdf(const ReportPdfInput& in);

}  // namespace teledx::worklist
