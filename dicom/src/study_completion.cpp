// Exam requests and study completion: the hand-over from ingest to the reading worklist.
#include "store_internal.hpp"

namespace teledx::dicom {
namespace {

constexpr std::string_view kCompletionColumns =
    "study_uid, clinic_id, has_images, has_ecg, request_reason, request_history, request_priority, "
    "completion_count, instance_count";

// Marks one pending study complete at now_ms and runs the hook, all in the caller's transaction.
Result<CompletedStudy> complete_row(db::Txn& txn, const db::Row& r, std::int64_t now_ms,
                                    const InstanceStore::CompletionHook& hook) {
  CompletedStudy c;
  c.study_uid = r.text(0);
  c.clinic_id = r.integer(1);
  c.has_images = r.integer(2) != 0;
  c.has_ecg = r.integer(3) != 0;
  c.request.reason = r.text(4);
  c.request.history = r.text(5);
  c.request.priority = exam_priority_from(r.text(6)).value_or(ExamPriority::Routine);
  c.updated = r.integer(7) > 0;
  c.completed_ms = now_ms;
  c.instance_count = r.integer(8);
  // "pending = 1" in the WHERE makes a concurrent completion of the same study a no-op.
  auto changed = txn.exec(
      "UPDATE dicom_studies SET pending = 0, completed_ms = ?, completion_count = completion_count + 1 "
      "WHERE study_uid = ? AND pending = 1",
      {now_ms, c.study_uid});
  TELEDX_TRY(changed);
  if (*changed != 1) {
    return make_error(ErrorCode::Conflict, "Study " + c.study_uid + " was completed concurrently.");
  }
  if (hook) TELEDX_TRY(hook(txn, c));
  return c;
}

}  // namespace

Result<void> InstanceStore::set_exam_request(std::string_view study_uid, std::int64_t clinic_id,
                                             const ExamRequest& request) {
  if (study_uid.empty() || study_uid.size() > 64) {
    return make_error(ErrorCode::BadRequest, "The study UID of the exam request is missing or too long.");
  }
  if (request.reason.size() > 4000 || request.history.size() > 16000) {
    return make_error(ErrorCode::BadRequest, "The exam request is too long (reason 4000, history 16000 bytes at most).");
  }
  const std::string uid(study_uid);
  return impl_->db.write([&](db::Txn& txn) -> Result<void> {
    auto owner = txn.query("SELECT clinic_id FROM dicom_studies WHERE study_uid = ?", {uid});
    TELEDX_TRY(owner);
    if (!owner->empty() && owner->front().integer(0) != clinic_id) return detail::not_found("Study", uid);
    if (owner->empty()) {
      // The request may come before the first instance (an upload sends it first): hold it in a row without
      // instances, which listings ignore until an instance arrives.
      TELEDX_TRY(txn.exec("INSERT INTO dicom_studies (study_uid, clinic_id) VALUES (?, ?)", {uid, clinic_id}));
    }
    TELEDX_TRY(txn.exec(
        "UPDATE dicom_studies SET request_reason = ?, request_history = ?, request_priority = ? WHERE study_uid = ?",
        {request.reason, request.history, std::string(to_string(request.priority)), uid}));
    return ok();
  });
}

Result<std::vector<CompletedStudy>> InstanceStore::complete_stable_studies(std::int64_t now_ms,
                                                                           std::int64_t stable_ms,
                                                                           const CompletionHook& on_complete) {
  std::vector<CompletedStudy> out;
  TELEDX_TRY(impl_->db.write([&](db::Txn& txn) -> Result<void> {
    out.clear();
    auto rows = txn.query("SELECT " + std::string(kCompletionColumns) +
                              " FROM dicom_studies WHERE pending = 1 AND last_received_ms <= ? ORDER BY "
                              "last_received_ms, study_uid",
                          {now_ms - stable_ms});
    TELEDX_TRY(rows);
    for (const auto& r : *rows) {
      auto c = complete_row(txn, r, now_ms, on_complete);
      TELEDX_TRY(c);
      out.push_back(std::move(*c));
    }
    return ok();
  }));
  return out;
}

Result<std::optional<CompletedStudy>> InstanceStore::mark_study_done(std::string_view study_uid,
                                                                     std::int64_t clinic_id,
                                                                     const CompletionHook& on_complete) {
  std::optional<CompletedStudy> out;
  const std::string uid(study_uid);
  const std::int64_t now_ms = impl_->clock.now_ms();
  TELEDX_TRY(impl_->db.write([&](db::Txn& txn) -> Result<void> {
    out.reset();
    auto rows = txn.query("SELECT " + std::string(kCompletionColumns) +
                              ", pending FROM dicom_studies WHERE study_uid = ? AND clinic_id = ? "
                              "AND instance_count > 0",
                          {uid, clinic_id});
    TELEDX_TRY(rows);
    if (rows->empty()) return detail::not_found("Study", uid);
    if (rows->front().integer(9) == 0) return ok();  // nothing arrived since the last completion
    auto c = complete_row(txn, rows->front(), now_ms, on_complete);
    TELEDX_TRY(c);
    out = std::move(*c);
    return ok();
  }));
  return out;
}

}  // namespace teledx::dicom
