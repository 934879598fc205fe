#pragma once
/// @file gather.hpp
/// `gather`: run several jobs concurrently, each as its own actor, and collect their results in
/// argument order (asyncio.gather, with structured-concurrency failure handling).
///
/// The first failure cancels the siblings; once they have all ended, gather rethrows that first
/// exception with its original type. If the gathering job is cancelled, every child is cancelled
/// and has ended before gather raises `cancelled`: no child outlives the call.
/// `gather_outcomes` (asyncio's return_exceptions=True) never throws for a child's failure: it
/// yields one `outcome<T>` per job.
///
/// @code
/// auto [a, b] = co_await la::gather(fetch("url1"), fetch("url2"));  // std::tuple<std::string, std::string>
/// std::vector<la::job<int>> jobs = ...;
/// std::vector<int> all = co_await la::gather(std::move(jobs));
/// auto [x, y] = co_await la::gather_outcomes(fetch("url1"), might_fail());
/// if (!y.has_value()) log(y.exception());
/// @endcode

#include <array>
#include <cstddef>
#include <exception>
#include <optional>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <libactor/detail/children.hpp>
#include <libactor/errors.hpp>
#include <libactor/handle.hpp>
#include <libactor/job.hpp>
#include <libactor/shield.hpp>
#include <libactor/spawn.hpp>

namespace libactor {

/// What gather yields for a `job<T>`: `T`, or `std::monostate` for `job<void>`.
template <class T>
using gather_value_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

/// How one job ended: its value, or its exception (`cancelled` included).
template <class T>
class outcome {
public:
  using value_type = gather_value_t<T>;

  /// A success with `value` (a `std::monostate` for `outcome<void>`).
  static outcome success(value_type value) {
    outcome o;
    o.value_.emplace(std::move(value));
    return o;
  }
  /// A failure with `e` (`cancelled()` is true when `e` holds a libactor::cancelled).
  static outcome failure(std::exception_ptr e) {
    outcome o;
    o.error_ = std::move(e);
    try {
      std::rethrow_exception(o.error_);
    } catch (const libactor::cancelled&) {
      o.cancelled_ = true;
    } catch (...) {
    }
    return o;
  }

  /// True when the job returned normally.
  bool has_value() const noexcept { return value_.has_value(); }
  /// The job's value; rethrows its exception if it failed.
  decltype(auto) value() & {
    if (!value_)
      std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<T>)
      return (*value_);
  }
  /// The job's value, moved out; rethrows its exception if it failed.
  decltype(auto) value() && {
    if (!value_)
      std::rethrow_exception(error_);
    if constexpr (!std::is_void_v<T>)
      return T(std::move(*value_));
  }
  /// The job's exception, or nullptr when it succeeded.
  std::exception_ptr exception() const noexcept { return error_; }
  /// True when the job was cancelled.
  bool cancelled() const noexcept { return cancelled_; }

private:
  outcome() = default;
  std::optional<value_type> value_;
  std::exception_ptr error_;
  bool cancelled_ = false;
};

