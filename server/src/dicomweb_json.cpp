#include "dicomweb.hpp"

#include "teledx/server/services.hpp"

namespace teledx::server {

dicom::ClinicScope clinic_scope(const RequestContext& ctx) {
  const auto& p = ctx.who();
  if (is_clinic_role(p.user.role)) return std::vector<std::int64_t>{p.institution.id};
  std::vector<std::int64_t> clinics;
  if (is_reader_role(p.user.role) && p.institution.kind == InstitutionKind::ReadingCenter) {
    auto all = ctx.services.consortium->institutions();
    if (!all.ok()) throw HttpError(all.error());
    for (const auto& i : *all)
      if (i.kind == InstitutionKind::Clinic && i.parent_id && i.parent_id == p.institution.parent_id)
        clinics.push_back(i.id);
  }
  return clinics;
}

std::int64_t uploading_clinic(const RequestContext& ctx) {
  const auto& p = ctx.who();
  if (!is_clinic_role(p.user.role) || p.institution.kind != InstitutionKind::Clinic)
    throw HttpError(ErrorCode::Forbidden, "Only clinic staff send exams; sign in with your clinic's account.");
  return p.institution.id;
}

std::string dicomweb_base(const RequestContext& ctx) {
  std::string proto = ctx.req.header("x-forwarded-proto").value_or(ctx.req.tls ? "https" : "http");
  std::string host = ctx.req.header("x-forwarded-host").value_or(ctx.req.header("host").value_or("localhost"));
  // Only the first of a comma-separated proxy chain is the client's view.
  if (auto c = proto.find(','); c != std::string::npos) proto = proto.substr(0, c);
  if (auto c = host.find(','); c != std::string::npos) host = host.substr(0, c);
  return proto + "://" + host + "/dicom-web";
}

void put_attr(nlohmann::json& obj, const char* tag, const char* vr, const std::string& value) {
  nlohmann::json a{{"vr", vr}};
  if (!value.empty()) {
    if (std::string(vr) == "PN")
      a["Value"] = nlohmann::json::array({{{"Alphabetic", value}}});
    else
      a["Value"] = nlohmann::json::array({value});
  }
  obj[tag] = a;
}

namespace {
void put_int(nlohmann::json& obj, const char* tag, const char* vr, std::int64_t v) {
  obj[tag] = {{"vr", vr}, {"Value", nlohmann::json::array({v})}};
}
}  // namespace

nlohmann::json study_json(const dicom::StudyRecord& s, const std::string& base) {
  nlohmann::json o = nlohmann::json::object();
  put_attr(o, "00080020", "DA", s.study_date);
  put_attr(o, "00080030", "TM", s.study_time);
  put_attr(o, "00080050", "SH", s.accession);
  nlohmann::json mods{{"vr", "CS"}};
  if (!s.modalities.empty()) mods["Value"] = s.modalities;
  o["00080061"] = mods;
  put_attr(o, "00080090", "PN", s.referring_physician);
  put_attr(o, "00081030", "LO", s.study_description);
  put_attr(o, "00081190", "UR", base + "/studies/" + s.study_uid);
  put_attr(o, "00100010", "PN", s.patient_name);
  put_attr(o, "00100020", "LO", s.patient_id);
  put_attr(o, "00100030", "DA", s.patient_birth_date);
  put_attr(o, "00100040", "CS", s.patient_sex);
  put_attr(o, "00101010", "AS", s.patient_age);
  put_attr(o, "0020000D", "UI", s.study_uid);
  put_attr(o, "00200010", "SH", s.study_id);
  put_int(o, "00201206", "IS", s.series_count);
  put_int(o, "00201208", "IS", s.instance_count);
  return o;
}

nlohmann::json series_json(const dicom::SeriesRecord& s, const std::string& base) {
  nlohmann::json o = nlohmann::json::object();
  put_attr(o, "00080060", "CS", s.modality);
  put_attr(o, "0008103E", "LO", s.series_description);
  put_attr(o, "00081190", "UR", base + "/studies/" + s.study_uid + "/series/" + s.series_uid);
  put_attr(o, "00180015", "CS", s.body_part);
  put_attr(o, "0020000D", "UI", s.study_uid);
  put_attr(o, "0020000E", "UI", s.series_uid);
  if (s.series_number) put_int(o, "00200011", "IS", s.series_number);
  put_int(o, "00201209", "IS", s.instance_count);
  return o;
}

nlohmann::json instance_json(const dicom::InstanceMeta& m, const std::string& base) {
  nlohmann::json o = nlohmann::json::object();
  put_attr(o, "00080016", "UI", m.sop_class_uid);
  put_attr(o, "00080018", "UI", m.sop_uid);
  put_attr(o, "00080060", "CS", m.modality);
  put_attr(o, "00081190", "UR",
           base + "/studies/" + m.study_uid + "/series/" + m.series_uid + "/instances/" + m.sop_uid);
  put_attr(o, "00083002", "UI", m.transfer_syntax);
  put_attr(o, "0020000D", "UI", m.study_uid);
  put_attr(o, "0020000E", "UI", m.series_uid);
  if (m.instance_number) put_int(o, "00200013", "IS", m.instance_number);
  if (m.rows) put_int(o, "00280010", "US", m.rows);
  if (m.columns) put_int(o, "00280011", "US", m.columns);
  if (m.rows) put_int(o, "00280008", "IS", m.number_of_frames);
  return o;
}

}  // namespace teledx::server
