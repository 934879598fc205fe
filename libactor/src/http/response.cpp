// http::response (response.hpp): the head, plus the exchange that reads the body.

#include <libactor/http/response.hpp>

#include <libactor/http/errors.hpp>

#include "exchange.hpp"

namespace libactor::http {

response::response(response_head head, std::vector<response_head> history, std::unique_ptr<detail::exchange> body)
  : head_(std::move(head)), history_(std::move(history)), exchange_(std::move(body)) {}

response::response(response&&) noexcept = default;

response& response::operator=(response&& other) noexcept {
  if (this != &other) {
    release();
    head_ = std::move(other.head_);
    history_ = std::move(other.history_);
    exchange_ = std::move(other.exchange_);
  }
  return *this;
}

response::~response() { release(); }

std::optional<std::uint64_t> response::content_length() const noexcept {
  return exchange_ ? exchange_->decoder().content_length() : std::nullopt;
}

void response::raise_for_status() const {
  if (!ok())
    throw error(errc::status, head_.url.str() + ": HTTP " + std::to_string(head_.status) + " " + head_.reason);
}

job<std::optional<std::string>> response::read_chunk() {
  if (exchange_ == nullptr)
    throw usage_error("libactor: reading the body of an HTTP response that was released or moved from");
  return exchange_->next_chunk();
}

job<std::string> response::body() {
  std::string all;
  for (;;) {
    auto piece = co_await read_chunk();
    if (!piece)
      co_return all;
    if (all.empty())
      all = std::move(*piece);
    else
      all += *piece;
  }
}

async_generator<std::string> response::chunks() {
  for (;;) {
    auto piece = co_await read_chunk();
    if (!piece)
      co_return;
    co_yield std::move(*piece);
  }
}

bool response::complete() const noexcept { return exchange_ != nullptr && exchange_->decoder().done() && exchange_->decoder().body_buffered() == 0; }

std::uint64_t response::bytes_read() const noexcept {
  return exchange_ ? exchange_->decoder().body_total() - exchange_->decoder().body_buffered() : 0;
}

void response::release() noexcept {
  if (exchange_ != nullptr)
    exchange_->finish();
}

} // namespace libactor::http
