// connection (connection.hpp): TCP through libactor streams, TLS through OpenSSL memory BIOs.

#include "connection.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>

#include <libactor/errors.hpp>
#include <libactor/http/errors.hpp>
#include <libactor/open_connection.hpp>

namespace libactor::http::detail {

namespace {

/// OpenSSL's error queue as text ("" when empty); clears it.
std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty())
      out += "; ";
    out += buf;
  }
  return out;
}

[[noreturn]] void throw_tls(const std::string& peer, const std::string& what) {
  throw error(errc::tls, "TLS with " + peer + ": " + what);
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  return !ec;
}

} // namespace

tls_context::tls_context(bool verify, const std::string& ca_file) : verify_(verify) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr)
    throw error(errc::tls, "cannot create a TLS context: " + openssl_errors());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx_, SSL_MODE_AUTO_RETRY);
  if (verify) {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    int ok = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx_)
                             : SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
    if (ok != 1) {
      auto why = openssl_errors();
      SSL_CTX_free(ctx_);
      throw error(errc::tls, ca_file.empty() ? "cannot load the system's certificate authorities: " + why
                                             : "cannot load the CA file '" + ca_file + "': " + why);
    }
  } else {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  }
}

tls_context::~tls_context() { SSL_CTX_free(ctx_); }

connection::connection(stream s, std::string peer) noexcept : stream_(std::move(s)), peer_(std::move(peer)) {}

connection::~connection() {
  if (ssl_ != nullptr)
    SSL_free(ssl_);  // frees its BIOs too
}

job<std::unique_ptr<connection>> connection::open(const url& u, const tls_context* tls) {
  std::string peer = u.host_header();
  if (u.port() == (u.is_tls() ? 443 : 80))
    peer += ":" + std::to_string(u.port());
  stream s;
  // Bounded by the session's connect timeout around us (a deadline scope), not by open_connection's own.
  const connect_options options{.timeout = std::chrono::milliseconds{0}, .stream = {}};
  try {
    s = co_await open_connection(u.host(), u.port(), options);
  } catch (const connection_error& e) {
    throw error(errc::connect, "cannot connect to " + peer + ": " + e.code().message());
  }
  std::unique_ptr<connection> c(new connection(std::move(s), std::move(peer)));
  if (u.is_tls()) {
    if (tls == nullptr)
      throw error(errc::tls, "no TLS context for " + c->peer_);
    co_await c->handshake(u, *tls);
  }
  co_return c;
}

job<void> connection::handshake(const url& u, const tls_context& tls) {
  ssl_ = SSL_new(tls.native());
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (ssl_ == nullptr || in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    throw_tls(peer_, "out of memory: " + openssl_errors());
  }
  BIO_set_mem_eof_return(in, -1);  // an empty input BIO means "wait for more", not end of stream
  SSL_set_bio(ssl_, in, out);
  SSL_set_connect_state(ssl_);
  if (is_ip_literal(u.host())) {
    // No SNI for addresses (RFC 6066); the certificate must name the IP.
    if (tls.verify())
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), u.host().c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_, u.host().c_str());
    if (tls.verify())
      SSL_set1_host(ssl_, u.host().c_str());
  }
  for (;;) {
    ERR_clear_error();
    int r = SSL_do_handshake(ssl_);
    int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, r);
    co_await flush_tls();  // the ClientHello, or an alert
    if (r == 1)
      co_return;
    if (e == SSL_ERROR_WANT_READ) {
      bool more = false;
      try {
        more = co_await fill_tls();
      } catch (const error& reset) {
        throw_tls(peer_, std::string("the connection failed during the handshake: ") + reset.what());
      }
      if (!more)
        throw_tls(peer_, "the server closed the connection during the handshake");
      continue;
    }
    long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK)
      throw_tls(peer_, std::string("certificate verification failed: ") + X509_verify_cert_error_string(verify));
    auto why = openssl_errors();
    throw_tls(peer_, "handshake failed: " + (why.empty() ? "error " + std::to_string(e) : why));
  }
}

job<void> connection::flush_tls() {
  BIO* out = SSL_get_wbio(ssl_);
  while (BIO_ctrl_pending(out) > 0) {
    char buf[16 * 1024];
    int n = BIO_read(out, buf, sizeof buf);
    if (n <= 0)
      break;
    try {
      co_await stream_.write(std::string_view(buf, static_cast<std::size_t>(n)));
    } catch (const connection_error& e) {
      throw error(errc::disconnected, "the connection to " + peer_ + " failed while sending: " + e.code().message());
    }
  }
}

job<bool> connection::fill_tls() {
  cipher_in_.resize(16 * 1024);
  std::size_t n = 0;
  try {
    n = co_await stream_.read_some(std::as_writable_bytes(std::span{cipher_in_}));
  } catch (const connection_error& e) {
    throw error(errc::disconnected, "the connection to " + peer_ + " failed: " + e.code().message());
  }
  if (n == 0)
    co_return false;
  BIO_write(SSL_get_rbio(ssl_), cipher_in_.data(), static_cast<int>(n));
  co_return true;
}

job<std::size_t> connection::read_some(std::span<char> buffer) {
  if (ssl_ == nullptr) {
    try {
      co_return co_await stream_.read_some(std::as_writable_bytes(buffer));
    } catch (const connection_error& e) {
      throw error(errc::disconnected, "the connection to " + peer_ + " failed: " + e.code().message());
    }
  }
  for (;;) {
    ERR_clear_error();
    int r = SSL_read(ssl_, buffer.data(), static_cast<int>(std::min<std::size_t>(buffer.size(), INT_MAX)));
    if (r > 0)
      co_return static_cast<std::size_t>(r);
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_ZERO_RETURN)
      co_return 0;  // close_notify
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      auto why = openssl_errors();
      throw_tls(peer_, "read failed: " + (why.empty() ? "error " + std::to_string(e) : why));
    }
    co_await flush_tls();  // TLS 1.3 may answer a key update
    if (e == SSL_ERROR_WANT_READ) {
      bool more = co_await fill_tls();
      if (!more)
        co_return 0;  // end of stream without close_notify: the HTTP framing tells whether that truncated anything
    }
  }
}

job<void> connection::write(std::string_view data) {
  if (ssl_ == nullptr) {
    try {
      co_await stream_.write(data);
    } catch (const connection_error& e) {
      throw error(errc::disconnected, "the connection to " + peer_ + " failed while sending: " + e.code().message());
    }
    co_return;
  }
  ERR_clear_error();
  // Memory BIOs take everything: SSL_write completes at once, and the ciphertext is flushed here.
  if (SSL_write(ssl_, data.data(), static_cast<int>(data.size())) <= 0)
    throw_tls(peer_, "write failed: " + openssl_errors());
  co_await flush_tls();
}

} // namespace libactor::http::detail
