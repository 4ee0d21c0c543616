#pragma once
// Shared by the worklist route groups: JSON views of tasks and reports, the caller as a worklist actor, and
// the institution check that turns someone else's task into a 404.
#include <string>
#include <vector>

#include "routes.hpp"
#include "teledx/server/services.hpp"
#include "teledx/worklist/reports.hpp"
#include "teledx/worklist/stats.hpp"
#include "teledx/worklist/task_store.hpp"

namespace teledx::server::wl {


inline const std::vector<Role> kReaders{Role::ImagingReader, Role::EcgReader, Role::SeniorReader, Role::CenterLead};
inline const std::vector<Role> kClinic{Role::ClinicTech, Role::ClinicDoctor};
inline const std::vector<Role> kLead{Role::CenterLead};
inline const std::vector<Role> kReadersAndClinic{Role::ImagingReader, Role::EcgReader,  Role::SeniorReader,
                                                 Role::CenterLead,    Role::ClinicTech, Role::ClinicDoctor};

inline worklist::Actor actor(const RequestContext& ctx) { return worklist::Actor::from(ctx.who(), ctx.req.remote); }

/// The task, if the caller may see it; NotFound (same sentence as for a missing task) otherwise.
worklist::Task visible_task(RequestContext& ctx, std::int64_t id);
/// The {id} path parameter as a reading center the caller belongs to (admins: any, when allow_admin).
std::int64_t own_center(RequestContext& ctx, bool allow_admin);

/// Records a view or download of a task in the audit log (changes of a task are audited by the worklist module
/// in the transaction that makes them).
void audit(RequestContext& ctx, const std::string& action, std::int64_t task_id, const std::string& detail = {});

/// Body helpers: a string field (optional or required) and an optional integer.
std::string body_string(const nlohmann::json& body, const char* field, bool required);
std::optional<std::int64_t> query_int(const RequestContext& ctx, const char* name);

nlohmann::json to_json(const worklist::Task& t, std::int64_t now_ms);
nlohmann::json to_json(const worklist::TaskEvent& e);
nlohmann::json to_json(const worklist::ReportVersion& v);
nlohmann::json to_json(const worklist::ReportDraft& d);
nlohmann::json to_json(const worklist::ReportTemplate& t);
nlohmann::json to_json(const worklist::TemplateField& f);
nlohmann::json to_json(const worklist::TurnaroundRow& r);
/// Labels and units of the structured fields of the template the signed report was written with (empty when it
/// names none or the template is gone): the printed and the on-screen report show "心率 (bpm)", not "heart_rate",
/// and clinics cannot read the templates themselves.
std::vector<worklist::TemplateField> report_field_labels(const worklist::Task& t,
                                                         const std::vector<worklist::ReportVersion>& versions,
                                                         worklist::Reports& reports);
/// The task's ECG machine flags with the reader's decision on each (routes_ecg_flags.cpp).
nlohmann::json ecg_flags_json(RequestContext& ctx, const worklist::Task& t);

}  // namespace teledx::server::wl

namespace teledx::server {
void add_worklist_admin_routes(Router& router);  // center settings, rota, reader profiles, statistics
void add_report_routes(Router& router);          // templates, drafts, signing, addenda, critical values, quality
void add_report_pdf_routes(Router& router);      // the signed report as PDF (routes_report_pdf.cpp)
void add_critical_register_routes(Router& router);  // critical-value register (routes_critical_register.cpp)
void add_prior_routes(Router& router);           // prior exams of the same patient (routes_priors.cpp)
void add_ecg_flag_routes(Router& router);        // confirm/dismiss ECG machine flags, agreement (routes_ecg_flags.cpp)
}  // namespace teledx::server
