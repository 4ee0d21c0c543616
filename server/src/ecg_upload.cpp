// Non-DICOM ECG uploads -> DICOM ECG waveform instances. Why convert instead of storing the original as its
// own kind of object: the instance store, study completion, routing to the ECG center, the machine analysis,
// WADO and `teledx check` all work on DICOM instances; one converted instance per ECG keeps every one of those
// paths unchanged. The original file is not lost: it travels byte for byte inside the instance (private
// sequence, see ecg/dicom_writer.hpp), in the same blob and the same index transaction.
#include "ecg_upload.hpp"

#include <cctype>
#include <set>

#include "teledx/core/log.hpp"
#include "teledx/ecg/readers.hpp"

namespace teledx::server {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string base_name(const std::string& path) { return path.substr(path.find_last_of("/\\") + 1); }
std::string extension(const std::string& name) {
  auto b = base_name(name);
  auto dot = b.find_last_of('.');
  return dot == std::string::npos ? std::string() : lower(b.substr(dot));
}
std::string stem(const std::string& name) {
  auto b = base_name(name);
  return b.substr(0, b.find_last_of('.'));
}

nlohmann::json failed(const std::vector<std::string>& names, const std::string& message,
                      const std::string& format = {}) {
  std::string joined;
  for (const auto& n : names) joined += (joined.empty() ? "" : " + ") + n;
  nlohmann::json r{{"file", joined},
                   {"status", "failed"},
                   {"error", {{"code", "bad_request"}, {"message", message}}}};
  if (!format.empty()) r["format"] = format;
  return r;
}

/// Signal file names a WFDB header refers to (second field... first token of each signal line).
std::set<std::string> wfdb_signal_files(std::string_view header) {
  std::set<std::string> out;
  bool first = true;
  std::size_t i = 0;
  while (i < header.size()) {
    auto j = header.find('\n', i);
    std::string_view line = header.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
    i = j == std::string_view::npos ? header.size() : j + 1;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (first) {
      first = false;  // the record line
      continue;
    }
    out.insert(std::string(line.substr(0, line.find_first_of(" \t"))));
  }
  return out;
}

/// One ECG's worth of files: read, merge the patient, write the DICOM instance.
ConvertedEcg convert_one(Services& s, EcgUploadSession& session, const std::vector<UploadedFile>& files,
                         const UploadedFile* header) {
  ConvertedEcg out;
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(f.name);
  Result<ecg::Waveform> wave = make_error(ErrorCode::BadRequest, "nothing to read");
  if (header) {
    const UploadedFile* dat = nullptr;
    for (const auto& f : files)
      if (&f != header) dat = &f;
    if (!dat) {
      out.failure = failed(names, header->name + ": a WFDB header needs its signal file; upload the record's .hea "
                                                   "and .dat together (in one zip or one form).", "wfdb");
      return out;
    }
    wave = ecg::read_wfdb(std::string_view(reinterpret_cast<const char*>(header->bytes.data()), header->bytes.size()),
                          dat->bytes);
  } else {
    wave = ecg::read_ecg_bytes(files.front().bytes, files.front().name);
  }
  const std::string format =
      header ? "wfdb" : std::string(ecg::format_name(ecg::detect_format(files.front().bytes, files.front().name)));
  if (!wave.ok()) {
    std::string what = format == "unknown" ? "" : " (" + format + ")";
    out.failure = failed(names, names.front() + what + " is not a readable ECG: " + wave.error().message + ".", format);
    return out;
  }
  // Patient: each field from the file where it has one, else from the upload session's form.
  ecg::DicomEcgHeader h;
  const auto& fp = wave->patient;
  const auto& sp = session.patient;
  bool from_file = false, from_form = false;
  auto pick = [&](const std::string& file_value, const std::string& form_value) {
    from_file |= !file_value.empty();
    from_form |= file_value.empty() && !form_value.empty();
    return file_value.empty() ? form_value : file_value;
  };
  h.patient = {pick(fp.name, sp.name), pick(fp.id, sp.id), pick(fp.sex, sp.sex), pick(fp.birth_date, sp.birth_date)};
  h.patient.age_years = fp.age_years;
  h.patient.age_days = fp.age_days;
  if (h.patient.name.empty() && h.patient.id.empty()) {
    out.failure = failed(names, names.front() + " (" + format + ") names no patient, and the upload gave none: give "
                                "the patient's name or ID with the exam request (the upload page's \"Patient\" fields; "
                                "API: field \"patient\" of POST /api/uploads).",
                         format);
    return out;
  }
  h.study_uid = session.study_uid;
  h.source_name = names.front();
  if (auto inst = s.consortium->institution(session.clinic_id); inst.ok()) h.institution_name = inst->name;
  std::vector<ecg::SourceFile> originals;
  for (const auto& f : files) originals.push_back({base_name(f.name), f.bytes});
  auto temp = s.instances->new_temp_path();
  auto written = ecg::write_dicom_ecg(*wave, h, originals, temp);
  if (!written.ok()) {
    std::error_code ec;
    std::filesystem::remove(temp, ec);
    if (written.error().code != ErrorCode::BadRequest)
      log::error("upload", "ECG conversion failed: " + written.error().message + " " + written.error().detail);
    out.failure = failed(names, names.front() + " (" + format + ") cannot be stored: " + written.error().message + ".",
                         format);
    return out;
  }
  if (session.study_uid.empty()) {
    session.study_uid = written->study_uid;
    if (auto r = s.db->exec("INSERT INTO ecg_upload_sessions (upload_id, ecg_study_uid) VALUES (?, ?) "
                            "ON CONFLICT (upload_id) DO UPDATE SET ecg_study_uid = excluded.ecg_study_uid",
                            {session.id, session.study_uid});
        !r.ok())
      log::warn("upload", "session " + session.id + ": ECG study not recorded: " + r.error().message);
  }
  const std::string from = from_file && from_form ? "file+form" : from_file ? "file" : "form";
  out.ok = true;
  out.dicom = temp;
  out.info = {{"converted_from", format},
              {"source_files", names},
              {"leads", written->channels},
              {"duration_s", wave->duration_s()},
              {"patient_from", from}};
  return out;
}

}  // namespace

