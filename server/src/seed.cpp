#include "seed.hpp"

#include <sstream>

namespace teledx::server {
namespace {

constexpr const char* kDemoPassword = "teledx-demo";

Result<Institution> ensure_institution(Consortium& c, const NewInstitution& in) {
  if (auto existing = c.institution_by_code(in.code)) return *existing;
  return c.create_institution(in);
}

Result<User> ensure_user(Consortium& c, const std::string& username, const std::string& display, Role role,
                         std::int64_t institution) {
  if (auto existing = c.user_by_name(username)) return *existing;
  return c.create_user({username, display, kDemoPassword, role, institution});
}

}  // namespace

Result<std::string> seed_demo(Services& s) {
  auto& c = *s.consortium;
  auto hospital = ensure_institution(c, {"COUNTY", "县人民医院 County People's Hospital", InstitutionKind::Hospital,
                                         CenterType::None, std::nullopt});
  if (!hospital.ok()) return hospital.error();
  auto imaging = ensure_institution(c, {"IMG-CENTER", "影像诊断中心 Imaging Reading Center",
                                        InstitutionKind::ReadingCenter, CenterType::Imaging, hospital->id});
  if (!imaging.ok()) return imaging.error();
  auto ecg = ensure_institution(c, {"ECG-CENTER", "心电诊断中心 ECG Reading Center", InstitutionKind::ReadingCenter,
                                    CenterType::Ecg, hospital->id});
  if (!ecg.ok()) return ecg.error();

  struct Row { std::string user, role, institution; };
  std::vector<Row> table;
  auto add = [&](const std::string& name, const std::string& display, Role role, const Institution& inst) -> Result<void> {
    auto u = ensure_user(c, name, display, role, inst.id);
    if (!u.ok()) return u.error();
    table.push_back({name, std::string(to_string(role)), inst.code});
    return {};
  };
  TELEDX_TRY(add("admin", "系统管理员 Administrator", Role::Admin, *hospital));
  TELEDX_TRY(add("img-lead", "影像中心主任 Imaging lead", Role::CenterLead, *imaging));
  TELEDX_TRY(add("img-senior", "影像上级医师 Imaging senior", Role::SeniorReader, *imaging));
  TELEDX_TRY(add("img-reader1", "影像医师一 Imaging reader 1", Role::ImagingReader, *imaging));
  TELEDX_TRY(add("img-reader2", "影像医师二 Imaging reader 2", Role::ImagingReader, *imaging));
  TELEDX_TRY(add("ecg-lead", "心电中心主任 ECG lead", Role::CenterLead, *ecg));
  TELEDX_TRY(add("ecg-senior", "心电上级医师 ECG senior", Role::SeniorReader, *ecg));
  TELEDX_TRY(add("ecg-reader1", "心电医师一 ECG reader 1", Role::EcgReader, *ecg));
  TELEDX_TRY(add("ecg-reader2", "心电医师二 ECG reader 2", Role::EcgReader, *ecg));
  const char* town_names[] = {"城关镇卫生院 Chengguan", "河口乡卫生院 Hekou", "青山镇卫生院 Qingshan"};
  for (int n = 1; n <= 3; ++n) {
    std::string code = "CLINIC" + std::to_string(n);
    auto clinic = ensure_institution(c, {code, town_names[n - 1], InstitutionKind::Clinic, CenterType::None, hospital->id});
    if (!clinic.ok()) return clinic.error();
    if (!c.clinic_by_ae_title(code)) TELEDX_TRY(c.add_ae_title(clinic->id, code));
    TELEDX_TRY(add("clinic" + std::to_string(n) + "-tech", "技师 Technician " + std::to_string(n), Role::ClinicTech, *clinic));
    TELEDX_TRY(add("clinic" + std::to_string(n) + "-doctor", "医生 Doctor " + std::to_string(n), Role::ClinicDoctor, *clinic));
  }
  (void)s.audit->append({"system", "seed_demo", "consortium", "local", "demo consortium ensured"});

  std::ostringstream o;
  o << "Demo consortium ready. Every demo user's password is '" << kDemoPassword << "'.\n";
  o << "  username         role             institution\n";
  for (const auto& r : table) {
    o << "  " << r.user << std::string(17 - std::min<std::size_t>(16, r.user.size()), ' ') << r.role
      << std::string(17 - std::min<std::size_t>(16, r.role.size()), ' ') << r.institution << "\n";
  }
  o << "  DICOM: server AE title " << s.config.ae_title << ", clinic AE titles CLINIC1, CLINIC2, CLINIC3\n";
  return o.str();
}

}  // namespace teledx::server
