// The reading task's state machine: one table of moves, one function that applies it to an actor.
#include "teledx/worklist/state_machine.hpp"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

namespace teledx::worklist {
namespace {

using S = TaskState;
using A = TaskAction;

/// Who may make a move, before looking at the task's state.
enum class Who {
  CenterReader,  // any reader role of the task's center
  Assignee,      // the reader holding the task (the center lead may act for them where noted)
  Senior,        // SeniorReader or CenterLead of the task's center
  Lead,          // CenterLead of the task's center, or the server (rota dispatch)
  Clinic,        // a user of the task's clinic
  ClinicOrSystem,
  System,
};

struct Move {
  A action;
  std::vector<S> from;
  std::optional<S> to;  // nullopt: the state does not change (reassignment)
  Who who;
  bool lead_may_act_for_assignee = false;
  const char* verb;
};

const std::vector<Move>& moves() {
  static const std::vector<Move> table{
      {A::Claim, {S::Waiting}, S::Claimed, Who::CenterReader, false, "claim"},
      {A::Release, {S::Claimed, S::InReport}, S::Waiting, Who::Assignee, true, "release"},
      {A::StartReport, {S::Claimed}, S::InReport, Who::Assignee, false, "start the report of"},
      {A::SubmitForReview, {S::InReport}, S::PendingReview, Who::Assignee, false, "submit for review"},
      {A::Approve, {S::PendingReview}, S::Signed, Who::Senior, false, "approve"},
      {A::ReturnForRevision, {S::PendingReview}, S::InReport, Who::Senior, false, "return for revision"},
      {A::Sign, {S::InReport}, S::Signed, Who::Assignee, false, "sign"},
      {A::MarkDelivered, {S::Signed, S::Amended}, S::Delivered, Who::ClinicOrSystem, false, "mark delivered"},
      {A::Acknowledge, {S::Delivered}, S::Acknowledged, Who::Clinic, false, "acknowledge"},
      {A::ReturnToClinic, {S::Waiting, S::Claimed, S::InReport}, S::Returned, Who::CenterReader, true,
       "return to the clinic"},
      {A::Resume, {S::Returned}, S::Waiting, Who::ClinicOrSystem, false, "resume"},
      {A::Amend, {S::Signed, S::Delivered, S::Acknowledged, S::Amended}, S::Amended, Who::CenterReader, false,
       "amend"},
      {A::Assign, {S::Waiting, S::Claimed, S::InReport}, std::nullopt, Who::Lead, false, "assign"},
      {A::ExpireLease, {S::Claimed, S::InReport}, S::Waiting, Who::System, false, "expire the lease of"},
  };
  return table;
}

std::string state_phrase(S s) {
  switch (s) {
    case S::Waiting: return "waiting to be claimed";
    case S::Claimed: return "claimed";
    case S::InReport: return "being reported";
    case S::PendingReview: return "pending a senior's review";
    case S::Signed: return "signed";
    case S::Delivered: return "delivered to the clinic";
    case S::Acknowledged: return "acknowledged by the clinic";
    case S::Returned: return "returned to the clinic";
    case S::Amended: return "amended";
  }
  return "in an unknown state";
}

std::string list_states(const std::vector<S>& states) {
  std::string out;
  for (std::size_t i = 0; i < states.size(); ++i) {
    if (i) out += i + 1 == states.size() ? " or " : ", ";
    out += to_string(states[i]);
  }
  return out;
}

Error forbidden(const Move& m, std::string why) {
  return make_error(ErrorCode::Forbidden, "You may not " + std::string(m.verb) + " this task: " + why + ".");
}

Error conflict(const Move& m, std::string why) {
  return make_error(ErrorCode::Conflict, "Cannot " + std::string(m.verb) + " this task: " + why + ".");
}

bool of_center(const Actor& a, const TransitionFacts& t) {
  return !a.system && is_reader_role(a.role) && a.institution_id == t.center_id;
}

bool of_clinic(const Actor& a, const TransitionFacts& t) {
  return !a.system && is_clinic_role(a.role) && a.institution_id == t.clinic_id;
}

bool is_lead_of(const Actor& a, const TransitionFacts& t) {
  return of_center(a, t) && a.role == Role::CenterLead;
}

/// Role and institution check: may this actor ever make the move on this task?
std::optional<Error> check_who(const Move& m, const TransitionFacts& t, const Actor& a) {
  switch (m.who) {
    case Who::CenterReader:
    case Who::Assignee:
      if (!of_center(a, t)) return forbidden(m, "only readers of the task's reading center may");
      return std::nullopt;
    case Who::Senior:
      if (!of_center(a, t) || !is_senior(a.role))
        return forbidden(m, "only a senior reader or the lead of the task's reading center may");
      return std::nullopt;
    case Who::Lead:
      if (!a.system && !is_lead_of(a, t)) return forbidden(m, "only the lead of the task's reading center may");
      return std::nullopt;
    case Who::Clinic:
      if (!of_clinic(a, t)) return forbidden(m, "only users of the clinic that sent the exam may");
      return std::nullopt;
    case Who::ClinicOrSystem:
      if (!a.system && !of_clinic(a, t)) return forbidden(m, "only the clinic that sent the exam may");
      return std::nullopt;
    case Who::System:
      if (!a.system) return forbidden(m, "only the server does this");
      return std::nullopt;
  }
  return forbidden(m, "unknown rule");
}

}  // namespace

bool is_senior(Role r) { return r == Role::SeniorReader || r == Role::CenterLead; }

TransitionFacts facts_of(const Task& t, bool two_level_signing) {
  return {t.state, t.center_id, t.clinic_id, t.assignee_id, t.submitted_by, two_level_signing};
}

Result<TaskState> decide(const TransitionFacts& t, TaskAction action, const Actor& a) {
  const auto& table = moves();
  auto it = std::find_if(table.begin(), table.end(), [&](const Move& m) { return m.action == action; });
  if (it == table.end()) return make_error(ErrorCode::BadRequest, "Unknown task action.");
  const Move& m = *it;

  if (auto e = check_who(m, t, a)) return *e;
  if (std::find(m.from.begin(), m.from.end(), t.state) == m.from.end())
    return conflict(m, "it is " + state_phrase(t.state) + " (possible only when it is " + list_states(m.from) + ")");

  const bool held = t.state == S::Claimed || t.state == S::InReport;
  const bool is_assignee = t.assignee_id && *t.assignee_id == a.user_id && !a.system;
  if (m.who == Who::Assignee || (m.lead_may_act_for_assignee && held)) {
    const bool lead_ok = m.lead_may_act_for_assignee && is_lead_of(a, t);
    if (!is_assignee && !lead_ok) return conflict(m, "it is held by another reader");
  }

  switch (action) {
    case A::SubmitForReview:
      if (!t.two_level_signing) return conflict(m, "this center signs in one step; sign the report directly");
      break;
    case A::Sign:
      if (t.two_level_signing && !is_senior(a.role))
        return forbidden(m, "this center requires a senior's approval; submit the report for review");
      break;
    case A::Approve:
    case A::ReturnForRevision:
      if (t.submitted_by && *t.submitted_by == a.user_id)
        return forbidden(m, "a report is reviewed by someone other than its author");
      break;
    default: break;
  }
  if (action == A::Assign) return t.state == S::Waiting ? S::Claimed : t.state;
  return *m.to;
}

}  // namespace teledx::worklist
