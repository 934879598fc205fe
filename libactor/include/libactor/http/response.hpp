#pragma once
/// @file http/response.hpp
/// `http::response`: the status and headers of a fetch, and its body — read whole or streamed.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <libactor/async_generator.hpp>
#include <libactor/http/headers.hpp>
#include <libactor/http/url.hpp>
#include <libactor/job.hpp>

namespace libactor::http {

namespace detail {
class exchange;
}

/// The head of a response: what a redirect left in history().
struct response_head {
  int status = 0;
  std::string reason;
  http::url url;  ///< the URL that answered
  http::headers headers;
};

/// A response whose head has arrived. The body is read with body(), read_chunk() or chunks(),
/// each bounded by the session's max_body_size and decoded (gzip, deflate) unless decompression
/// was turned off. The connection goes back to the session's pool once the whole response has
/// arrived — read to its end, or already received whole when the response is released; a response
/// released or destroyed while part of it is still to come closes its connection instead (nothing
/// half-read is ever reused).
class response {
public:
  response(response&&) noexcept;
  response& operator=(response&&) noexcept;
  ~response();

  int status() const noexcept { return head_.status; }
  const std::string& reason() const noexcept { return head_.reason; }
  /// The final URL, after redirects.
  const http::url& url() const noexcept { return head_.url; }
  const http::headers& headers() const noexcept { return head_.headers; }
  /// The redirects followed to get here, first one first (aiohttp's history).
  const std::vector<response_head>& history() const noexcept { return history_; }
  /// The Content-Length the server announced, if any (of the encoded body).
  std::optional<std::uint64_t> content_length() const noexcept;
  /// True for a status below 400.
  bool ok() const noexcept { return head_.status < 400; }
  /// Throws http::error (errc::status) for a 4xx or 5xx status.
  void raise_for_status() const;

  /// The rest of the body, whole (aiohttp's read()).
  job<std::string> body();
  /// The next piece of the body as it arrives, or nullopt at its end.
  job<std::optional<std::string>> read_chunk();
  /// The body as an async generator of pieces (aiohttp's `async for chunk in resp.content.iter_any()`).
  async_generator<std::string> chunks();
  /// True once the body has been read to its end.
  bool complete() const noexcept;
  /// Bytes of (decoded) body handed out so far.
  std::uint64_t bytes_read() const noexcept;
  /// Gives the connection back — to the pool if the body was read to its end, else it is closed.
  /// The destructor does this too.
  void release() noexcept;

  /// libactor's own: built by session.
  response(response_head head, std::vector<response_head> history, std::unique_ptr<detail::exchange> body);

private:
  response_head head_;
  std::vector<response_head> history_;
  std::unique_ptr<detail::exchange> exchange_;
};

} // namespace libactor::http
