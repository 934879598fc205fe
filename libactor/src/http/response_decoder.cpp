// response_decoder (response_decoder.hpp): Beast's basic_parser for the framing, zlib for the
// content codings. Failures inside Beast's callbacks are recorded as an http::error and reported
// by feed() once Beast returns.

// Boost 1.74's basic_parser asserts `n >= 5` in parse_chunk_header on valid input — an empty last
// chunk whose final CRLF arrives in a later read (boostorg/beast#2861, fixed upstream; the code after
// the assert is right). A Debug build would abort on a server's bytes, so Boost's asserts are off
// in this file — unless an assert handler is installed, as the fuzzer's (tests/fuzz) is, which
// ignores exactly that one and keeps the others.
#if !defined(BOOST_ENABLE_ASSERT_HANDLER)
#define BOOST_DISABLE_ASSERTS
#endif

#include "response_decoder.hpp"
#include "ascii.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <zlib.h>

#include <libactor/http/errors.hpp>

namespace libactor::http::detail {

namespace bhttp = boost::beast::http;
using boost::beast::error_code;
using boost::beast::string_view;

namespace {

/// Incremental gzip / zlib / raw-deflate decoding with an output bound.
class inflater {
public:
  enum class format { gzip, deflate };

  explicit inflater(format f) : format_(f) {
    if (f == format::gzip)
      init(16 + MAX_WBITS);
  }
  ~inflater() {
    if (started_)
      inflateEnd(&z_);
  }
  inflater(const inflater&) = delete;
  inflater& operator=(const inflater&) = delete;

  /// Decodes `in` onto `out`, failing once `already` + `out.size()` would exceed `limit` bytes.
  void put(std::string_view in, std::string& out, std::uint64_t already, std::uint64_t limit) {
    if (started_) {
      decode(in, out, already, limit);
      return;
    }
    // "deflate" is zlib-wrapped by the RFC, but some servers send raw deflate. The first two bytes
    // tell (a zlib header: method 8, a window of at most 32 KiB, and a check that makes it a
    // multiple of 31), so they are kept until both are in, however the reads split the body.
    if (!head_.empty() || in.size() < 2) {
      head_.append(in);
      if (head_.size() < 2)
        return;
    }
    std::string head = std::exchange(head_, {});  // usually empty: the first read had both bytes
    std::string_view body = head.empty() ? in : std::string_view(head);
    auto cmf = static_cast<unsigned char>(body[0]);
    auto flg = static_cast<unsigned char>(body[1]);
    bool zlib = (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
    init(zlib ? MAX_WBITS : -MAX_WBITS);
    decode(body, out, already, limit);
  }

  /// At the end of the body: a stream cut short is an error.
  void finish() const {
    if ((!head_.empty() || z_.total_in > 0) && !ended_)
      throw error(errc::protocol, std::string("the ") + (format_ == format::gzip ? "gzip" : "deflate") + " body is truncated");
  }

private:
  void decode(std::string_view in, std::string& out, std::uint64_t already, std::uint64_t limit) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    bool output_full = false;  // zlib may hold more output for the input it already took
    while (z_.avail_in > 0 || output_full) {
      if (ended_) {
        if (z_.avail_in == 0)
          break;
        // gzip allows several members back to back; anything else after the end is corrupt.
        if (format_ != format::gzip)
          throw error(errc::protocol, "data after the end of the deflate body");
        inflateReset(&z_);
        ended_ = false;
      }
      constexpr std::size_t step = 16 * 1024;
      auto old = out.size();
      out.resize(old + step);
      z_.next_out = reinterpret_cast<Bytef*>(out.data() + old);
      z_.avail_out = static_cast<uInt>(step);
      int r = inflate(&z_, Z_NO_FLUSH);
      output_full = z_.avail_out == 0;
      out.resize(old + (step - z_.avail_out));
      if (already + out.size() > limit)
        throw error(errc::too_large, "the decoded body exceeds max_body_size (" + std::to_string(limit) + " bytes)");
      if (r == Z_STREAM_END) {
        ended_ = true;
        output_full = false;
        continue;
      }
      if (r == Z_BUF_ERROR) {
        if (!output_full)
          break;  // needs more input
        continue;
      }
      if (r != Z_OK)
        throw error(errc::protocol, std::string("corrupt ") + (format_ == format::gzip ? "gzip" : "deflate") +
                                        " body: " + (z_.msg ? z_.msg : "zlib error " + std::to_string(r)));
    }
  }

