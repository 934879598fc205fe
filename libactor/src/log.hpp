#pragma once
// libactor logs through the spdlog logger named "libactor" (registered in spdlog's registry, so an
// application can add sinks or change its level with spdlog::get("libactor")).

#include <spdlog/spdlog.h>

#include <exception>
#include <string>

namespace libactor::detail {
spdlog::logger& log();
/// What an exception says, for a log line: its what(), "cancelled", or a placeholder; "" for null.
std::string describe(const std::exception_ptr& e);
} // namespace libactor::detail
