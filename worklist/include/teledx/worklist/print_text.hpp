#pragma once
// How printed documents (the report PDF, the paper ECG) write patient data and times for a Chinese clinic.
#include <cstdint>
#include <string>

namespace teledx::worklist {

/// A DICOM person name ("WANG^FANG=王^芳") as printed: the ideographic group when present, family and given name
/// joined without a space in Chinese ("王芳") and with one otherwise ("WANG FANG"); empty stays empty.
std::string person_name_text(const std::string& dicom_name);
/// The Chinese half of a bilingual template text, as the web's bilingual() splits it: up to the first blank before a
/// Latin letter or digit after the last Chinese character ("次/分 bpm" -> "次/分", "心率 Heart rate" -> "心率");
/// a text without Chinese is kept whole.
std::string chinese_part(const std::string& bilingual);
/// The value, or "—" where a printed field has none.
std::string or_dash(const std::string& v);
/// M / F / O as 男 / 女 / 其他; empty as "—"; anything else as given.
std::string sex_text(const std::string& s);
/// YYYYMMDD as YYYY-MM-DD; anything else as given.
std::string birth_date_text(const std::string& d);
/// DICOM age strings ("066Y", "003M", "02W", "010D") in Chinese; anything else as given, empty as "—".
std::string age_text(const std::string& a);
/// The patient's age on a printed page: the study's DICOM age when it states one, else whole years from the birth
/// date (YYYYMMDD) to the exam's day at that offset from UTC ("66岁", under a year "0岁"); "—" when neither is usable.
/// The tasks routed from an upload or a modality carry the birth date only, so the page used to print "—".
std::string age_text(const std::string& dicom_age, const std::string& birth_date, std::int64_t at_ms,
                     int utc_offset_minutes);
/// Milliseconds since the epoch as "YYYY-MM-DD HH:MM" at the given offset from UTC; "—" for none (0 or less).
std::string local_time_text(std::int64_t ms, int utc_offset_minutes);

}  // namespace teledx::worklist