std::vector<db::Migration> ecg_upload_migrations() {
  // Its own module (not a column of "uploads"): the upload API's schema evolves separately.
  return {{1, "patient named by an upload session's form; the session's ECG study",
           "CREATE TABLE ecg_upload_sessions (upload_id TEXT PRIMARY KEY REFERENCES uploads (id), "
           "patient_name TEXT NOT NULL DEFAULT '', patient_id TEXT NOT NULL DEFAULT '', "
           "patient_sex TEXT NOT NULL DEFAULT '', patient_birth_date TEXT NOT NULL DEFAULT '', "
           "ecg_study_uid TEXT NOT NULL DEFAULT '')"}};
}

Result<void> save_ecg_session_patient(db::Txn& txn, const std::string& upload_id, const ecg::PatientInfo& p) {
  auto r = txn.exec("INSERT INTO ecg_upload_sessions (upload_id, patient_name, patient_id, patient_sex, "
                    "patient_birth_date) VALUES (?, ?, ?, ?, ?)",
                    {upload_id, p.name, p.id, p.sex, p.birth_date});
  if (!r.ok()) return r.error();
  return ok();
}

EcgUploadSession load_ecg_session(Services& s, const std::string& upload_id, std::int64_t clinic_id) {
  EcgUploadSession out{upload_id, clinic_id, {}, {}};
  auto rows = s.db->query("SELECT patient_name, patient_id, patient_sex, patient_birth_date, ecg_study_uid "
                          "FROM ecg_upload_sessions WHERE upload_id = ?",
                          {upload_id});
  if (rows.ok() && !rows->empty()) {
    const auto& r = rows->front();
    out.patient = {r.text(0), r.text(1), r.text(2), r.text(3)};
    out.study_uid = r.text(4);
  }
  return out;
}

bool looks_like_ecg(std::span<const std::uint8_t> head, std::string_view name) {
  const auto f = ecg::detect_format(head, name);
  return f != ecg::Format::Unknown && f != ecg::Format::Dicom;
}

bool is_dicom_part10(std::span<const std::uint8_t> b) {
  return b.size() >= 132 && b[128] == 'D' && b[129] == 'I' && b[130] == 'C' && b[131] == 'M';
}

std::vector<ConvertedEcg> convert_ecg_files(Services& s, EcgUploadSession& session, std::vector<UploadedFile> files) {
  std::vector<ConvertedEcg> out;
  // WFDB records first: each header claims the signal files it names (matched by base name).
  std::set<std::size_t> used;
  std::set<std::string> records;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (extension(files[i].name) != ".hea") continue;
    used.insert(i);
    records.insert(stem(files[i].name));
    std::string_view text(reinterpret_cast<const char*>(files[i].bytes.data()), files[i].bytes.size());
    std::vector<UploadedFile> group{files[i]};
    for (const auto& sig : wfdb_signal_files(text))
      for (std::size_t j = 0; j < files.size(); ++j)
        if (j != i && !used.count(j) && base_name(files[j].name) == sig) {
          group.push_back(files[j]);
          used.insert(j);
        }
    if (group.size() > 2) {
      out.push_back({false, {}, {}, failed({files[i].name}, files[i].name + ": WFDB records with more than one signal "
                                                                               "file are not accepted.", "wfdb")});
      continue;
    }
    out.push_back(convert_one(s, session, group, &group.front()));
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (used.count(i)) continue;
    const auto& f = files[i];
    // Annotation and viewer files of an uploaded WFDB record (.atr, .q1c, .xws, per-lead LUDB marks): not ECGs.
    if (records.count(stem(f.name)) && extension(f.name) != ".dat") {
      out.push_back({false, {}, {}, {{"file", f.name}, {"status", "skipped"}, {"reason", "WFDB annotation or side file"}}});
      continue;
    }
    if (extension(f.name) == ".dat") {
      out.push_back({false, {}, {}, failed({f.name}, f.name + " is a WFDB signal file without its .hea header; upload "
                                                              "both together.", "wfdb")});
      continue;
    }
    if (f.bytes.size() > kMaxEcgFileBytes) {
      out.push_back({false, {}, {}, failed({f.name}, f.name + " is larger than 64 MB; no ECG file is that large.")});
      continue;
    }
    out.push_back(convert_one(s, session, {f}, nullptr));
  }
  return out;
}

}  // namespace teledx::server
