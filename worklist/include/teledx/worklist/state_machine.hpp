#pragma once
#include <cstdint>
#include <optional>

#include "teledx/core/result.hpp"
#include "teledx/worklist/task.hpp"

namespace teledx::worklist {

/// What the transition function needs to know about a task.
struct TransitionFacts {
  TaskState state = TaskState::Waiting;
  std::int64_t center_id = 0;
  std::int64_t clinic_id = 0;
  std::optional<std::int64_t> assignee_id;
  std::optional<std::int64_t> submitted_by;  // set while PendingReview
  bool two_level_signing = false;            // the center requires a senior's approval of juniors' reports
};

TransitionFacts facts_of(const Task& t, bool two_level_signing);

/// The one place that decides a move. Returns the next state, or
///  - Conflict: the move is not possible in the task's state (or the task is another reader's);
///  - Forbidden: the actor's role or institution may never make this move.
/// Readers act only on tasks of their own center, clinic users only on their clinic's tasks.
Result<TaskState> decide(const TransitionFacts& task, TaskAction action, const Actor& actor);

/// Senior readers (SeniorReader, CenterLead) sign without review and review others' reports.
bool is_senior(Role r);

}  // namespace teledx::worklist
