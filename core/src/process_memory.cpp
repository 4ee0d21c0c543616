#include "teledx/core/process_memory.hpp"

#include <cstdlib>  // defines __GLIBC__ on glibc, tested below

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace teledx {

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  // Setting either threshold also stops glibc adapting them (its dynamic mmap threshold). 32 MB is the largest mmap
  // threshold glibc accepts (half its 64-bit heap size); a larger value is refused and changes nothing.
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
#endif
}

}  // namespace teledx