  void init(int window_bits) {
    z_ = {};
    if (inflateInit2(&z_, window_bits) != Z_OK)
      throw std::bad_alloc();
    started_ = true;
  }

  z_stream z_{};
  format format_;
  bool started_ = false;  // deflate: once its first two bytes have told zlib from raw
  std::string head_;      // deflate: the body's first byte, until the second arrives
  bool ended_ = false;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::string describe(const error_code& ec) { return ec.message(); }

} // namespace

struct response_decoder::impl {
  /// One message's parser: Beast parsers are not reusable, and a 1xx response is followed by another.
  class parser : public bhttp::basic_parser<false> {
  public:
    explicit parser(impl& owner) : owner_(owner) {}

  private:
    void on_request_impl(bhttp::verb, string_view, string_view, int, error_code& ec) override {
      ec = bhttp::error::bad_method;  // never called for a response parser
    }
    void on_response_impl(int code, string_view reason, int version, error_code& ec) override {
      if (code < 100) {
        ec = bhttp::error::bad_status;  // Beast takes any three digits; a status is 100..999
        return;
      }
      owner_.status = code;
      owner_.reason.assign(reason.data(), reason.size());
      owner_.version = version;
      owner_.fields = {};
    }
    void on_field_impl(bhttp::field, string_view name, string_view value, error_code&) override {
      owner_.fields.add(std::string_view(name.data(), name.size()), std::string_view(value.data(), value.size()));
    }
    void on_header_impl(error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code& ec) override {
      owner_.start_body(ec);
    }
    std::size_t on_body_impl(string_view body, error_code& ec) override {
      owner_.body_bytes(std::string_view(body.data(), body.size()), ec);
      return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view body, error_code& ec) override {
      owner_.body_bytes(std::string_view(body.data(), body.size()), ec);
      return body.size();
    }
    void on_finish_impl(error_code& ec) override { owner_.finish_body(ec); }

    impl& owner_;
  };

  explicit impl(const decoder_limits& l) : limits(l) { new_parser(); }

  void new_parser() {
    p.reset();  // before the new one: a parser refers to this impl
    p = std::make_unique<parser>(*this);
    p->eager(true);
    // The head's limit is enforced in feed() (Beast 1.74 applies header_limit to the fields alone
    // when the head arrives in one piece, to the whole head otherwise): Beast's own only backs it up.
    p->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_size + 4096, UINT32_MAX)));
    p->body_limit(limits.max_body_size);  // the encoded body; the decoded one is bounded in body_bytes
    if (limits.head_request)
      p->skip(true);
    content_length.reset();
    decoder.reset();
    head_bytes = 0;
  }

  // Failures inside callbacks: kept here, signalled to Beast with any error code.
  void fail(error_code& ec, errc kind, std::string message) {
    failure.emplace(kind, std::move(message));
    ec = bhttp::error::bad_value;
  }

  void start_body(error_code& ec) {
    if (!limits.decompress)
      return;
    auto coding = trim(fields.get("Content-Encoding").value_or(""));
    try {
      if (iequals(coding, "gzip") || iequals(coding, "x-gzip"))
        decoder.emplace(inflater::format::gzip);
      else if (iequals(coding, "deflate"))
        decoder.emplace(inflater::format::deflate);
      // identity, or a coding we did not ask for: handed out as it came (Content-Encoding tells)
    } catch (const std::bad_alloc&) {
      fail(ec, errc::protocol, "out of memory for the decompressor");
    }
  }

  void body_bytes(std::string_view data, error_code& ec) {
    try {
      if (decoder) {
        auto before = body.size();
        decoder->put(data, body, total - before, limits.max_body_size);  // total - before: bytes taken already
        total += body.size() - before;
        return;
      }
      if (total + data.size() > limits.max_body_size)
        return fail(ec, errc::too_large, "the body exceeds max_body_size (" + std::to_string(limits.max_body_size) + " bytes)");
      body.append(data);
      total += data.size();
    } catch (const error& e) {
      fail(ec, e.kind(), e.what());
    }
  }

  void finish_body(error_code& ec) {
    if (!decoder)
      return;
    try {
      decoder->finish();
    } catch (const error& e) {
      fail(ec, e.kind(), e.what());
    }
  }

  [[noreturn]] void raise(const error_code& ec) {
    if (failure)
      throw *failure;
    if (ec == bhttp::error::header_limit)
      throw error(errc::too_large, "the response head exceeds max_header_size (" + std::to_string(limits.max_header_size) + " bytes)");
    if (ec == bhttp::error::body_limit)
      throw error(errc::too_large, "the body exceeds max_body_size (" + std::to_string(limits.max_body_size) + " bytes)");
    throw error(errc::protocol, "malformed response (" + describe(ec) + ")");
  }

  decoder_limits limits;
  std::unique_ptr<parser> p;
  std::optional<inflater> decoder;
  std::optional<error> failure;
  int status = 0;
  int version = 11;
  std::string reason;
  http::headers fields;
  std::optional<std::uint64_t> content_length;
  std::string body;         // decoded, not taken yet
  std::uint64_t total = 0;  // decoded, in all
  bool started = false;
  bool final_head = false;
  std::size_t head_bytes = 0;  // of the current message's head, consumed by Beast so far  // the head of the final (non-1xx) response was parsed
};

