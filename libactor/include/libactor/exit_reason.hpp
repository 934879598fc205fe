#pragma once
/// @file exit_reason.hpp
/// How a job ended, as watchers, linked jobs and supervisors see it (Erlang's exit reasons).

#include <cstdint>

namespace libactor {

/// Why a job ended. Erlang's reasons map onto these: `normal` → normal, `shutdown` → cancelled,
/// `killed` → killed, any other reason → failed.
enum class exit_reason : std::uint8_t {
  normal,     ///< the body returned
  cancelled,  ///< it raised `cancelled` (cancelled from outside, by a scope, or before it started)
  killed,     ///< it was killed: its frame was torn down at a suspension point without raising
  failed,     ///< an exception other than `cancelled` escaped its body
};

/// "normal", "cancelled", "killed" or "failed".
constexpr const char* to_string(exit_reason r) noexcept {
  switch (r) {
    case exit_reason::normal: return "normal";
    case exit_reason::cancelled: return "cancelled";
    case exit_reason::killed: return "killed";
    case exit_reason::failed: return "failed";
  }
  return "?";
}

} // namespace libactor
