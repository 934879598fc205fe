#include "log.hpp"

#include <libactor/errors.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace libactor::detail {

namespace {
std::shared_ptr<spdlog::logger> make_logger() {
  if (auto existing = spdlog::get("libactor"))
    return existing;  // the application registered its own
  auto logger = spdlog::stderr_color_mt("libactor");
  logger->set_pattern("[%H:%M:%S.%e] [libactor] [%^%l%$] %v");
  return logger;
}
// Created when the library loads, so that spdlog::get("libactor") finds it from anywhere.
const std::shared_ptr<spdlog::logger> the_logger = make_logger();
} // namespace

spdlog::logger& log() { return *the_logger; }

std::string describe(const std::exception_ptr& e) {
  if (!e)
    return "";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (const cancelled&) {
    return "cancelled";
  } catch (...) {
    return "(an exception not derived from std::exception)";
  }
}

} // namespace libactor::detail
