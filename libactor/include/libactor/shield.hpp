#pragma once
/// @file shield.hpp
/// `shield`: protects a region from cancellation in place (asyncio.shield without its orphaned
/// inner task, Trio's `CancelScope(shield=True)`).
///
/// Inside the shield, neither the job's cancellation nor enclosing scopes' cancellations or
/// deadlines reach the suspension points. Once the shielded work has ended, the job's next
/// suspension point raises `cancelled` if the job was cancelled meanwhile (level-triggered).
///
/// @code
/// co_await la::shield(flush_to_disk());   // completes even if the job is being cancelled
/// @endcode

#include <chrono>
#include <type_traits>

#include <libactor/detail/scope.hpp>
#include <libactor/job.hpp>

namespace libactor {

/// Runs `body` inline, shielded from every cancellation outside it.
template <class T>
job<T> shield(job<T> body) {
  detail::scope_guard scope{"shield", std::chrono::steady_clock::time_point::max(), true};
  if constexpr (std::is_void_v<T>)
    co_await std::move(body);
  else
    co_return co_await std::move(body);
}

} // namespace libactor
