#pragma once
/// @file async_generator.hpp
/// `async_generator<T>`: Python's async generators (`async def` with `yield`, `async for`).
///
/// The body may `co_await` anything a job can (it runs inline in the consuming job) and hands out
/// values with `co_yield`. The consumer pulls with `co_await gen.next()`, which runs the body up to
/// its next `co_yield` and returns the value, or nullopt once the body has returned; an exception
/// from the body (cancellation included) is raised by that `next()`.
///
/// Stopping early: destroying the generator (a `break` out of the loop, an exception, a
/// cancellation unwinding the consumer) destroys its suspended frame, so the destructors of the
/// body's locals run — its RAII cleanup. For cleanup that must itself `co_await`, call
/// `co_await gen.aclose()` (Python's `aclose()`): the suspended `co_yield` raises
/// `generator_exit` inside the body, whose handlers may suspend, and the body must then return.
///
/// @code
/// la::async_generator<int> numbers(int n) {
///   for (int i = 0; i < n; ++i) { co_await la::sleep(100ms); co_yield i; }
/// }
/// auto gen = numbers(5);
/// while (auto i = co_await gen.next()) std::cout << *i << '\n';
/// @endcode

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <libactor/errors.hpp>
#include <libactor/job.hpp>

namespace libactor {

/// Raised at the suspended `co_yield` of a generator that is being closed by aclose(). Like
/// `cancelled`, not a std::exception, so `catch (const std::exception&)` does not swallow it.
class generator_exit {
public:
  const char* what() const noexcept { return "libactor::generator_exit"; }
};

/// A lazily run, asynchronous sequence of `T`; see the file comment.
template <class T>
class [[nodiscard]] async_generator {
  static_assert(!std::is_reference_v<T>, "async_generator<T> yields values: use a pointer or std::reference_wrapper");

public:
  struct promise_type {
    static void* operator new(std::size_t size) { return detail::allocate_frame(size); }
    static void operator delete(void* p, std::size_t size) noexcept { detail::free_frame(p, size); }

    async_generator get_return_object() noexcept {
      return async_generator{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }

    // Back to whoever pulled: the consumer's next() (or aclose()).
    struct to_consumer {
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) const noexcept {
        return h.promise().consumer;
      }
      void await_resume() const noexcept {}
    };
    struct yielded : to_consumer {
      promise_type* self;
      void await_resume() const {  // hides to_consumer's: may raise
        if (self->closing)
          throw generator_exit{};
      }
    };
    template <class U = T>
    yielded yield_value(U&& value) {
      if (closing)
        throw usage_error("libactor: async_generator yielded a value while being closed (aclose)");
      current.emplace(std::forward<U>(value));
      return yielded{{}, this};
    }
    to_consumer final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { error = std::current_exception(); }

    std::coroutine_handle<> consumer;
    std::optional<T> current;
    std::exception_ptr error;
    bool closing = false;
  };

  async_generator() noexcept = default;
  async_generator(async_generator&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
  async_generator& operator=(async_generator&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
  }
  async_generator(const async_generator&) = delete;
  async_generator& operator=(const async_generator&) = delete;
  /// Destroys the (suspended) body: its locals' destructors run.
  ~async_generator() { reset(); }

  /// Runs the body to its next `co_yield`: the value, or nullopt once the body has returned.
  /// Rethrows the body's exception. Calling it again after the end keeps returning nullopt.
  [[nodiscard]] auto next() {
    struct awaiter {
      std::coroutine_handle<promise_type> h;
      bool await_ready() const noexcept { return !h || h.done(); }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> consumer) noexcept {
        h.promise().consumer = consumer;
        h.promise().current.reset();
        return h;
      }
      std::optional<T> await_resume() {
        if (!h)
          return std::nullopt;
        auto& p = h.promise();
        if (h.done()) {
          if (p.error)
            std::rethrow_exception(std::exchange(p.error, nullptr));
          return std::nullopt;
        }
        return std::move(p.current);
      }
    };
    return awaiter{h_};
  }

  /// Closes the generator (Python's aclose()): raises generator_exit at the suspended `co_yield`
  /// and runs the body to its end, so that its cleanup may `co_await`. An exception the cleanup
  /// raises (other than generator_exit) propagates. A generator that never started, or has ended,
  /// is just finished.
  job<void> aclose() {
    if (!h_ || h_.done() || !started()) {
      reset();
      co_return;
    }
    h_.promise().closing = true;
    co_await resume_body{h_};
    auto error = std::exchange(h_.promise().error, nullptr);
    reset();
    if (error) {
      try {
        std::rethrow_exception(error);
      } catch (const generator_exit&) {
        // the expected way out
      }
    }
  }

  /// True once the body has returned or thrown.
  bool done() const noexcept { return !h_ || h_.done(); }

private:
  explicit async_generator(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  bool started() const noexcept { return static_cast<bool>(h_.promise().consumer); }
  void reset() noexcept {
    if (h_)
      std::exchange(h_, nullptr).destroy();
  }
  struct resume_body {
    std::coroutine_handle<promise_type> h;
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> consumer) noexcept {
      h.promise().consumer = consumer;
      return h;
    }
    void await_resume() const noexcept {}
  };

  std::coroutine_handle<promise_type> h_;
};

} // namespace libactor
