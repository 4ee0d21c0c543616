#include "support/pdf_info.hpp"

#include <regex>

namespace teledx::test {

int pdf_page_count(const std::string& info) {
  std::smatch m;
  return std::regex_search(info, m, std::regex(R"(Pages:\s+(\d+))")) ? std::stoi(m[1]) : -1;
}

std::string pdf_page_size(const std::string& info, int page) {
  std::smatch m;
  const std::regex size("Page\\s+" + std::to_string(page) + R"( size:\s+([0-9.]+ x [0-9.]+) pts)");
  return std::regex_search(info, m, size) ? m[1].str() : std::string();
}

}  // namespace teledx::test
