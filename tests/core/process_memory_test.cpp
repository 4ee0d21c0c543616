// A process that allocates the same large working buffers over and over (one ECG analysis after another) gets them
// back from its own heap, not as fresh pages from the kernel.
#include <catch2/catch.hpp>

#include <cstddef>
#include <sys/resource.h>
#include <vector>

#include "teledx/core/process_memory.hpp"

namespace {

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

/// One round of an analysis' allocations: eight 4-MB buffers, each written through, then all freed.
void working_round() {
  std::vector<std::vector<float>> buffers;
  for (int i = 0; i < 8; ++i) buffers.emplace_back(std::size_t(1) << 20, float(i));
}

}  // namespace

TEST_CASE("after keep_freed_memory_for_reuse a repeated 32-MB working set costs next to no new page faults", "[core]") {
  teledx::keep_freed_memory_for_reuse();
  working_round();  // the first round takes its pages from the kernel
  const long before = minor_faults();
  for (int round = 0; round < 5; ++round) working_round();
  const long faults = minor_faults() - before;
  // 32 MB is 8,192 pages of 4 KB per round, 40,960 over five rounds when every buffer is unmapped on free, as glibc
  // does by default for blocks this size.
  INFO("minor page faults over five rounds: " << faults);
  CHECK(faults < 500);
}
