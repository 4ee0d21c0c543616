#include "teledx/core/age.hpp"

namespace teledx {

std::optional<int> age_on(const std::string& birth, int year, int month, int day) {
  if (birth.size() != 8 || birth.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const int by = std::stoi(birth.substr(0, 4)), bm = std::stoi(birth.substr(4, 2)), bd = std::stoi(birth.substr(6, 2));
  const int years = year - by - ((month < bm || (month == bm && day < bd)) ? 1 : 0);
  if (years < 0 || years >= 150) return std::nullopt;
  return years;
}

}  // namespace teledx
