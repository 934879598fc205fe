// libFuzzer target: arbitrary bytes as a server's response, fed into the client's response path
// (http::detail::response_decoder) the way the client feeds it, with its limits chosen by the input.
//
// Input layout: byte 0 picks the decoder's limits and how the stream is split, byte 1 seeds the
// split sizes; everything after is what "the server" sends (the seeds in corpus/http_response/,
// written by make_corpus.py, mostly start with 0x00 0x00: default limits, one read).
//   byte 0, bit 0     decompression off
//           bit 1     the request was a HEAD
//           bits 2-3  max_header_size: default (64 KiB), 16, 200, 4096
//           bits 4-5  max_body_size: default (256 MiB), 0, 100, 4096
//           bits 6-7  split: all at once, 1 byte per read, 1..16 bytes per read, 1..1500 bytes per read
//   byte 1, bit 0     take_body() only at the end (otherwise after every feed, as a streaming client)
//           the whole byte seeds the read sizes
//
// The harness is a client: it keeps what feed() did not consume and appends the next read to it,
// calls feed_eof() when the stream ends, and catches http::error only (anything else escapes and
// is reported by libFuzzer). Broken invariants abort with a message, which libFuzzer reports as a
// crash too, and so do Boost's (Beast's) assertions: the build defines BOOST_ENABLE_ASSERT_HANDLER.
// A split stream is received a second time in one read: both must give the same status and body,
// or both fail (the kind may differ: a malformed head that never ends is a protocol error when it
// comes in one read, but a disconnection when Beast waits for its end before parsing it).

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include <boost/assert.hpp>

#include <libactor/http/errors.hpp>

#include "response_decoder.hpp"

namespace boost {

// Beast's internal assertions stay on (an assertion is a bug found), with one exception: Boost
// 1.74's chunk parser asserts `n >= 5` when it parses a final chunk again after need_more, but a
// body that is only the final chunk gets there with n == 4 ("0\r\n" then "\r" one read later).
// The code after it handles that; the assertion was corrected upstream (boostorg/beast#2861).
void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  if (std::string_view(expr) == "n >= 5" && std::string_view(file).ends_with("beast/http/impl/basic_parser.ipp")) {
    return;
  }
  std::fprintf(stderr, "Boost assertion failed: %s in %s (%s:%ld)\n", expr, function, file, line);
  std::abort();
}

void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file, long line) {
  std::fprintf(stderr, "Boost assertion failed: %s (%s) in %s (%s:%ld)\n", expr, msg, function, file, line);
  std::abort();
}

} // namespace boost

namespace {

namespace http = libactor::http;
using http::detail::decoder_limits;
using http::detail::response_decoder;

#define FUZZ_CHECK(condition)                                                                   \
  do {                                                                                          \
    if (!(condition)) {                                                                         \
      std::fprintf(stderr, "http_response_fuzzer: invariant broken: %s (line %d)\n", #condition, \
                   __LINE__);                                                                   \
      std::abort();                                                                             \
    }                                                                                           \
  } while (false)

struct scenario {
  decoder_limits limits;
  int split = 0;             // 0 all at once, 1 one byte, 2 small reads, 3 large reads
  bool take_at_end = false;  // otherwise take_body() after every feed()
  std::minstd_rand rng;
};

scenario choose(std::uint8_t mode, std::uint8_t seed) {
  static constexpr std::size_t header_sizes[] = {64 * 1024, 16, 200, 4096};
  static constexpr std::size_t body_sizes[] = {256 * 1024 * 1024, 0, 100, 4096};
  scenario s;
  s.limits.decompress = (mode & 1) == 0;
  s.limits.head_request = (mode & 2) != 0;
  s.limits.max_header_size = header_sizes[(mode >> 2) & 3];
  s.limits.max_body_size = body_sizes[(mode >> 4) & 3];
  s.split = (mode >> 6) & 3;
  s.take_at_end = (seed & 1) != 0;
  s.rng.seed(seed + 1u);  // minstd_rand must not be seeded with 0
  return s;
}

/// The size of the next read, as a socket might deliver it.
std::size_t next_read(scenario& s, std::size_t left) {
  std::size_t n = left;
  if (s.split == 1) {
    n = 1;
  } else if (s.split == 2) {
    n = 1 + s.rng() % 16;
  } else if (s.split == 3) {
    n = 1 + s.rng() % 1500;
  }
  return n < left ? n : left;
}

/// No line break survives parsing: a field or reason that kept one could inject headers downstream.
bool one_line(std::string_view text) { return text.find_first_of("\r\n") == std::string_view::npos; }

/// Reads every accessor once the head is known (so that the sanitizers see each of them read).
void check_head(const response_decoder& d) {
  FUZZ_CHECK(d.status() >= 100 && d.status() <= 999);
  FUZZ_CHECK(one_line(d.reason()));
  for (const auto& [name, value] : d.fields()) {
    FUZZ_CHECK(!name.empty() && one_line(name) && one_line(value));
  }
  (void)d.content_length();
}

/// What a client ends up with: a complete response's status and body, or the kind of error.
struct outcome {
  int status = 0;
  std::string body;
  std::optional<http::errc> error;
  /// The same response, or a failure both.
  bool same(const outcome& o) const {
    return error ? o.error.has_value() : !o.error && status == o.status && body == o.body;
  }
};

class client {
public:
  explicit client(const scenario& s) : s_(s), decoder_(s.limits) {}

