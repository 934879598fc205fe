// libactor-fetch's work: `concurrency` worker jobs take URLs in order and ask one fetch_service
// (which owns the session and its pool); each result becomes a JSON line as it completes.

#include "fetch_run.hpp"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <libactor/http/fetch_service.hpp>
#include <libactor/libactor.hpp>

namespace fetch_cli {

namespace la = libactor;
namespace http = libactor::http;

namespace {

/// What the workers share.
struct progress {
  const settings& cfg;
  http::fetch_service service;
  std::atomic<std::size_t> next{0}, done{0}, failed{0};
  std::mutex out_mutex;  // one JSON line at a time on stdout
};

/// A file name for the body of URL number `index` (1-based input order): "<index>-<last path segment>".
std::string body_file_name(std::size_t index, const std::string& url) {
  auto path = url.substr(0, url.find_first_of("?#"));
  auto slash = path.find_last_of('/');
  std::string tail = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string name = std::to_string(index) + "-";
  for (char c : tail.substr(0, 80))
    name += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  return tail.empty() || tail == "." || tail == ".." ? std::to_string(index) + "-index" : name;
}

bool save_body(const std::string& path, const std::string& body) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(body.data(), static_cast<std::streamsize>(body.size()));
  return static_cast<bool>(f.flush());
}

void print_line(progress& p, const http::fetch_result& r, const std::string& saved_as) {
  nlohmann::ordered_json line;  // fields in the documented order
  line["url"] = r.url;
  line["status"] = r.status > 0 ? nlohmann::ordered_json(r.status) : nlohmann::ordered_json(nullptr);
  line["bytes"] = r.bytes;
  line["ms"] = std::round(r.ms * 100.0) / 100.0;
  line["error"] = r.error_kind ? nlohmann::ordered_json(std::string(http::to_string(*r.error_kind)) + ": " + r.error)
                               : nlohmann::ordered_json(nullptr);
  if (!saved_as.empty())
    line["file"] = saved_as;
  auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard lock(p.out_mutex);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

la::job<void> worker(progress& p) {
  const bool keep = !p.cfg.output_dir.empty();
  for (;;) {
    auto i = p.next.fetch_add(1, std::memory_order_relaxed);
    if (i >= p.cfg.urls.size())
      co_return;
    auto r = co_await p.service.fetch(p.cfg.urls[i], keep);
    std::string saved_as;
    if (keep && !r.error_kind) {
      auto path = p.cfg.output_dir + "/" + body_file_name(i + 1, r.url);
      bool saved = co_await la::to_thread(save_body, path, r.body);
      if (saved) {
        saved_as = path;
      } else {
        r.error_kind = http::errc::closed;  // not an HTTP failure: reported with the local cause
        r.error = "cannot write the body to " + path;
      }
    }
    if (!r.ok())
      p.failed.fetch_add(1, std::memory_order_relaxed);
    print_line(p, r, saved_as);
    p.done.fetch_add(1, std::memory_order_relaxed);
  }
}

/// A one-line progress bar on stderr, redrawn a few times a second until every fetch is done.
la::job<void> draw_progress(progress& p) {
  const auto total = p.cfg.urls.size();
  const auto started = la::clock::now();
  for (;;) {
    auto done = p.done.load(std::memory_order_relaxed);
    constexpr std::size_t width = 30;
    auto filled = total == 0 ? width : done * width / total;
    double secs = std::chrono::duration<double>(la::clock::now() - started).count();
    std::fprintf(stderr, "\r[%s%s] %zu/%zu  failed %zu  %.0f/s ", std::string(filled, '#').c_str(),
                 std::string(width - filled, '.').c_str(), done, total, p.failed.load(std::memory_order_relaxed),
                 secs > 0 ? static_cast<double>(done) / secs : 0.0);
    if (done == total) {
      std::fputc('\n', stderr);
      co_return;
    }
    co_await la::sleep(std::chrono::milliseconds(200));
  }
}

} // namespace

/// Awaits every job in order; a cancellation of the caller is raised at once.
la::job<void> settle_or_cancel(std::vector<la::handle<void>>& jobs) {
  for (auto& j : jobs)
    co_await j;
}

/// Awaits `jobs` to their ends, whatever they end with (cleanup after an interruption).
la::job<void> settle(std::vector<la::handle<void>>& jobs) {
  for (auto& j : jobs) {
    try {
      co_await j;
    } catch (...) {
    }
  }
}

la::job<int> run(const settings& cfg) {
  progress p{cfg, http::fetch_service::start(cfg.session), {}, {}, {}, {}};
  std::vector<la::handle<void>> jobs;
  for (std::size_t i = 0; i < std::min(cfg.concurrency, cfg.urls.size()); ++i)
    jobs.push_back(la::spawn(worker(p), {.name = "fetch-worker", .home = la::job_home::io_thread}));
  if (cfg.progress && ::isatty(STDERR_FILENO))
    jobs.push_back(la::spawn(draw_progress(p), {.name = "fetch-progress"}));
  bool interrupted = false;
  try {
    co_await settle_or_cancel(jobs);
  } catch (const la::cancelled&) {
    interrupted = true;  // SIGINT/SIGTERM: stop the fetches in flight, keep the lines printed so far
  }
  if (interrupted) {
    for (auto& j : jobs)
      j.cancel();
    co_await la::shield(settle(jobs));
  }
  co_await la::shield(p.service.stop());
  std::fflush(stdout);
  if (interrupted) {
    std::fprintf(stderr, "libactor-fetch: interrupted after %zu of %zu fetches\n", p.done.load(), cfg.urls.size());
    co_return 130;  // the shell's code for "ended by SIGINT"
  }
  co_return (p.failed.load() == 0 || cfg.allow_failures) ? 0 : 1;
}

} // namespace fetch_cli
