#pragma once
// connection: one HTTP/1.1 connection of a session's pool — a libactor stream, with TLS on top for
// https. TLS is OpenSSL driven through memory BIOs: ciphertext moves over the stream with its usual
// cancellation safety (a job interrupted mid-read loses nothing), and OpenSSL never touches the
// socket. (Asio's ssl::stream needs an Asio stream, and would hold a job's buffers across waits.)

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <libactor/http/url.hpp>
#include <libactor/job.hpp>
#include <libactor/stream.hpp>
#include <libactor/time.hpp>

using SSL = struct ssl_st;
using SSL_CTX = struct ssl_ctx_st;

namespace libactor::http::detail {

/// A session's TLS settings as an OpenSSL context: trust store, verification, protocol floor.
class tls_context {
public:
  /// Throws http::error (errc::tls) when `ca_file` cannot be loaded.
  tls_context(bool verify, const std::string& ca_file);
  ~tls_context();
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;
  SSL_CTX* native() const noexcept { return ctx_; }
  bool verify() const noexcept { return verify_; }

private:
  SSL_CTX* ctx_ = nullptr;
  bool verify_;
};

class connection {
public:
  /// Connects to `u`'s host and port and, for https, completes the TLS handshake (verifying the
  /// certificate against `u`'s host, with SNI). Bounded by the caller's deadline scopes.
  /// Throws http::error (connect, tls, disconnected).
  static job<std::unique_ptr<connection>> open(const url& u, const tls_context* tls);

  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Reads decrypted bytes into `buffer`; 0 at end of stream. Throws http::error (disconnected, tls).
  job<std::size_t> read_some(std::span<char> buffer);
  /// Sends `data` (encrypted for https). Throws http::error (disconnected, tls).
  job<void> write(std::string_view data);
  /// Closes at once (no TLS close_notify: the connection is being dropped, not ended politely).
  void abort() noexcept { stream_.abort(); }
  bool is_open() const noexcept { return stream_.is_open(); }

  /// Scratch space for one read (allocated once, never zero-filled again).
  std::span<char> read_buffer() {
    if (!read_buffer_)
      read_buffer_ = std::make_unique_for_overwrite<char[]>(read_buffer_size);
    return {read_buffer_.get(), read_buffer_size};
  }

  /// The peer, for error messages ("host:port").
  const std::string& peer() const noexcept { return peer_; }

  // Used by the pool and the exchange that holds the connection.
  std::string key;                  // pool key: scheme://host:port
  std::string input;                // bytes read but not consumed by a response decoder yet
  std::uint64_t requests = 0;       // requests sent on this connection so far
  clock::time_point idle_since{};   // when it went back to the pool

private:
  connection(stream s, std::string peer) noexcept;
  job<void> handshake(const url& u, const tls_context& tls);
  /// Sends the ciphertext OpenSSL has produced.
  job<void> flush_tls();
  /// Reads ciphertext from the stream into OpenSSL; false at end of stream.
  job<bool> fill_tls();

  static constexpr std::size_t read_buffer_size = 16 * 1024;
  stream stream_;
  std::string peer_;
  std::unique_ptr<char[]> read_buffer_;
  SSL* ssl_ = nullptr;
  std::string cipher_in_;  // scratch for ciphertext reads
};

} // namespace libactor::http::detail
