// Reader decisions on ECG machine flags and the machine/reader agreement statistic.
#include "teledx/worklist/flag_decisions.hpp"

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "task_rows.hpp"

namespace teledx::worklist {
namespace {

using nlohmann::json;
constexpr std::size_t kMaxComment = 2000;

std::vector<MachineFlag> flags_from_text(const std::string& text) {
  std::vector<MachineFlag> out;
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) return out;
  std::set<std::string> seen;
  // Critical first: those are the ones that raised the task to stat and must be looked at before anything.
  for (const char* category : {"critical", "rhythm"}) {
    if (!j.contains(category) || !j[category].is_array()) continue;
    for (const auto& s : j[category]) {
      if (!s.is_object() || !s.contains("code") || !s["code"].is_string()) continue;
      std::string code = s["code"];
      // A code can appear once per lead (ST elevation); the reader decides on the finding, not on each lead.
      if (code.empty() || !seen.insert(code).second) continue;
      // Only the server writes these, but a field of another type must not make the task unreadable.
      auto text_of = [&s](const char* key) {
        return s.contains(key) && s[key].is_string() ? s[key].get<std::string>() : std::string();
      };
      out.push_back({code, category, text_of("text"), text_of("severity"), text_of("text_zh")});
    }
  }
  return out;
}

FlagDecision decision_from_row(const db::Row& r) {
  return {r.integer(0), r.text(1), r.text(2),
          r.text(3) == "dismissed" ? FlagVerdict::Dismissed : FlagVerdict::Confirmed,
          r.text(4), r.integer(5), r.text(6), r.integer(7)};
}

constexpr const char* kDecisionColumns =
    "task_id, code, category, verdict, comment, decided_by, decided_name, decided_ms";

}  // namespace

std::string_view to_string(FlagVerdict v) { return v == FlagVerdict::Confirmed ? "confirmed" : "dismissed"; }

std::optional<FlagVerdict> flag_verdict_from(std::string_view s) {
  if (s == "confirm" || s == "confirmed") return FlagVerdict::Confirmed;
  if (s == "dismiss" || s == "dismissed") return FlagVerdict::Dismissed;
  return std::nullopt;
}

std::vector<MachineFlag> machine_flags_of(const Task& t) {
  if (t.kind != TaskKind::Ecg) return {};
  return flags_from_text(t.machine_flags);
}

std::vector<db::Migration> flag_decision_migrations() {
  return {{1, "reader decisions on ECG machine flags",
           "CREATE TABLE ecg_flag_decisions ("
           "task_id INTEGER NOT NULL REFERENCES reading_tasks (id), "
           "code TEXT NOT NULL, category TEXT NOT NULL, verdict TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '', "
           "decided_by INTEGER NOT NULL, decided_name TEXT NOT NULL, decided_ms INTEGER NOT NULL, "
           "PRIMARY KEY (task_id, code))"}};
}

Result<FlagDecision> decide_flag(TaskStore& tasks, std::int64_t task_id, std::string_view code, FlagVerdict verdict,
                                 std::string comment, const Actor& actor) {
  if (comment.size() > kMaxComment)
    return make_error(ErrorCode::BadRequest, "The comment is too long (at most 2000 bytes).");
  const std::int64_t now_ms = tasks.clock().now_ms();
  return detail::write_value<FlagDecision>(tasks.database(), [&](db::Txn& txn) -> Result<FlagDecision> {
    auto t = detail::require_task(txn, task_id);
    TELEDX_TRY(t);
    // The signed report is what the clinic received: the verdicts it was written with stay as they were.
    if (!is_open(t->state))
      return make_error(ErrorCode::Conflict, "The report of this ECG is signed; its machine flags can no longer change.");
    const bool lead = actor.role == Role::CenterLead && actor.institution_id == t->center_id;
    const bool holder = t->assignee_id && *t->assignee_id == actor.user_id && actor.institution_id == t->center_id;
    if (!actor.system && !lead && !holder)
      return make_error(ErrorCode::Forbidden, t->state == TaskState::Waiting
                                                  ? "Claim the ECG before confirming or dismissing its machine flags."
                                                  : "Only the reader holding this ECG or a lead of its center may "
                                                    "confirm or dismiss its machine flags.");
    auto flags = machine_flags_of(*t);
    const MachineFlag* flag = nullptr;
    for (const auto& f : flags)
      if (f.code == code) flag = &f;
    if (!flag) {
      std::string raised;
      for (const auto& f : flags) raised += (raised.empty() ? "" : ", ") + f.code;
      return make_error(ErrorCode::NotFound, "The machine analysis of task " + std::to_string(task_id) +
                                                 " raised no flag '" + std::string(code) + "' (its flags: " +
                                                 (raised.empty() ? "none" : raised) + ").");
    }
    FlagDecision d{task_id, flag->code, flag->category, verdict, std::move(comment), actor.user_id, actor.name, now_ms};
    auto w = txn.exec("INSERT INTO ecg_flag_decisions (" + std::string(kDecisionColumns) +
                          ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (task_id, code) DO UPDATE SET "
                          "verdict = excluded.verdict, comment = excluded.comment, decided_by = excluded.decided_by, "
                          "decided_name = excluded.decided_name, decided_ms = excluded.decided_ms",
                      {d.task_id, d.code, d.category, std::string(to_string(d.verdict)), d.comment, d.decided_by,
                       d.decided_name, d.decided_ms});
    TELEDX_TRY(w);
    // Other viewers of the task (the lead's board, a second reader) see the verdict without reloading.
    TELEDX_TRY(detail::append_outbox(txn, *t, "ecg_flag.decided",
                                     {{"code", d.code}, {"verdict", to_string(d.verdict)}, {"by", d.decided_name}},
                                     now_ms));
    TELEDX_TRY(detail::audit_task(txn, tasks.audit_log(), actor, "ecg_flag_" + std::string(to_string(d.verdict)),
                                  task_id, d.code + (d.comment.empty() ? "" : ": " + d.comment)));
    return d;
  });
}