namespace detail {

/// Waits until every one of `children` has ended. With `fail_fast`, the first child that fails
/// (by exception or cancellation) makes it cancel the others; it waits for them to end and returns
/// that first failed child (nullptr if none). If the awaiting job is cancelled, every child is
/// cancelled and has ended before `cancelled` is raised.
inline job<record_base*> join_children(std::span<record_base* const> children, bool fail_fast) {
  std::vector<record_base*> pending(children.begin(), children.end());
  record_base* first_failure = nullptr;
  bool interrupted = false;
  try {
    while (!pending.empty() && first_failure == nullptr) {
      co_await any_of(pending);
      std::erase_if(pending, [&](record_base* r) {
        if (!r->done())
          return false;
        if (fail_fast && first_failure == nullptr && r->failed())
          first_failure = r;
        return true;
      });
    }
  } catch (const cancelled&) {
    interrupted = true;
  }
  if (interrupted || first_failure != nullptr) {
    cancel_all(pending);
    co_await shield(wait_all_ended(pending));
  }
  if (interrupted)
    throw cancelled{};
  co_return first_failure;
}

template <class... Ts>
void require_valid(const job<Ts>&... jobs) {
  if ((!jobs.valid() || ...))
    throw usage_error("libactor: gather of an empty (moved-from) job");
}

/// The value of a child that succeeded, moved out of its record (gather holds its only handle).
template <class T>
gather_value_t<T> take_value(const handle<T>& h) {
  auto& rec = record_access::of(h);
  rec.rethrow_if_failed();
  if constexpr (std::is_void_v<T>)
    return {};
  else
    return std::move(*rec.value);
}

template <class T>
outcome<T> take_outcome(const handle<T>& h) {
  try {
    return outcome<T>::success(take_value(h));
  } catch (...) {
    return outcome<T>::failure(std::current_exception());
  }
}

template <class T>
std::vector<handle<T>> spawn_each(std::vector<job<T>>& jobs) {
  for (auto& j : jobs)
    require_valid(j);
  std::vector<handle<T>> handles;
  handles.reserve(jobs.size());
  for (auto& j : jobs)
    handles.push_back(libactor::spawn(std::move(j)));
  return handles;
}

template <class Handles>
auto records_of(const Handles& handles) {
  if constexpr (requires { handles.size(); }) {
    std::vector<record_base*> recs;
    for (auto& h : handles)
      recs.push_back(&record_access::of(h));
    return recs;
  } else {
    return std::apply(
      [](auto&... h) { return std::array<record_base*, sizeof...(h)>{&record_access::of(h)...}; }, handles);
  }
}

} // namespace detail

/// Runs each job as its own actor and yields their results in argument order. The first failure
/// cancels the others; once all have ended it is rethrown with its original type.
template <class... Ts>
job<std::tuple<gather_value_t<Ts>...>> gather(job<Ts>... jobs) {
  detail::require_valid(jobs...);
  std::tuple<handle<Ts>...> handles{libactor::spawn(std::move(jobs))...};
  auto recs = detail::records_of(handles);
  auto* failed = co_await detail::join_children(recs, true);
  if (failed != nullptr)
    failed->rethrow_if_failed();
  co_return std::apply([](auto&... h) { return std::tuple<gather_value_t<Ts>...>{detail::take_value(h)...}; },
                       handles);
}

/// gather for a run-time number of jobs of one type: a vector of results in the jobs' order.
template <class T>
job<std::vector<gather_value_t<T>>> gather(std::vector<job<T>> jobs) {
  auto handles = detail::spawn_each(jobs);
  auto recs = detail::records_of(handles);
  auto* failed = co_await detail::join_children(recs, true);
  if (failed != nullptr)
    failed->rethrow_if_failed();
  std::vector<gather_value_t<T>> results;
  results.reserve(handles.size());
  for (auto& h : handles)
    results.push_back(detail::take_value(h));
  co_return results;
}

/// Like gather, but waits for every job whatever happens to the others and yields each one's
/// outcome; a child's failure is never thrown. Cancelling the gathering job still cancels all.
template <class... Ts>
job<std::tuple<outcome<Ts>...>> gather_outcomes(job<Ts>... jobs) {
  detail::require_valid(jobs...);
  std::tuple<handle<Ts>...> handles{libactor::spawn(std::move(jobs))...};
  auto recs = detail::records_of(handles);
  co_await detail::join_children(recs, false);
  co_return std::apply([](auto&... h) { return std::tuple<outcome<Ts>...>{detail::take_outcome(h)...}; },
                       handles);
}

/// gather_outcomes for a run-time number of jobs of one type.
template <class T>
job<std::vector<outcome<T>>> gather_outcomes(std::vector<job<T>> jobs) {
  auto handles = detail::spawn_each(jobs);
  auto recs = detail::records_of(handles);
  co_await detail::join_children(recs, false);
  std::vector<outcome<T>> results;
  results.reserve(handles.size());
  for (auto& h : handles)
    results.push_back(detail::take_outcome(h));
  co_return results;
}

} // namespace libactor
