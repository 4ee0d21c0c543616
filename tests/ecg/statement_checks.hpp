#pragma once
// Test helper: whether an analysis' statement list holds a code.
#include <string>
#include <vector>

#include "teledx/ecg/analysis.hpp"

namespace teledx::ecg::test {

inline bool has(const std::vector<Statement>& v, const std::string& code) {
  for (const auto& s : v)
    if (s.code == code) return true;
  return false;
}

}  // namespace teledx::ecg::test
