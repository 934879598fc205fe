#pragma once
// response_decoder: the client's whole response path short of the socket. Bytes go in as they
// arrive (any split); out come the head (status, reason, fields) and the body, de-chunked and
// decompressed, each bounded. HTTP parsing is Beast's (basic_parser); decompression is zlib's.
//
// It owns no socket and needs no runtime, so the libFuzzer target (tests/fuzz) drives exactly this
// code with arbitrary bytes.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <libactor/http/headers.hpp>

namespace libactor::http::detail {

struct decoder_limits {
  std::size_t max_header_size = 64 * 1024;
  std::size_t max_body_size = 256 * 1024 * 1024;  // decoded
  bool decompress = true;
  bool head_request = false;                     // a response to HEAD has no body, whatever it says
};

class response_decoder {
public:
  explicit response_decoder(const decoder_limits& limits);
  ~response_decoder();
  response_decoder(const response_decoder&) = delete;
  response_decoder& operator=(const response_decoder&) = delete;

  /// Parses a prefix of `input`; returns how many bytes it consumed. Call again with the rest
  /// plus new bytes: an unconsumed tail is an incomplete element waiting for more. After done(),
  /// consumes nothing. Throws http::error: errc::protocol for malformed HTTP or a corrupt encoded
  /// body, errc::too_large when a limit is passed.
  std::size_t feed(std::string_view input);
  /// The connection ended. Completes a body delimited by the end of the connection; anywhere else
  /// throws http::error (errc::disconnected, naming where it stopped).
  void feed_eof();

  /// The final (non-1xx) status line and header block have been parsed.
  bool head_done() const noexcept;
  /// The whole response, body included, has been parsed.
  bool done() const noexcept;
  /// Any byte of the response has been consumed (a kept-alive connection that fails before that
  /// may be retried transparently).
  bool started() const noexcept;

  int status() const noexcept;
  const std::string& reason() const noexcept;
  const http::headers& fields() const noexcept;
  std::optional<std::uint64_t> content_length() const noexcept;
  /// After done(): the connection may carry another request (HTTP/1.1 without Connection: close,
  /// or HTTP/1.0 with keep-alive, and a body framed by length or chunks).
  bool keep_alive() const noexcept;

  /// Decoded body bytes produced since the last call.
  std::string take_body();
  /// Decoded body bytes not taken yet.
  std::size_t body_buffered() const noexcept;
  /// Decoded body bytes produced in all.
  std::uint64_t body_total() const noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace libactor::http::detail
