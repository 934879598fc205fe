// http::session (session.hpp): requests, redirects and retries over the pool.

#include <libactor/http/session.hpp>

#include <algorithm>
#include <random>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>

#include <libactor/errors.hpp>
#include <libactor/time.hpp>

#include "ascii.hpp"
#include "exchange.hpp"
#include "pool.hpp"

namespace libactor::http {

namespace bhttp = boost::beast::http;
using detail::iequals;

namespace {

/// RFC 9110 token characters (method and field names).
bool is_token(std::string_view s) noexcept {
  constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](unsigned char c) {
    return std::isalnum(c) || extra.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

bool is_field_value(std::string_view s) noexcept {
  return std::none_of(s.begin(), s.end(), [](unsigned char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

/// What a request becomes on the wire, through Beast's serializer.
std::string serialize(const std::string& method, const url& target, const headers& fields, const std::string& body,
                      bool decompress) {
  if (!is_token(method))
    throw usage_error("libactor: invalid HTTP method '" + method + "'");
  bhttp::request<bhttp::string_body> msg;
  msg.method_string({method.data(), method.size()});
  msg.target({target.target().data(), target.target().size()});
  msg.version(11);
  msg.set(bhttp::field::host, target.host_header());
  for (const auto& [name, value] : fields) {
    if (!is_token(name) || !is_field_value(value))
      throw usage_error("libactor: invalid HTTP header field '" + name + "' (a token name, no CR, LF or NUL in the value)");
    for (auto reserved : {"Host", "Content-Length", "Transfer-Encoding", "Connection"})
      if (iequals(name, reserved))
        throw usage_error("libactor: the header field " + name + " is set by the HTTP client");
    msg.insert({name.data(), name.size()}, {value.data(), value.size()});
  }
  if (!fields.contains("User-Agent"))
    msg.set(bhttp::field::user_agent, "libactor/0.1");
  if (!fields.contains("Accept"))
    msg.set(bhttp::field::accept, "*/*");
  if (decompress && !fields.contains("Accept-Encoding"))
    msg.set(bhttp::field::accept_encoding, "gzip, deflate");
  msg.body() = body;
  msg.prepare_payload();

  std::string wire;
  wire.reserve(256 + body.size());
  bhttp::request_serializer<bhttp::string_body> sr{msg};
  boost::beast::error_code ec;
  while (!sr.is_done()) {
    sr.next(ec, [&](boost::beast::error_code&, const auto& buffers) {
      for (auto b : boost::beast::buffers_range_ref(buffers))
        wire.append(static_cast<const char*>(b.data()), b.size());
      sr.consume(boost::beast::buffer_bytes(buffers));
    });
    if (ec)
      throw usage_error("libactor: cannot serialize the HTTP request: " + ec.message());
  }
  return wire;
}

bool is_redirect(int status) noexcept {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

bool retry_status(int status) noexcept { return status == 429 || status == 502 || status == 503 || status == 504; }

bool retry_error(errc kind) noexcept {
  return kind == errc::connect || kind == errc::timeout || kind == errc::disconnected;
}

/// The wait before retry number `retry` (0-based): exponential, capped, with full jitter.
clock::duration backoff(const retry_policy& policy, unsigned retry) {
  double wait = std::chrono::duration<double>(policy.initial_backoff).count();
  double cap = std::chrono::duration<double>(policy.max_backoff).count();
  for (unsigned i = 0; i < retry && wait < cap; ++i)
    wait *= policy.multiplier;
  wait = std::clamp(wait, 0.0, cap);
  if (policy.jitter) {
    thread_local std::minstd_rand rng{std::random_device{}()};
    wait = std::uniform_real_distribution<double>(0.0, wait)(rng);
  }
  return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(wait));
}

/// One request with its redirects: what a session sends for each try.
struct fetch_plan {
  std::string method;
  url target;
  headers fields;
  std::string body;
  bool idempotent;
  unsigned max_redirects;
  detail::fetch_deadlines deadlines;
};

/// Rewrites `plan` to follow a redirect with `status` to `next` (RFC 9110 §15.4, as browsers and aiohttp do).
void follow(fetch_plan& plan, int status, url next) {
  bool to_get = (status == 303 && !iequals(plan.method, "HEAD")) ||
                ((status == 301 || status == 302) && iequals(plan.method, "POST"));
  if (to_get) {
    plan.method = "GET";
    plan.body.clear();
    plan.fields.remove("Content-Type");
    plan.idempotent = true;
  }
  if (!plan.target.same_origin(next)) {
    plan.fields.remove("Authorization");  // credentials are for the origin they were given to
    plan.fields.remove("Cookie");
  }
  plan.target = std::move(next);
}

response_head head_of(const detail::exchange& ex, const url& at) {
  const auto& d = ex.decoder();
  return response_head{d.status(), d.reason(), at, d.fields()};
}

/// One try: the request and the redirects it leads to. Throws http::error.
job<response> fetch_once(std::shared_ptr<detail::pool> pool, const fetch_plan& original) {
  fetch_plan plan = original;  // a copy it rewrites per redirect (an aggregate: taken by reference, pitfall 4)
  std::vector<response_head> history;
  const bool decompress = pool->options().decompress;
  for (;;) {
    auto wire = serialize(plan.method, plan.target, plan.fields, plan.body, decompress);
    auto ex = co_await detail::exchange::start(pool, plan.target, std::move(wire), plan.idempotent,
                                               iequals(plan.method, "HEAD"), plan.deadlines);
    int status = ex->decoder().status();
    auto location = ex->decoder().fields().get("Location");
    if (!is_redirect(status) || !location || plan.max_redirects == 0) {
      auto head = head_of(*ex, plan.target);  // before the move below: arguments have no order
      co_return response(std::move(head), std::move(history), std::move(ex));
    }
    if (history.size() >= plan.max_redirects)
      throw error(errc::too_many_redirects, plan.target.str() + ": more than " + std::to_string(plan.max_redirects) +
                                               " redirects (the last to " + std::string(*location) + ")");
    url next = plan.target.resolve(*location);
    history.push_back(head_of(*ex, plan.target));
    ex->finish();  // pooled if the (small) redirect body had arrived whole, else closed
    follow(plan, status, std::move(next));
  }
}

} // namespace

session::session(session_options options) : pool_(std::make_shared<detail::pool>(std::move(options))) {}
session::session(session&&) noexcept = default;
session& session::operator=(session&& other) noexcept {
  if (this != &other) {
    if (pool_)
      pool_->close();
    pool_ = std::move(other.pool_);
  }
  return *this;
}
session::~session() {
  if (pool_)
    pool_->close();
}

const session_options& session::options() const noexcept { return pool_->options(); }
pool_stats session::stats() const noexcept { return pool_ ? pool_->stats() : pool_stats{}; }

job<void> session::close() {
  if (pool_)
    pool_->close();
  co_return;
}

job<response> session::get(std::string url) { return send(request("GET", std::move(url))); }

job<response> session::send(request req) {
  if (pool_ == nullptr)
    throw usage_error("libactor: send on a moved-from http::session");
  auto pool = pool_;  // the session object may go away while this runs
  const auto& o = pool->options();
  fetch_plan plan{req.method_, url::parse(req.url_), std::move(req.headers_), std::move(req.body_),
                  req.is_idempotent(), req.max_redirects_.value_or(o.max_redirects), {}};
  plan.deadlines.timeouts = req.timeouts_.value_or(o.timeouts);
  if (plan.deadlines.timeouts.total > clock::duration::zero())
    plan.deadlines.total = clock::now() + plan.deadlines.timeouts.total;
  const retry_policy retry = req.retry_.value_or(o.retry);

  for (unsigned attempt = 0;; ++attempt) {
    const bool may_retry = plan.idempotent && attempt < retry.attempts;
    std::optional<response> answer;
    std::exception_ptr failure;
    try {
      answer.emplace(co_await fetch_once(pool, plan));
    } catch (const error& e) {
      if (!may_retry || !retry_error(e.kind()))
        throw;
      failure = std::current_exception();
    }
    if (answer && (!may_retry || !retry_status(answer->status())))
      co_return std::move(*answer);
    auto wait = backoff(retry, attempt);
    if (clock::now() + wait >= plan.deadlines.total) {
      // No time for another try: what this one got is the outcome, as when the attempts run out.
      if (answer)
        co_return std::move(*answer);
      std::rethrow_exception(failure);
    }
    answer.reset();  // a retried status: its connection is closed (or pooled if complete)
    co_await sleep(wait);
  }
}

} // namespace libactor::http
