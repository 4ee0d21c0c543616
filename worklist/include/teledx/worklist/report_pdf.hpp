#pragma once
// The signed report as an A4 PDF with Chinese text (cairo + pango, font "Noto Sans CJK SC").
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "teledx/core/result.hpp"
#include "teledx/worklist/reports.hpp"
#include "teledx/worklist/task.hpp"

namespace teledx::worklist {

/// A page printed after the report's text, such as the ECG tracing of an ECG exam, drawn by a module the worklist
/// does not know. `draw` paints it on a cairo context (a `cairo_t*`, passed as void* so this header needs no cairo)
/// whose user units are millimetres, origin at its top left; the report places it on an A4 page (landscape when
/// wider than high), centred and shrunk to fit the margins, under a line tying it to the report.
struct AppendedPage {
  double width_mm = 0, height_mm = 0;
  std::function<void(void* cairo_context)> draw;
};

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
  std::vector<AppendedPage> appended_pages;  // printed after the report, one page each
};

/// The PDF bytes. BadRequest when there is no signed version (version 1 must be the original); Internal when
/// cairo fails.
Result<std::string> render_report_pdf(const ReportPdfInput& in);

}  // namespace teledx::worklist
