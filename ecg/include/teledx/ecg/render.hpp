#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "teledx/core/result.hpp"
#include "teledx/ecg/analysis.hpp"
#include "teledx/ecg/waveform.hpp"

namespace teledx::ecg {

/// Paper layouts: 3 rows x 4 columns of 2.5 s plus a 10-s rhythm strip; 6 rows x 2 columns of 5 s.
enum class Layout { ThreeByFourPlusRhythm, SixByTwo };

struct RenderOptions {
  Layout layout = Layout::ThreeByFourPlusRhythm;
  double mm_per_s = 25;      ///< paper speed
  double mm_per_mv = 10;     ///< gain
  double px_per_mm = 6;      ///< PNG resolution (6 px/mm is about 150 dpi)
  Lead rhythm_lead = Lead::II;
  double start_s = 0;        ///< where the page starts in the recording
};

/// Layout and decimated signals for the web viewer: panels (lead, row, column, time span), samples in µV as integers
/// at <= 250 Hz after baseline (and mains) filtering, paper scale, calibration pulse and, when given, measurements.
nlohmann::json render_json(const Waveform& ecg, const RenderOptions& options = {}, const Analysis* analysis = nullptr);

/// The paper page as a PNG image at `px_per_mm` (6 px/mm is about 150 dpi): the page render_pdf prints (millimetre
/// grid, 1 mV x 200 ms calibration pulse per row, lead labels, `title_lines`, measurements, statements in Chinese and
/// as machine text), for systems that file pictures rather than documents. Errors: BadRequest when the ECG has no
/// usable leads or an option is out of range; Internal if encoding fails.
Result<std::vector<std::uint8_t>> render_png(const Waveform& ecg, const RenderOptions& options = {},
                                              const Analysis* analysis = nullptr,
                                              const std::vector<std::string>& title_lines = {});

/// The paper page as a one-page PDF at true size (vector grid and traces, for the printed report), with up to four
/// `title_lines` (patient, clinic, exam; UTF-8, Chinese included) above the ECG header. Errors as render_png.
Result<std::vector<std::uint8_t>> render_pdf(const Waveform& ecg, const RenderOptions& options = {},
                                              const Analysis* analysis = nullptr,
                                              const std::vector<std::string>& title_lines = {});

/// render_pdf's page for a caller that prints it inside its own PDF (the signed report prints the tracing after
/// its text): the page's size in millimetres and a drawer that paints it on a cairo context (a `cairo_t*`, passed as
/// void* so this header needs no cairo) whose user units are millimetres, origin at the page's top left. The drawer
/// holds its own copy of what it draws. Errors as render_pdf.
struct PaperPage {
  double width_mm = 0, height_mm = 0;
  std::function<void(void* cairo_context)> draw;
};
Result<PaperPage> paper_page(const Waveform& ecg, const RenderOptions& options = {}, const Analysis* analysis = nullptr,
                             const std::vector<std::string>& title_lines = {});

}  // namespace teledx::ecg
