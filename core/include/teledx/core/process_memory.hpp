#pragma once
// How the process's allocator treats freed memory.

namespace teledx {

/// Keeps freed memory in the process for the next allocation instead of returning it to the kernel. Call once at
/// start-up, before the threads, in a process that analyses signals or images over and over (the server, the ECG
/// tool). glibc unmaps a freed block over its mmap threshold (128 KB at first, at most 32 MB as it adapts) and trims
/// the heap's free top, so every analysis of a 30-min ECG (many 2.6-MB working copies) took its pages fresh from the
/// kernel: page faults and zeroing were half of analyze()'s time on MIT-BIH. Blocks under 32 MB now come from the
/// heap, and a heap keeps up to 256 MB free at its top. The high-water mark of the memory in use is what stays
/// resident. (Threads other than the main one allocate from their own arenas, which keep their memory already: an
/// analysis in a worker thread took no page faults before either.) No effect outside glibc.
void keep_freed_memory_for_reuse();

}  // namespace teledx