Result<std::vector<FlagDecision>> flag_decisions(db::Database& db, std::int64_t task_id) {
  auto rows = db.query("SELECT " + std::string(kDecisionColumns) + " FROM ecg_flag_decisions WHERE task_id = ? ORDER BY code",
                       {task_id});
  if (!rows.ok()) return rows.error();
  std::vector<FlagDecision> out;
  for (const auto& r : *rows) out.push_back(decision_from_row(r));
  return out;
}

Result<std::vector<FlagAgreementRow>> flag_agreement(db::Database& db, const StatsFilter& f) {
  std::string where = " WHERE t.kind = 'ecg' AND t.machine_flags != '{}'";
  db::Params p;
  if (f.center_id) where += " AND t.center_id = ?", p.emplace_back(*f.center_id);
  if (f.clinic_id) where += " AND t.clinic_id = ?", p.emplace_back(*f.clinic_id);
  if (f.from_ms) where += " AND t.received_ms >= ?", p.emplace_back(*f.from_ms);
  if (f.to_ms) where += " AND t.received_ms < ?", p.emplace_back(*f.to_ms);
  std::vector<db::Row> tasks, decisions;
  TELEDX_TRY(db.read([&](db::Txn& txn) -> Result<void> {
    auto r = txn.query("SELECT t.id, t.machine_flags FROM reading_tasks t" + where, p);
    TELEDX_TRY(r);
    tasks = std::move(*r);
    auto d = txn.query("SELECT d.task_id, d.code, d.verdict FROM ecg_flag_decisions d JOIN reading_tasks t "
                       "ON t.id = d.task_id" + where, p);
    TELEDX_TRY(d);
    decisions = std::move(*d);
    return ok();
  }));
  std::map<std::pair<std::int64_t, std::string>, std::string> verdicts;
  for (const auto& d : decisions) verdicts[{d.integer(0), d.text(1)}] = d.text(2);
  std::map<std::string, FlagAgreementRow> by_code;
  FlagAgreementRow all{"all", "", 0, 0, 0, 0, std::nullopt};
  // The flags raised are counted from the tasks (not the decisions), so undecided flags show as pending.
  for (const auto& t : tasks) {
    for (const auto& flag : flags_from_text(t.text(1))) {
      auto& row = by_code[flag.code];
      row.code = flag.code;
      row.category = flag.category;
      auto it = verdicts.find({t.integer(0), flag.code});
      const std::string v = it == verdicts.end() ? "" : it->second;
      for (auto* r : {&row, &all}) {
        ++r->raised;
        if (v == "confirmed") ++r->confirmed;
        else if (v == "dismissed") ++r->dismissed;
        else ++r->pending;
      }
    }
  }
  std::vector<FlagAgreementRow> out;
  for (auto& [code, row] : by_code) out.push_back(row);
  out.push_back(all);
  for (auto& r : out)
    if (r.confirmed + r.dismissed > 0) r.agreement = double(r.confirmed) / double(r.confirmed + r.dismissed);
  return out;
}

}  // namespace teledx::worklist
