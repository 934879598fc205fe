#pragma once
/// @file errors.hpp
/// The exceptions libactor throws. Jobs see them at suspension points (`co_await`).

#include <stdexcept>
#include <string>

namespace libactor {

/// Raised inside a job at a suspension point once the job has been cancelled.
///
/// Deliberately *not* derived from std::exception: a generic `catch (const std::exception&)`
/// must not swallow a cancellation (the same reason asyncio made CancelledError a
/// BaseException). Cancellation is level-triggered: even if user code does swallow it with
/// `catch (...)`, the job's next suspension point raises it again.
class cancelled {
public:
  /// A fixed description, for logs.
  const char* what() const noexcept { return "libactor::cancelled"; }
};

/// Base of libactor's runtime errors.
class error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A timed operation (`receive` with a timeout, `ask`) ran out of time.
class timeout_error : public error {
public:
  using error::error;
};

/// An `ask` that cannot be answered: the target was not running, ended before replying,
/// dropped the request without replying, or replied with another type.
class ask_error : public error {
public:
  using error::error;
};

/// A queue was closed or shut down: `put` on it fails, and so does `get` once no item is left
/// (at once after an immediate shutdown). Also raised in producers and consumers that were waiting.
class queue_closed : public error {
public:
  using error::error;
};

/// A barrier was aborted (or reset) while jobs were waiting on it, or is waited on while broken.
class broken_barrier : public error {
public:
  using error::error;
};

/// The API was used where it cannot work, e.g. `sleep` outside a job or `spawn` without a
/// runtime. Always a programming error, reported clearly instead of crashing.
class usage_error : public std::logic_error {
public:
  using std::logic_error::logic_error;
};

/// `run`'s configuration (code, flags or environment) is invalid.
class config_error : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

} // namespace libactor
