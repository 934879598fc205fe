#pragma once
/// @file http/fetch_service.hpp
/// `fetch_service`: a job that fetches URLs for other jobs, which `ask` it — one session, one
/// connection pool and one set of limits shared by everything that asks.
///
/// Each request runs as a child job of the service, so fetches proceed concurrently up to the
/// pool's limits; every answer is a `fetch_result`, failures included (the asker never has to
/// catch an http::error). Stopping the service cancels the fetches in flight: their askers get
/// ask_error.
///
/// @code
/// auto svc = la::http::fetch_service::start({.limit_per_host = 4});
/// la::http::fetch_result r = co_await svc.fetch("http://127.0.0.1:8080/");
/// co_await svc.stop();
/// @endcode

#include <cstdint>
#include <optional>
#include <string>

#include <libactor/handle.hpp>
#include <libactor/http/errors.hpp>
#include <libactor/http/options.hpp>
#include <libactor/job.hpp>

namespace libactor::http {

/// The message a fetch_service answers (ask<fetch_result>). Has a constructor on purpose
/// (docs/coding-style.md, pitfall 4).
struct fetch_request {
  explicit fetch_request(std::string u, bool keep = false) : url(std::move(u)), keep_body(keep) {}
  std::string url;
  bool keep_body = false;  ///< return the body in fetch_result::body (else it is read and counted only)
};

/// The outcome of one fetch.
struct fetch_result {
  std::string url;
  int status = 0;                   ///< 0 when no response arrived
  std::uint64_t bytes = 0;          ///< body bytes (decoded)
  double ms = 0;                    ///< from the request to the end of the body
  std::optional<errc> error_kind;   ///< set when the fetch failed
  std::string error;                ///< what() of the failure
  std::string body;                 ///< with keep_body
  /// No error and a status below 400.
  bool ok() const noexcept { return !error_kind && status > 0 && status < 400; }
};

class fetch_service {
public:
  /// Spawns the service job with a session of `options`. Only inside a job (a runtime must run).
  static fetch_service start(session_options options = {});

  /// Asks the service to fetch `url`. Waits at most the session's total timeout plus a margin
  /// (ask's own timeout), and raises ask_error if the service stopped meanwhile.
  job<fetch_result> fetch(std::string url, bool keep_body = false) const;
  /// The service job, for `ask<fetch_result>(fetch_request(...), timeout)` and `cancel`.
  const job_ref& ref() const noexcept { return job_; }
  /// Cancels the service and the fetches in flight, and waits until they have ended.
  job<void> stop() const;

private:
  fetch_service(handle<void> job, clock::duration ask_timeout) : job_(std::move(job)), ask_timeout_(ask_timeout) {}
  handle<void> job_;
  clock::duration ask_timeout_;
};

} // namespace libactor::http
