#pragma once
// exchange: one request and its response on one pooled connection — sending, reading the head,
// then handing out the body piece by piece — with the connect, read and total timeouts applied.
// The connection goes back to the pool when the body has been read to its end; on any failure,
// cancellation or early release it is closed, so a half-read connection is never reused.

#include <memory>
#include <optional>
#include <span>
#include <string>

#include <libactor/http/options.hpp>
#include <libactor/http/url.hpp>
#include <libactor/job.hpp>
#include <libactor/time.hpp>

#include "connection.hpp"
#include "pool.hpp"
#include "response_decoder.hpp"

namespace libactor::http::detail {

/// The deadlines of one fetch (total spans redirects, retries and the body).
struct fetch_deadlines {
  http::timeouts timeouts;
  clock::time_point total = clock::time_point::max();
};

class exchange {
public:
  /// Sends `wire` (a serialized request) to `target` and reads the response head. A kept-alive
  /// connection found closed before any response byte arrived is replaced once, transparently, when
  /// `idempotent`. Throws http::error.
  static job<std::unique_ptr<exchange>> start(std::shared_ptr<pool> p, const url& target, std::string wire,
                                              bool idempotent, bool head_request, fetch_deadlines deadlines);
  ~exchange();

  const response_decoder& decoder() const noexcept { return decoder_; }
  /// The next piece of the decoded body, or nullopt at its end (the connection is back in the pool then).
  job<std::optional<std::string>> next_chunk();
  /// Ends the exchange: the connection goes back to the pool if the response was read to its end
  /// (and allows keep-alive), else it is closed. Idempotent.
  void finish() noexcept;

private:
  exchange(std::shared_ptr<pool> p, std::unique_ptr<connection> c, const decoder_limits& limits,
           fetch_deadlines deadlines, std::string url);
  /// Reads once from the connection and feeds the decoder (within the read and total timeouts).
  job<void> read_more();
  [[noreturn]] void throw_timeout(bool total) const;

  std::shared_ptr<pool> pool_;
  std::unique_ptr<connection> conn_;
  response_decoder decoder_;
  fetch_deadlines deadlines_;
  std::string url_;  // for messages
};

} // namespace libactor::http::detail
