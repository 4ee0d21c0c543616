#pragma once
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "teledx/core/file_store.hpp"

namespace teledx {

/// Landing slots: empty files created ahead of need in a FileStore, their directory entries already durable.
///
/// Why: an acknowledged write must be on disk before the answer. Written to a temp file and renamed into
/// place it costs three flushes (file, directory, index). Written straight into a slot and sealed — a note
/// saying who sent it, then one fsync of the file — it costs one; the index row may then commit without its
/// own flush, because start-up recovery finds a sealed slot that has no index row and indexes it from the
/// file and its note.
///
/// A slot's key is permanent: once indexed the file stays where it landed. Free slots are empty files with
/// no index row; check_store counts them apart from orphans and lists them so the next start reuses them.
class SlotPool {
 public:
  struct Options {
    std::string prefix = "slots";  // slots live in <prefix>/xx/ (256 directories made at start)
    std::size_t low_water = 48;    // refill when fewer are free
    std::size_t batch = 64;        // slots created per refill, in one directory (one directory sync)
  };

  SlotPool(FileStore& files, Options options);
  ~SlotPool();  // stop()
  SlotPool(const SlotPool&) = delete;
  SlotPool& operator=(const SlotPool&) = delete;

  /// Checks that the filesystem keeps the seal's note (an extended attribute; Unavailable if not), adopts
  /// the free slots found at start (keys under prefix) and starts the background refill.
  Result<void> start(const std::vector<std::string>& free_slots);
  void stop();
  bool started() const;

  /// A free slot's key; made on the spot (with its directory sync) when the pool has run dry.
  Result<std::string> take();
  /// A free slot only if one is ready now: never creates one nor touches the disk (for callers on an I/O thread).
  std::optional<std::string> take_ready();
  /// Empties a slot whose content was not kept (refused, duplicate) and returns it to the pool.
  void give_back(const std::string& key);

  /// Records the note on the slot and makes bytes and note durable with one fsync of the file.
  Result<void> seal(const std::string& key, std::string_view note);

  /// The note of a sealed slot (nullopt: not sealed, or no such file).
  static std::optional<std::string> note_of(const std::filesystem::path& file);
  /// True when key names a slot of this pool.
  bool owns(std::string_view key) const;
  /// The key of a path under the store's blobs/ (nullopt for any other path, e.g. a temp file).
  std::optional<std::string> key_of(const std::filesystem::path& path) const;

  std::size_t free_count() const;

 private:
  Result<void> refill_once();
  void refill_loop();

  FileStore& files_;
  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::string> free_;
  bool started_ = false, stopping_ = false;
  std::thread refiller_;
};

}  // namespace teledx
