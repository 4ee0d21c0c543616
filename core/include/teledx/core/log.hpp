#pragma once
#include <string_view>

namespace teledx::log {

enum class Level { Debug, Info, Warn, Error };

/// Minimum level written (default Info; TELEDX_LOG_LEVEL=debug|info|warn|error overrides at start).
void set_level(Level level);
Level level();
/// One line to stderr: "<UTC time> <LEVEL> <component> <message>". Thread-safe.
void write(Level level, std::string_view component, std::string_view message);

inline void debug(std::string_view c, std::string_view m) { write(Level::Debug, c, m); }
inline void info(std::string_view c, std::string_view m) { write(Level::Info, c, m); }
inline void warn(std::string_view c, std::string_view m) { write(Level::Warn, c, m); }
inline void error(std::string_view c, std::string_view m) { write(Level::Error, c, m); }

}  // namespace teledx::log
