#include "teledx/worklist/state_machine.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <tuple>

using namespace teledx;
using namespace teledx::worklist;

namespace {

constexpr std::int64_t kCenter = 10, kOtherCenter = 11, kClinic = 20, kOtherClinic = 21;

/// The cast: who tries each move. The task (when held) is held by `junior`, who also submitted it for review.
enum class Who { Junior, OtherJunior, Senior, Lead, OtherCenterLead, Clinic, OtherClinic, Admin, System };

const std::vector<std::pair<Who, Actor>>& cast() {
  static const std::vector<std::pair<Who, Actor>> c{
      {Who::Junior, {1, Role::ImagingReader, kCenter, "junior", false}},
      {Who::OtherJunior, {2, Role::ImagingReader, kCenter, "other junior", false}},
      {Who::Senior, {3, Role::SeniorReader, kCenter, "senior", false}},
      {Who::Lead, {4, Role::CenterLead, kCenter, "lead", false}},
      {Who::OtherCenterLead, {5, Role::CenterLead, kOtherCenter, "other lead", false}},
      {Who::Clinic, {6, Role::ClinicTech, kClinic, "tech", false}},
      {Who::OtherClinic, {7, Role::ClinicDoctor, kOtherClinic, "other doctor", false}},
      {Who::Admin, {8, Role::Admin, 1, "admin", false}},
      {Who::System, Actor::server()},
  };
  return c;
}

using S = TaskState;
using A = TaskAction;
using Key = std::tuple<S, A, Who, bool>;  // state, action, actor, two-level signing

/// Every allowed move, written out independently of the implementation's table.
std::map<Key, S> allowed_moves() {
  std::map<Key, S> m;
  const auto allow = [&](S from, A a, std::initializer_list<Who> who, S to, std::initializer_list<bool> levels = {false, true}) {
    for (auto w : who)
      for (bool two : levels) m[{from, a, w, two}] = to;
  };
  const auto readers = {Who::Junior, Who::OtherJunior, Who::Senior, Who::Lead};
  allow(S::Waiting, A::Claim, readers, S::Claimed);
  allow(S::Waiting, A::Assign, {Who::Lead, Who::System}, S::Claimed);
  allow(S::Waiting, A::ReturnToClinic, readers, S::Returned);
  for (S held : {S::Claimed, S::InReport}) {
    allow(held, A::Release, {Who::Junior, Who::Lead}, S::Waiting);
    allow(held, A::ReturnToClinic, {Who::Junior, Who::Lead}, S::Returned);
    allow(held, A::Assign, {Who::Lead, Who::System}, held);
    allow(held, A::ExpireLease, {Who::System}, S::Waiting);
  }
  allow(S::Claimed, A::StartReport, {Who::Junior}, S::InReport);
  allow(S::InReport, A::Sign, {Who::Junior}, S::Signed, {false});
  allow(S::InReport, A::SubmitForReview, {Who::Junior}, S::PendingReview, {true});
  allow(S::PendingReview, A::Approve, {Who::Senior, Who::Lead}, S::Signed);
  allow(S::PendingReview, A::ReturnForRevision, {Who::Senior, Who::Lead}, S::InReport);
  for (S done : {S::Signed, S::Delivered, S::Acknowledged, S::Amended}) allow(done, A::Amend, readers, S::Amended);
  allow(S::Signed, A::MarkDelivered, {Who::Clinic, Who::System}, S::Delivered);
  allow(S::Amended, A::MarkDelivered, {Who::Clinic, Who::System}, S::Delivered);
  allow(S::Delivered, A::Acknowledge, {Who::Clinic}, S::Acknowledged);
  allow(S::Returned, A::Resume, {Who::Clinic, Who::System}, S::Waiting);
  return m;
}

TransitionFacts task_in(S state, bool two_level) {
  TransitionFacts f;
  f.state = state;
  f.center_id = kCenter;
  f.clinic_id = kClinic;
  if (state != S::Waiting && state != S::Returned) f.assignee_id = 1;
  if (state == S::PendingReview) f.submitted_by = 1;
  f.two_level_signing = two_level;
  return f;
}

const std::vector<S> kStates{S::Waiting, S::Claimed, S::InReport, S::PendingReview, S::Signed,
                             S::Delivered, S::Acknowledged, S::Returned, S::Amended};
const std::vector<A> kActions{A::Claim, A::Release, A::StartReport, A::SubmitForReview, A::Approve,
                              A::ReturnForRevision, A::Sign, A::MarkDelivered, A::Acknowledge, A::ReturnToClinic,
                              A::Resume, A::Amend, A::Assign, A::ExpireLease};

}  // namespace

