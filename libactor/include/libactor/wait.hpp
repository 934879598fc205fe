#pragma once
/// @file wait.hpp
/// `wait` and `as_completed`: wait on handles of jobs that are already running (asyncio.wait and
/// asyncio.as_completed). Neither cancels the jobs it waits on: not the ones it leaves pending, and
/// not when the *waiting* job is cancelled (it raises `cancelled` at once; the jobs run on).
///
/// @code
/// auto r = co_await la::wait(handles, la::wait_mode::first_completed);  // r.done, r.pending
/// // (g++ 12 rejects `auto [done, pending] = co_await ...` of this struct: "array used as initializer")
/// auto ready = la::as_completed(handles);
/// while (auto h = co_await ready.next())
///   std::printf("%s\n", (co_await *h).c_str());   // in the order the jobs finish
/// @endcode

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include <libactor/detail/children.hpp>
#include <libactor/handle.hpp>
#include <libactor/job.hpp>

namespace libactor {

/// When `wait` returns.
enum class wait_mode {
  first_completed,  ///< as soon as one job has ended
  first_exception,  ///< as soon as one job has failed (exception or cancellation), or all have ended
  all_completed,    ///< once every job has ended
};

/// What `wait` yields: the handles of the jobs that have ended and of those still running, each in
/// the order they were given.
template <class T>
struct wait_result {
  std::vector<handle<T>> done;
  std::vector<handle<T>> pending;
};

namespace detail {
template <class T>
std::vector<record_base*> records_of_handles(const std::vector<handle<T>>& handles) {
  std::vector<record_base*> recs;
  recs.reserve(handles.size());
  for (auto& h : handles)
    recs.push_back(&record_access::of(h));
  return recs;
}

inline bool wait_satisfied(std::span<record_base* const> recs, wait_mode mode) {
  bool all = true;
  bool any = false;
  for (auto* r : recs) {
    if (!r->done()) {
      all = false;
      continue;
    }
    any = true;
    if (mode == wait_mode::first_exception && r->failed())
      return true;
  }
  return all || (any && mode == wait_mode::first_completed);
}
} // namespace detail

/// Waits on `handles` until `mode` is satisfied (at once for an empty list) and splits them into
/// done and pending. Results and exceptions stay in the handles; nothing is cancelled.
template <class T>
job<wait_result<T>> wait(std::vector<handle<T>> handles, wait_mode mode = wait_mode::all_completed) {
  auto recs = detail::records_of_handles(handles);
  std::vector<detail::record_base*> pending;
  for (;;) {
    if (detail::wait_satisfied(recs, mode))
      break;
    pending.clear();
    for (auto* r : recs)
      if (!r->done())
        pending.push_back(r);
    co_await detail::any_of(pending, false);
  }
  wait_result<T> result;
  for (std::size_t i = 0; i < handles.size(); ++i)
    (recs[i]->done() ? result.done : result.pending).push_back(std::move(handles[i]));
  co_return result;
}

/// The jobs of a list of handles in the order they end (asyncio.as_completed). Iterate with
/// `while (auto h = co_await it.next())`; each handle is yielded once, when its job has ended.
template <class T>
class as_completed {
public:
  explicit as_completed(std::vector<handle<T>> handles)
    : handles_(std::move(handles)), pending_(detail::records_of_handles(handles_)) {}

  /// The handle of the next job to end, or an empty optional once all have been yielded.
  /// The object must outlive the await.
  job<std::optional<handle<T>>> next() {
    if (pending_.empty())
      co_return std::nullopt;
    co_await detail::any_of(pending_, false);
    std::size_t i = 0;
    while (!pending_[i]->done())
      ++i;
    pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(i));
    auto h = std::move(handles_[i]);
    handles_.erase(handles_.begin() + static_cast<std::ptrdiff_t>(i));
    co_return std::optional<handle<T>>{std::move(h)};
  }

  /// The number of handles not yielded yet.
  std::size_t remaining() const noexcept { return pending_.size(); }

private:
  std::vector<handle<T>> handles_;            // not yet yielded
  std::vector<detail::record_base*> pending_;  // their records, same order
};

} // namespace libactor