response_decoder::response_decoder(const decoder_limits& limits) : impl_(std::make_unique<impl>(limits)) {}
response_decoder::~response_decoder() = default;

std::size_t response_decoder::feed(std::string_view input) {
  auto& m = *impl_;
  if (input.empty() || m.p->is_done())
    return 0;
  m.started = true;
  std::size_t consumed = 0;
  while (consumed < input.size() && !m.p->is_done()) {
    error_code ec;
    auto rest = input.size() - consumed;
    // Until the head is complete, Beast sees at most max_header_size bytes: a head that does not
    // end within them is too large, however the bytes were split into reads.
    // (Beast may take the status line before the rest of the head has come: those bytes count.)
    const bool in_head = !m.p->is_header_done();
    const auto allowance = m.limits.max_header_size - std::min(m.head_bytes, m.limits.max_header_size);
    auto offered = in_head ? std::min(rest, allowance) : rest;
    auto n = m.p->put(boost::asio::const_buffer(input.data() + consumed, offered), ec);
    consumed += n;
    if (in_head)
      m.head_bytes += n;
    if (ec == bhttp::error::need_more) {
      if (in_head && offered == allowance && m.head_bytes + (offered - n) >= m.limits.max_header_size)
        throw error(errc::too_large, "the response head exceeds max_header_size (" +
                                         std::to_string(m.limits.max_header_size) + " bytes)");
      break;
    }
    if (ec)
      m.raise(ec);
    if (m.p->is_header_done() && !m.final_head) {
      if (m.status >= 100 && m.status < 200 && m.status != 101) {
        // An interim response (100 Continue, 103 Early Hints): the real one follows.
        if (!m.p->is_done())
          throw error(errc::protocol, "an interim " + std::to_string(m.status) + " response with a body");
        m.new_parser();
        continue;
      }
      m.final_head = true;
      if (auto length = m.p->content_length())
        m.content_length = *length;
    }
    if (n == 0)
      break;  // Beast wants more than it was given
  }
  return consumed;
}

void response_decoder::feed_eof() {
  auto& m = *impl_;
  if (m.p->is_done())
    return;
  if (!m.started)
    throw error(errc::disconnected, "the server closed the connection without answering");
  if (!m.final_head)
    throw error(errc::disconnected, "the server closed the connection in the middle of the response head");
  error_code ec;
  m.p->put_eof(ec);
  if (ec == bhttp::error::partial_message) {
    std::string where = "after " + std::to_string(m.total) + " bytes of body";
    if (m.content_length)
      where += " (Content-Length " + std::to_string(*m.content_length) + ")";
    throw error(errc::disconnected, "the server closed the connection " + where);
  }
  if (ec)
    m.raise(ec);
}

bool response_decoder::head_done() const noexcept { return impl_->final_head; }
bool response_decoder::done() const noexcept { return impl_->final_head && impl_->p->is_done(); }
bool response_decoder::started() const noexcept { return impl_->started; }
int response_decoder::status() const noexcept { return impl_->status; }
const std::string& response_decoder::reason() const noexcept { return impl_->reason; }
const http::headers& response_decoder::fields() const noexcept { return impl_->fields; }
std::optional<std::uint64_t> response_decoder::content_length() const noexcept { return impl_->content_length; }
bool response_decoder::keep_alive() const noexcept { return done() && impl_->p->keep_alive() && !impl_->p->need_eof(); }
std::string response_decoder::take_body() { return std::exchange(impl_->body, {}); }
std::size_t response_decoder::body_buffered() const noexcept { return impl_->body.size(); }
std::uint64_t response_decoder::body_total() const noexcept { return impl_->total; }

} // namespace libactor::http::detail
