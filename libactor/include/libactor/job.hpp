#pragma once
/// @file job.hpp
/// `job<T>`: libactor's coroutine type, the counterpart of a Python `async def` function.
///
/// A job is lazy: calling a job function allocates its frame and runs nothing. It starts when it is
/// awaited (`co_await f()` runs it inline in the current job, like awaiting a coroutine in Python:
/// no new actor) or spawned (`spawn(f())` runs it as its own actor). Exceptions propagate to the
/// awaiter with their original type. A job is move-only and owns its frame: destroying a job that
/// never ran, or an enclosing frame that is being torn down, frees it.
///
/// @code
/// libactor::job<int> answer() { co_await libactor::sleep(10ms); co_return 42; }
/// libactor::job<void> caller() { int x = co_await answer(); }
/// @endcode

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <utility>
#include <variant>

#include <libactor/detail/record.hpp>

namespace libactor {

/// The number of job frames alive in this process. A test can compare it before and after a
/// workload to prove that no coroutine frame leaked on any path.
std::int64_t live_job_frames() noexcept;

namespace detail {

// Out of line: g++ 12 flags an inlined class-specific operator new/delete pair as mismatched.
void* allocate_frame(std::size_t size);
void free_frame(void* p, std::size_t size) noexcept;

class promise_base {
public:
  static void* operator new(std::size_t size) { return allocate_frame(size); }
  static void operator delete(void* p, std::size_t size) noexcept { free_frame(p, size); }

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) const noexcept {
      // Inline await: hand control straight back to the awaiting coroutine (symmetric transfer,
      // no stack growth). A spawned job's root has no continuation: its actor sees done().
      if (auto next = h.promise().continuation_)
        return next;
      return std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  final_awaiter final_suspend() noexcept { return {}; }

  std::coroutine_handle<> continuation_;
  record_base* root_ = nullptr;  // set when spawned: the outcome goes to the job's record
};

template <class T>
class promise final : public promise_base {
public:
  auto get_return_object() noexcept;
  template <class U = T>
  void return_value(U&& value) {
    if (root_ != nullptr)
      static_cast<record<T>*>(root_)->value.emplace(std::forward<U>(value));
    else
      result_.template emplace<1>(std::forward<U>(value));
  }
  void unhandled_exception() noexcept {
    if (root_ != nullptr)
      root_->set_exception(std::current_exception());
    else
      result_.template emplace<2>(std::current_exception());
  }
  T take_result() {
    if (result_.index() == 2)
      std::rethrow_exception(std::get<2>(result_));
    return std::move(std::get<1>(result_));
  }

private:
  std::variant<std::monostate, T, std::exception_ptr> result_;
};

template <>
class promise<void> final : public promise_base {
public:
  auto get_return_object() noexcept;
  void return_void() noexcept {}
  void unhandled_exception() noexcept {
    if (root_ != nullptr)
      root_->set_exception(std::current_exception());
    else
      error_ = std::current_exception();
  }
  void take_result() {
    if (error_)
      std::rethrow_exception(error_);
  }

private:
  std::exception_ptr error_;
};

} // namespace detail

/// A lazily started coroutine returning `T`; see the file comment.
template <class T = void>
class [[nodiscard]] job {
public:
  using value_type = T;
  using promise_type = detail::promise<T>;

  job() noexcept = default;
  explicit job(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  job(job&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
  job& operator=(job&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
  }
  job(const job&) = delete;
  job& operator=(const job&) = delete;
  ~job() { reset(); }

  /// True when this object owns a frame (not moved from, not yet handed to spawn or awaited).
  bool valid() const noexcept { return static_cast<bool>(h_); }

  /// Runs the job inline in the awaiting job and yields its result (or rethrows its exception).
  auto operator co_await() && noexcept {
    struct awaiter {
      std::coroutine_handle<promise_type> h;
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
        h.promise().continuation_ = caller;
        return h;
      }
      T await_resume() { return h.promise().take_result(); }
    };
    return awaiter{h_};
  }

  /// Gives up ownership of the frame (used by spawn).
  std::coroutine_handle<promise_type> release() noexcept { return std::exchange(h_, nullptr); }

private:
  void reset() noexcept {
    if (h_)
      std::exchange(h_, nullptr).destroy();
  }
  std::coroutine_handle<promise_type> h_;
};

namespace detail {
template <class T>
auto promise<T>::get_return_object() noexcept {
  return job<T>{std::coroutine_handle<promise<T>>::from_promise(*this)};
}
inline auto promise<void>::get_return_object() noexcept {
  return job<void>{std::coroutine_handle<promise<void>>::from_promise(*this)};
}
} // namespace detail

} // namespace libactor
