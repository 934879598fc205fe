#pragma once
/// @file errors.hpp
/// The exceptions libactor throws. Jobs see them at suspension points (`co_await`).

#include <cstddef>
#include <stdexcept>
#include <string>
#include <system_error>

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

/// A network operation failed: a name that does not resolve, a refused or reset connection, a
/// socket error. `code()` holds the system error; what() names the operation and the peer.
class connection_error : public error {
public:
  /// "`what`: <the code's message>".
  connection_error(std::error_code code, const std::string& what) : error(what + ": " + code.message()), code_(code) {}
  /// `message` as given.
  connection_error(const std::string& message, std::error_code code) : error(message), code_(code) {}
  std::error_code code() const noexcept { return code_; }

private:
  std::error_code code_;
};

/// The peer closed the stream before `read_exactly` or `read_until` got what they needed
/// (asyncio.IncompleteReadError). `partial()` holds the bytes that did arrive; they are consumed.
class incomplete_read : public error {
public:
  incomplete_read(std::string partial, std::size_t expected)
    : error("libactor: stream ended after " + std::to_string(partial.size()) + " of " +
            (expected == 0 ? std::string("?") : std::to_string(expected)) + " bytes"),
      partial_(std::move(partial)), expected_(expected) {}
  const std::string& partial() const noexcept { return partial_; }
  /// The number of bytes asked for (0 for read_until, which waits for a delimiter).
  std::size_t expected() const noexcept { return expected_; }

private:
  std::string partial_;
  std::size_t expected_;
};

/// `read_until` found no delimiter within its limit (asyncio.LimitOverrunError). The data stays in
/// the stream's buffer, so a caller may still read it with read_some or read_exactly.
class limit_overrun : public error {
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