  /// Feeds the whole stream, then the end of the connection.
  void run(std::string_view stream) {
    std::string pending;  // received, not consumed yet: an incomplete element
    while (!stream.empty() && !decoder_.done()) {
      const std::size_t n = next_read(s_, stream.size());
      pending.append(stream.substr(0, n));
      stream.remove_prefix(n);
      feed(pending);
    }
    if (decoder_.done()) {
      after_done(pending);
      return;
    }
    at_eof_ = true;
    decoder_.feed_eof();
    // feed_eof() either throws or completes the response (a body delimited by the connection's end).
    FUZZ_CHECK(decoder_.done());
    FUZZ_CHECK(!decoder_.keep_alive());  // the connection ended: it cannot carry another request
    after_done(pending);
  }

  /// The stream has ended and feed_eof() was called.
  bool at_eof() const noexcept { return at_eof_; }

  /// After run(): the response received.
  outcome result() const { return outcome{decoder_.status(), body_, std::nullopt}; }

private:
  void feed(std::string& pending) {
    const std::uint64_t total_before = decoder_.body_total();
    const std::size_t consumed = decoder_.feed(pending);
    FUZZ_CHECK(consumed <= pending.size());
    consumed_ += consumed;
    if (consumed_ > 0) {
      FUZZ_CHECK(decoder_.started());
    }
    pending.erase(0, consumed);
    FUZZ_CHECK(decoder_.body_total() >= total_before);
    FUZZ_CHECK(decoder_.body_total() <= s_.limits.max_body_size);
    FUZZ_CHECK(!decoder_.done() || decoder_.head_done());
    if (decoder_.head_done()) {
      check_head(decoder_);
    }
    if (!decoder_.done() && !pending.empty()) {
      // The contract: an unconsumed tail is an incomplete element, so without new bytes it stays.
      FUZZ_CHECK(decoder_.feed(pending) == 0);
    }
    if (!s_.take_at_end) {
      take();
    }
  }

  void take() {
    const std::size_t buffered = decoder_.body_buffered();
    const std::string body = decoder_.take_body();
    FUZZ_CHECK(body.size() == buffered);
    FUZZ_CHECK(decoder_.body_buffered() == 0);
    body_ += body;
    FUZZ_CHECK(body_.size() == decoder_.body_total());
    FUZZ_CHECK(body_.size() <= s_.limits.max_body_size);
  }

  /// A complete response: nothing more goes in, and what came out is consistent with the head.
  void after_done(const std::string& pending) {
    FUZZ_CHECK(decoder_.head_done());
    check_head(decoder_);
    take();
    const std::uint64_t total = decoder_.body_total();
    if (!pending.empty()) {
      FUZZ_CHECK(feed_after_done(pending) == 0);  // the next response's bytes stay with the client
    }
    FUZZ_CHECK(feed_after_done("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx") == 0);
    FUZZ_CHECK(decoder_.done());
    FUZZ_CHECK(decoder_.body_total() == total);
    FUZZ_CHECK(decoder_.take_body().empty());
    const int status = decoder_.status();
    FUZZ_CHECK(status < 100 || status > 199 || status == 101);  // a 1xx other than 101 is never final
    // These never have a body, whatever the head says (101: the connection now speaks another protocol).
    const bool bodiless = status == 101 || status == 204 || status == 304 || s_.limits.head_request;
    if (bodiless) {
      FUZZ_CHECK(total == 0);
    }
    // An unencoded body framed by Content-Length is exactly that long.
    const auto length = decoder_.content_length();
    const bool encoded = s_.limits.decompress && decoder_.fields().contains("Content-Encoding");
    if (length && !encoded && !bodiless) {
      FUZZ_CHECK(total == *length);
    }
  }

  /// feed() on a complete response: consumes nothing, and has nothing to fail on.
  std::size_t feed_after_done(std::string_view input) {
    try {
      return decoder_.feed(input);
    } catch (const http::error& e) {
      std::fprintf(stderr, "http_response_fuzzer: feed() after done() threw: %s\n", e.what());
      std::abort();
    }
  }

  scenario s_;
  response_decoder decoder_;
  std::uint64_t consumed_ = 0;
  std::string body_;  // taken so far
  bool at_eof_ = false;
};

/// What the client may see fail: malformed HTTP or encoding, a passed limit, and (at the end of
/// the connection only) an incomplete response.
void check_error(const http::error& e, bool at_eof) {
  const auto kind = e.kind();
  FUZZ_CHECK(kind == http::errc::protocol || kind == http::errc::too_large ||
             (at_eof && kind == http::errc::disconnected));
  FUZZ_CHECK(std::string_view(e.what()).size() > 0);
}

outcome receive(const scenario& s, std::string_view stream) {
  client c(s);
  try {
    c.run(stream);
  } catch (const http::error& e) {
    check_error(e, c.at_eof());
    return outcome{0, {}, e.kind()};
  }
  return c.result();
}

void print(const char* what, const outcome& o) {
  std::fprintf(stderr, "  %s: status %d, %zu body bytes, error %s\n", what, o.status, o.body.size(),
               o.error ? http::to_string(*o.error) : "none");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return -1;  // not even the scenario: keep such inputs out of the corpus
  }
  const scenario s = choose(data[0], data[1]);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2, size - 2);
  const outcome got = receive(s, stream);
  if (s.split != 0) {
    // However the bytes were split, the client must end up with the same response, or fail both times.
    scenario whole = s;
    whole.split = 0;
    const outcome reference = receive(whole, stream);
    if (!got.same(reference)) {
      std::fprintf(stderr, "http_response_fuzzer: the split changed the outcome\n");
      print("split reads", got);
      print("one read", reference);
      std::abort();
    }
  }
  return 0;
}
