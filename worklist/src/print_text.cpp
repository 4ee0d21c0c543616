#include "teledx/worklist/print_text.hpp"

#include "teledx/core/age.hpp"

#include <cctype>
#include <chrono>
#include <ctime>

namespace teledx::worklist {
namespace {

/// The calendar fields of an instant at a fixed offset from UTC (a center's time zone, no daylight saving in China).
std::tm local_tm(std::int64_t ms, int utc_offset_minutes) {
  std::time_t t = static_cast<std::time_t>(ms / 1000 + static_cast<std::int64_t>(utc_offset_minutes) * 60);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

bool has_cjk(const std::string& s) {
  // UTF-8 lead bytes E3..E9 start the CJK blocks (U+3000..U+9FFF) that Chinese names use.
  for (unsigned char c : s)
    if (c >= 0xE3 && c <= 0xE9) return true;
  return false;
}

}  // namespace

std::string person_name_text(const std::string& dicom_name) {
  const auto eq = dicom_name.find('=');
  std::string alpha = dicom_name.substr(0, eq);
  std::string ideo;
  if (eq != std::string::npos) {
    ideo = dicom_name.substr(eq + 1);
    ideo = ideo.substr(0, ideo.find('='));  // the phonetic group, if any, is not printed
  }
  const std::string& pick = ideo.find_first_not_of("^ ") != std::string::npos ? ideo : alpha;
  const std::string sep = has_cjk(pick) ? "" : " ";
  std::string out, part;
  int parts = 0;
  auto flush = [&] {
    // Family, given, middle, prefix, suffix: a Chinese name is family and given only.
    if (!part.empty() && (sep.empty() ? parts < 2 : true)) out += (out.empty() ? "" : sep) + part, ++parts;
    part.clear();
  };
  for (char c : pick) {
    if (c == '^') flush();
    else part += c;
  }
  flush();
  return out;
}

std::string chinese_part(const std::string& bilingual) {
  std::size_t after_last_cjk = std::string::npos;
  for (std::size_t i = 0; i < bilingual.size(); ++i)
    if (const auto c = static_cast<unsigned char>(bilingual[i]); c >= 0xE3 && c <= 0xE9) after_last_cjk = i + 3;
  if (after_last_cjk == std::string::npos) return bilingual;
  for (std::size_t i = after_last_cjk; i + 1 < bilingual.size(); ++i)
    if (bilingual[i] == ' ' && std::isalnum(static_cast<unsigned char>(bilingual[i + 1]))) {
      std::size_t end = i;
      while (end > 0 && bilingual[end - 1] == ' ') --end;
      return bilingual.substr(0, end);
    }
  return bilingual;
}

std::string or_dash(const std::string& v) { return v.empty() ? "—" : v; }

std::string sex_text(const std::string& s) {
  if (s == "M" || s == "m") return "男";
  if (s == "F" || s == "f") return "女";
  if (s == "O" || s == "o") return "其他";
  return s.empty() ? "—" : s;
}

std::string birth_date_text(const std::string& d) {
  if (d.size() == 8 && d.find_first_not_of("0123456789") == std::string::npos)
    return d.substr(0, 4) + "-" + d.substr(4, 2) + "-" + d.substr(6, 2);
  return d;
}

std::string age_text(const std::string& a) {
  if (a.empty()) return "—";
  // A DICOM age is three digits and a unit; longer digit runs are printed as given (and cannot overflow).
  const std::string digits = a.substr(0, a.size() - 1);
  if (a.size() < 2 || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos) return a;
  const std::string n = std::to_string(std::stoi(digits));
  switch (a.back()) {
    case 'Y': return n + "岁";
    case 'M': return n + "个月";
    case 'W': return n + "周";
    case 'D': return n + "天";
    default: return a;
  }
}

std::string age_text(const std::string& dicom_age, const std::string& birth_date, std::int64_t at_ms,
                     int utc_offset_minutes) {
  if (!dicom_age.empty()) return age_text(dicom_age);
  if (at_ms <= 0) return "—";
  const std::tm tm = local_tm(at_ms, utc_offset_minutes);
  const auto years = age_on(birth_date, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  if (!years) return "—";
  if (*years >= 1) return std::to_string(*years) + "岁";
  // An infant's age in months, or days in the first month, as a Chinese report prints it ("0岁" says nothing).
  using namespace std::chrono;
  const year_month_day born{year(std::stoi(birth_date.substr(0, 4))), month(unsigned(std::stoi(birth_date.substr(4, 2)))),
                            day(unsigned(std::stoi(birth_date.substr(6, 2))))};
  const year_month_day seen{year(tm.tm_year + 1900), month(unsigned(tm.tm_mon + 1)), day(unsigned(tm.tm_mday))};
  if (!born.ok()) return "0岁";
  const auto days = (sys_days(seen) - sys_days(born)).count();
  int months = (int(seen.year()) - int(born.year())) * 12 + int(unsigned(seen.month())) - int(unsigned(born.month()));
  if (seen.day() < born.day()) --months;
  return months >= 1 ? std::to_string(months) + "个月" : std::to_string(days) + "天";
}

std::string local_time_text(std::int64_t ms, int utc_offset_minutes) {
  if (ms <= 0) return "—";
  const std::tm tm = local_tm(ms, utc_offset_minutes);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

}  // namespace teledx::worklist
