#pragma once
// libactor logs through the spdlog logger named "libactor" (registered in spdlog's registry, so an
// application can add sinks or change its level with spdlog::get("libactor")).

#include <spdlog/spdlog.h>

namespace libactor::detail {
spdlog::logger& log();
} // namespace libactor::detail
