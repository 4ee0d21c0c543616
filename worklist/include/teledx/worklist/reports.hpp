#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "teledx/worklist/task_store.hpp"

namespace teledx::worklist {

struct TemplateField {
  std::string key, label, unit;
};

/// A report template per modality and body part (empty = any): structured fields and default text.
struct ReportTemplate {
  std::int64_t id = 0;
  std::string name;
  TaskKind kind = TaskKind::Imaging;
  std::string modality, body_part;
  std::vector<TemplateField> fields;
  std::string findings, impression;
};

struct ReportContent {
  std::string findings, impression;
  std::map<std::string, std::string> fields;  // structured values, e.g. {"heart_rate": "72"}
  std::optional<std::int64_t> template_id;
};

/// The autosaved, still editable report; `version` increases with every save.
struct ReportDraft {
  std::int64_t task_id = 0;
  std::int64_t version = 0;
  ReportContent content;
  std::int64_t author_id = 0;
  std::string author_name;
  std::int64_t updated_ms = 0;
};

enum class VersionKind { Original, Addendum };

/// A signed version: never changed once written. Version 1 is the signed report, later ones addenda.
struct ReportVersion {
  std::int64_t task_id = 0;
  std::int64_t version = 0;
  VersionKind kind = VersionKind::Original;
  ReportContent content;  // Original only
  std::string addendum;   // Addendum only
  std::int64_t author_id = 0;
  std::string author_name;
  std::optional<std::int64_t> approver_id;  // the senior who approved a junior's report
  std::string approver_name;
  std::int64_t signed_ms = 0;
  std::string verification_code;  // random, printed on the report, e.g. "7F3A-09C1-B2D4"
  std::string body;               // the exact stored text
  std::string sha256;             // of body
};

/// Report writing, signing (one or two levels), addenda, critical values and quality grades.
/// Every operation checks the actor against the task (see decide()) and moves the task in the same transaction.
class Reports {
 public:
  explicit Reports(TaskStore& tasks) : tasks_(tasks) {}

  /// Templates of a kind, the ones matching modality/body part first; all when kind is unset.
  Result<std::vector<ReportTemplate>> templates(std::optional<TaskKind> kind = std::nullopt,
                                                const std::string& modality = {},
                                                const std::string& body_part = {}) const;
  /// BadRequest for an empty name or more than 40 fields.
  Result<ReportTemplate> add_template(const ReportTemplate& t);

  Result<std::optional<ReportDraft>> draft(std::int64_t task_id) const;
  /// Autosave by the task's reader (or the reviewing senior while pending review). `base_version` is the draft
  /// version the editor loaded (0 for none): Conflict when someone saved since. A claimed task moves to in_report;
  /// the lease is renewed.
  Result<ReportDraft> save_draft(std::int64_t task_id, std::int64_t base_version, const ReportContent& content,
                                 const Actor& actor);
  /// Signs the draft: version 1, immutable, with a verification code. BadRequest when the draft is empty.
  Result<ReportVersion> sign(std::int64_t task_id, const Actor& actor);
  Result<Task> submit_for_review(std::int64_t task_id, const Actor& junior);
  /// The senior approves the (possibly edited) draft: version 1 names the junior author and the approver.
  Result<ReportVersion> approve(std::int64_t task_id, const Actor& senior);
  /// Back to the junior with a comment (required).
  Result<Task> return_for_revision(std::int64_t task_id, const Actor& senior, const std::string& comment);
  /// A later version after signing; earlier versions stay byte-identical. BadRequest for empty text.
  Result<ReportVersion> add_addendum(std::int64_t task_id, const std::string& text, const Actor& reader);
  /// Oldest first.
  Result<std::vector<ReportVersion>> versions(std::int64_t task_id) const;
  std::optional<ReportVersion> by_verification_code(std::string_view code) const;

  /// A reader of the center flags a critical value; the escalation clock starts. Conflict when already flagged.
  Result<Task> mark_critical(std::int64_t task_id, const std::string& category, const std::string& note,
                             const Actor& reader);
  /// The clinic confirms, giving the name of the person who took the result (read-back).
  Result<Task> acknowledge_critical(std::int64_t task_id, const std::string& readback_name, const Actor& clinic_user);
  /// The reader grades the exam's technical quality ("A"/"B"/"C"; "C" needs a reason from quality_reasons()).
  Result<Task> grade_quality(std::int64_t task_id, const QualityGrade& grade, const Actor& reader);

  static const std::vector<std::string>& critical_categories();
  static const std::vector<std::string>& quality_reasons();

 private:
  TaskStore& tasks_;
};

}  // namespace teledx::worklist
