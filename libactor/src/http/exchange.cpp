// exchange (exchange.hpp).

#include "exchange.hpp"

#include <libactor/deadline.hpp>
#include <libactor/errors.hpp>
#include <libactor/http/errors.hpp>

namespace libactor::http::detail {

namespace {

/// now + `timeout`, or no deadline for a zero timeout; never later than `cap`.
clock::time_point deadline_after(clock::duration timeout, clock::time_point cap) {
  if (timeout <= clock::duration::zero())
    return cap;
  return std::min(clock::now() + timeout, cap);
}

std::string milliseconds(clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

} // namespace

exchange::exchange(std::shared_ptr<pool> p, std::unique_ptr<connection> c, const decoder_limits& limits,
                   fetch_deadlines deadlines, std::string url)
  : pool_(std::move(p)), conn_(std::move(c)), decoder_(limits), deadlines_(deadlines), url_(std::move(url)) {}

exchange::~exchange() { finish(); }

void exchange::finish() noexcept {
  if (conn_ != nullptr)
    pool_->release(std::move(conn_), decoder_.done() && decoder_.keep_alive());
}

void exchange::throw_timeout(bool total) const {
  if (total)
    throw error(errc::timeout, url_ + ": the total timeout (" + milliseconds(deadlines_.timeouts.total) + ") passed");
  throw error(errc::timeout, url_ + ": no data from the server within the read timeout (" +
                                 milliseconds(deadlines_.timeouts.read) + ")");
}

job<void> exchange::read_more() {
  auto& in = conn_->input;
  auto deadline = deadline_after(deadlines_.timeouts.read, deadlines_.total);
  std::span<char> space = conn_->read_buffer();
  std::size_t n = 0;
  try {
    n = co_await fail_at(deadline, conn_->read_some(space));
  } catch (const timeout_error&) {
    throw_timeout(deadline == deadlines_.total);
  } catch (const error& e) {
    throw error(e.kind(), url_ + ": " + e.what());
  }
  try {
    if (n == 0) {
      decoder_.feed_eof();
      co_return;
    }
    if (in.empty()) {
      // The common case: feed straight from the read buffer, keep only an incomplete tail.
      auto used = decoder_.feed(std::string_view(space.data(), n));
      in.assign(space.data() + used, n - used);
    } else {
      in.append(space.data(), n);
      in.erase(0, decoder_.feed(in));
    }
  } catch (const error& e) {
    throw error(e.kind(), url_ + ": " + e.what());
  }
}

job<std::unique_ptr<exchange>> exchange::start(std::shared_ptr<pool> p, const url& target, std::string wire,
                                               bool idempotent, bool head_request, fetch_deadlines deadlines) {
  const auto& o = p->options();
  const decoder_limits limits{o.max_header_size, o.max_body_size, o.decompress, head_request};
  for (bool first_try = true;; first_try = false) {
    auto connect_deadline = deadline_after(deadlines.timeouts.connect, deadlines.total);
    std::unique_ptr<connection> c;
    try {
      c = co_await fail_at(connect_deadline, p->acquire(target, !first_try));
    } catch (const timeout_error&) {
      if (connect_deadline == deadlines.total)
        throw error(errc::timeout, target.str() + ": the total timeout (" + milliseconds(deadlines.timeouts.total) + ") passed");
      throw error(errc::timeout, target.str() + ": no connection within the connect timeout (" +
                                     milliseconds(deadlines.timeouts.connect) + ")");
    } catch (const error& e) {
      throw error(e.kind(), target.str() + ": " + e.what());
    }
    const bool reused = c->requests > 0;
    ++c->requests;
    std::unique_ptr<exchange> ex(new exchange(p, std::move(c), limits, deadlines, target.str()));
    try {
      try {
        co_await fail_at(deadlines.total, ex->conn_->write(wire));
      } catch (const timeout_error&) {
        ex->throw_timeout(true);
      }
      while (!ex->decoder_.head_done())
        co_await ex->read_more();
      co_return ex;
    } catch (const error& e) {
      // A kept-alive connection the server had closed meanwhile: nothing of this request was
      // processed, so an idempotent one goes again on a fresh connection — once.
      bool stale = reused && first_try && idempotent && e.kind() == errc::disconnected && !ex->decoder_.started();
      if (!stale)
        throw;
    }
    p->count_stale();  // `ex` closes the stale connection as this iteration ends
  }
}

job<std::optional<std::string>> exchange::next_chunk() {
  for (;;) {
    if (decoder_.body_buffered() > 0)
      co_return decoder_.take_body();
    if (decoder_.done()) {
      finish();
      co_return std::nullopt;
    }
    if (conn_ == nullptr)
      throw usage_error("libactor: reading the body of an HTTP response that was released");
    try {
      co_await read_more();
    } catch (...) {
      finish();  // failed or cancelled mid-body: closed, never pooled
      throw;
    }
  }
}

} // namespace libactor::http::detail
