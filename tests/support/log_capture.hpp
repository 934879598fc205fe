#pragma once
// Captures what libactor logs (spdlog's "libactor" logger) during a test, with spdlog's own
// thread-safe ring-buffer sink. Attach and detach only while no runtime runs: spdlog's sink list is
// not safe to change while others log.

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <string>

#include <boost/test/unit_test.hpp>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

namespace libactor::testing {

class log_capture {
public:
  log_capture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1024)) {
    logger_ = spdlog::get("libactor");
    BOOST_REQUIRE(logger_ != nullptr);
    sink_->set_pattern("%v");
    logger_->sinks().push_back(sink_);
  }
  ~log_capture() { std::erase(logger_->sinks(), sink_); }
  log_capture(const log_capture&) = delete;
  log_capture& operator=(const log_capture&) = delete;

  /// The number of captured lines that contain every one of `parts`.
  int lines_with(std::initializer_list<std::string> parts) const {
    auto lines = sink_->last_formatted();
    return static_cast<int>(std::count_if(lines.begin(), lines.end(), [&](const std::string& line) {
      return std::all_of(parts.begin(), parts.end(), [&](const std::string& p) { return line.find(p) != std::string::npos; });
    }));
  }

private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> logger_;
};

} // namespace libactor::testing
