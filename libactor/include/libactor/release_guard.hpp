#pragma once
/// @file release_guard.hpp
/// `release_guard<P>`: holds what a `lock`, `semaphore` or `capacity_limiter` granted and releases
/// it when it goes out of scope — Python's `async with lock:`. Returned by their `scoped()`.
///
/// @code
/// auto held = co_await mutex.scoped();   // released on every path out of this scope
/// @endcode

#include <utility>

#include <libactor/detail/parking.hpp>

namespace libactor {

/// Releases `P` (anything with `release()`) once, on destruction or by an explicit release().
template <class P>
class [[nodiscard]] release_guard {
public:
  explicit release_guard(P* primitive) noexcept : p_(primitive) {}
  release_guard(release_guard&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  release_guard& operator=(release_guard&&) = delete;
  ~release_guard() {
    if (p_ != nullptr)
      p_->release();
  }
  /// Releases now (at most once).
  void release() {
    if (auto* p = std::exchange(p_, nullptr))
      p->release();
  }
  /// True until released.
  bool owns() const noexcept { return p_ != nullptr; }

private:
  P* p_;
};

namespace detail {
/// primitive_wait<P> whose result is a release_guard<P>.
template <class P>
struct scoped_wait : primitive_wait<P> {
  using primitive_wait<P>::primitive_wait;
  release_guard<P> await_resume() {
    primitive_wait<P>::await_resume();
    return release_guard<P>{this->p};
  }
};
} // namespace detail

} // namespace libactor
