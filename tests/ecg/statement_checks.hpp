#pragma once
// Test helpers: whether an analysis' statement list holds a code, and the statement of that code.
#include <string>
#include <vector>

#include "teledx/ecg/analysis.hpp"

namespace teledx::ecg::test {

inline bool has(const std::vector<Statement>& v, const std::string& code) {
  for (const auto& s : v)
    if (s.code == code) return true;
  return false;
}

/// Every statement code of an analysis (rhythm, quality, critical), for a failing check's message.
inline std::string statement_codes(const Analysis& a) {
  std::string out;
  for (const auto* v : {&a.rhythm, &a.quality, &a.critical})
    for (const auto& s : *v) out += s.code + " ";
  return out;
}

/// The first statement of that code in the list; null when there is none.
inline const Statement* find_statement(const std::vector<Statement>& v, const std::string& code) {
  for (const auto& s : v)
    if (s.code == code) return &s;
  return nullptr;
}

}  // namespace teledx::ecg::test
