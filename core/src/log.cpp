#include "teledx/core/log.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "teledx/core/clock.hpp"

namespace teledx::log {
namespace {

Level level_from_env() {
  const char* v = std::getenv("TELEDX_LOG_LEVEL");
  if (v == nullptr) return Level::Info;
  const std::string s(v);
  if (s == "debug") return Level::Debug;
  if (s == "warn" || s == "warning") return Level::Warn;
  if (s == "error") return Level::Error;
  return Level::Info;
}

// Read from the environment on first use (function-local static: initialised once, thread-safe);
// set_level() overrides it afterwards.
std::atomic<int>& current() {
  static std::atomic<int> level{static_cast<int>(level_from_env())};
  return level;
}

std::mutex& out_mutex() {
  static std::mutex m;
  return m;
}

std::string_view name(Level l) {
  switch (l) {
    case Level::Debug: return "DEBUG";
    case Level::Info: return "INFO";
    case Level::Warn: return "WARN";
    case Level::Error: return "ERROR";
  }
  return "?";
}

}  // namespace

void set_level(Level l) { current().store(static_cast<int>(l), std::memory_order_relaxed); }
Level level() { return static_cast<Level>(current().load(std::memory_order_relaxed)); }

void write(Level l, std::string_view component, std::string_view message) {
  if (static_cast<int>(l) < current().load(std::memory_order_relaxed)) return;
  // Build the whole line first so the lock covers one fwrite and lines never interleave.
  std::string line = format_iso8601(SystemClock{}.now_ms());
  line += ' ';
  line += name(l);
  line += ' ';
  line += component;
  line += ' ';
  line += message;
  line += '\n';
  std::lock_guard lock(out_mutex());
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace teledx::log