TEST_CASE("the transition function allows exactly the listed moves and refuses every other one", "[worklist]") {
  const auto allowed = allowed_moves();
  int allowed_seen = 0, refused_seen = 0;
  for (S state : kStates)
    for (A action : kActions)
      for (const auto& [who, actor] : cast())
        for (bool two : {false, true}) {
          INFO(to_string(state) << " --" << to_string(action) << "--> by " << actor.name
                                << (two ? " (two-level)" : ""));
          auto r = decide(task_in(state, two), action, actor);
          auto it = allowed.find({state, action, who, two});
          if (it != allowed.end()) {
            REQUIRE(r.ok());
            CHECK(*r == it->second);
            ++allowed_seen;
          } else {
            REQUIRE_FALSE(r.ok());
            const auto code = r.error().code;
            CHECK((code == ErrorCode::Conflict || code == ErrorCode::Forbidden));
            CHECK(r.error().message.size() > 20);  // a sentence, not a code
            ++refused_seen;
          }
        }
  CHECK(allowed_seen == static_cast<int>(allowed.size()));
  CHECK(allowed_seen + refused_seen == 9 * 14 * 9 * 2);
}

TEST_CASE("moves refused by state answer Conflict, moves refused by role or institution answer Forbidden",
          "[worklist]") {
  const Actor junior{1, Role::ImagingReader, kCenter, "junior", false};
  const Actor other{2, Role::ImagingReader, kCenter, "other", false};
  const Actor tech{6, Role::ClinicTech, kClinic, "tech", false};
  const Actor foreign_reader{9, Role::ImagingReader, kOtherCenter, "foreign", false};

  auto signed_claim = decide(task_in(S::Signed, false), A::Claim, junior);
  REQUIRE_FALSE(signed_claim.ok());
  CHECK(signed_claim.error().code == ErrorCode::Conflict);
  CHECK(signed_claim.error().message == "Cannot claim this task: it is signed (possible only when it is waiting).");

  auto someone_elses = decide(task_in(S::Claimed, false), A::Release, other);
  REQUIRE_FALSE(someone_elses.ok());
  CHECK(someone_elses.error().code == ErrorCode::Conflict);
  CHECK_THAT(someone_elses.error().message, Catch::Contains("held by another reader"));

  CHECK(decide(task_in(S::Waiting, false), A::Claim, tech).error().code == ErrorCode::Forbidden);
  CHECK(decide(task_in(S::Waiting, false), A::Claim, foreign_reader).error().code == ErrorCode::Forbidden);
  CHECK(decide(task_in(S::Delivered, false), A::Acknowledge, junior).error().code == ErrorCode::Forbidden);
  CHECK(decide(task_in(S::Claimed, false), A::ExpireLease, junior).error().code == ErrorCode::Forbidden);

  auto junior_signs = decide(task_in(S::InReport, true), A::Sign, junior);
  REQUIRE_FALSE(junior_signs.ok());
  CHECK(junior_signs.error().code == ErrorCode::Forbidden);
  CHECK_THAT(junior_signs.error().message, Catch::Contains("submit the report for review"));

  auto one_level_submit = decide(task_in(S::InReport, false), A::SubmitForReview, junior);
  REQUIRE_FALSE(one_level_submit.ok());
  CHECK(one_level_submit.error().code == ErrorCode::Conflict);
}

TEST_CASE("a senior holding a task signs it directly even where two-level signing applies", "[worklist]") {
  const Actor senior{3, Role::SeniorReader, kCenter, "senior", false};
  auto facts = task_in(S::InReport, true);
  facts.assignee_id = 3;
  auto r = decide(facts, A::Sign, senior);
  REQUIRE(r.ok());
  CHECK(*r == S::Signed);
}

TEST_CASE("a senior cannot approve or return a report they submitted themselves", "[worklist]") {
  const Actor senior{3, Role::SeniorReader, kCenter, "senior", false};
  auto facts = task_in(S::PendingReview, true);
  facts.assignee_id = 3;
  facts.submitted_by = 3;
  CHECK(decide(facts, A::Approve, senior).error().code == ErrorCode::Forbidden);
  CHECK(decide(facts, A::ReturnForRevision, senior).error().code == ErrorCode::Forbidden);
}

TEST_CASE("every state, action and fairness mode has a stable name that parses back", "[worklist]") {
  for (S s : kStates) CHECK(task_state_from(to_string(s)) == s);
  for (A a : kActions) CHECK(task_action_from(to_string(a)) == a);
  for (auto p : {Priority::Stat, Priority::Urgent, Priority::Routine}) CHECK(priority_from(to_string(p)) == p);
  for (auto f : {FairnessMode::TopOfQueue, FairnessMode::PriorityBand, FairnessMode::Off})
    CHECK(fairness_from(to_string(f)) == f);
  CHECK_FALSE(task_state_from("finished"));
  CHECK(to_string(S::InReport) == "in_report");
}
