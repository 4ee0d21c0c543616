#pragma once
// Reading poppler's pdfinfo output in tests: its columns are padded with a varying number of spaces.
#include <string>

namespace teledx::test {

/// "Pages:" of `pdfinfo file`; -1 when absent.
int pdf_page_count(const std::string& pdfinfo);
/// "841.89 x 595.276" for page `page` of `pdfinfo -f 1 -l N file`; empty when absent.
std::string pdf_page_size(const std::string& pdfinfo, int page);

}  // namespace teledx::test
