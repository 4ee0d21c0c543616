// Stable names of the worklist enums: what the index stores and the API speaks.
#include <utility>

#include "teledx/worklist/task.hpp"

namespace teledx::worklist {
namespace {

template <class E, std::size_t N>
using Table = std::array<std::pair<E, std::string_view>, N>;

constexpr Table<TaskKind, 2> kKinds{{{TaskKind::Imaging, "imaging"}, {TaskKind::Ecg, "ecg"}}};
constexpr Table<Priority, 3> kPriorities{
    {{Priority::Stat, "stat"}, {Priority::Urgent, "urgent"}, {Priority::Routine, "routine"}}};
constexpr Table<TaskState, 9> kStates{{
    {TaskState::Waiting, "waiting"},
    {TaskState::Claimed, "claimed"},
    {TaskState::InReport, "in_report"},
    {TaskState::PendingReview, "pending_review"},
    {TaskState::Signed, "signed"},
    {TaskState::Delivered, "delivered"},
    {TaskState::Acknowledged, "acknowledged"},
    {TaskState::Returned, "returned"},
    {TaskState::Amended, "amended"},
}};
constexpr Table<TaskAction, 14> kActions{{
    {TaskAction::Claim, "claim"},
    {TaskAction::Release, "release"},
    {TaskAction::StartReport, "start_report"},
    {TaskAction::SubmitForReview, "submit_for_review"},
    {TaskAction::Approve, "approve"},
    {TaskAction::ReturnForRevision, "return_for_revision"},
    {TaskAction::Sign, "sign"},
    {TaskAction::MarkDelivered, "mark_delivered"},
    {TaskAction::Acknowledge, "acknowledge"},
    {TaskAction::ReturnToClinic, "return_to_clinic"},
    {TaskAction::Resume, "resume"},
    {TaskAction::Amend, "amend"},
    {TaskAction::Assign, "assign"},
    {TaskAction::ExpireLease, "expire_lease"},
}};
constexpr Table<FairnessMode, 3> kFairness{{{FairnessMode::TopOfQueue, "top_of_queue"},
                                            {FairnessMode::PriorityBand, "priority_band"},
                                            {FairnessMode::Off, "off"}}};

template <class E, std::size_t N>
std::string_view name_of(const Table<E, N>& t, E e) {
  for (const auto& [v, n] : t)
    if (v == e) return n;
  return "unknown";
}

template <class E, std::size_t N>
std::optional<E> parse(const Table<E, N>& t, std::string_view s) {
  for (const auto& [v, n] : t)
    if (n == s) return v;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(TaskKind v) { return name_of(kKinds, v); }
std::string_view to_string(Priority v) { return name_of(kPriorities, v); }
std::string_view to_string(TaskState v) { return name_of(kStates, v); }
std::string_view to_string(TaskAction v) { return name_of(kActions, v); }
std::string_view to_string(FairnessMode v) { return name_of(kFairness, v); }
std::optional<TaskKind> task_kind_from(std::string_view s) { return parse(kKinds, s); }
std::optional<Priority> priority_from(std::string_view s) { return parse(kPriorities, s); }
std::optional<TaskState> task_state_from(std::string_view s) { return parse(kStates, s); }
std::optional<TaskAction> task_action_from(std::string_view s) { return parse(kActions, s); }
std::optional<FairnessMode> fairness_from(std::string_view s) { return parse(kFairness, s); }

bool is_open(TaskState s) {
  return s == TaskState::Waiting || s == TaskState::Claimed || s == TaskState::InReport ||
         s == TaskState::PendingReview;
}

}  // namespace teledx::worklist
