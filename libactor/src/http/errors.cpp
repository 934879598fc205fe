// http::errc names (errors.hpp).

#include <libactor/http/errors.hpp>

#include <ostream>

namespace libactor::http {

const char* to_string(errc kind) noexcept {
  switch (kind) {
    case errc::invalid_url: return "invalid_url";
    case errc::connect: return "connect";
    case errc::tls: return "tls";
    case errc::timeout: return "timeout";
    case errc::protocol: return "protocol";
    case errc::disconnected: return "disconnected";
    case errc::too_many_redirects: return "too_many_redirects";
    case errc::too_large: return "too_large";
    case errc::status: return "status";
    case errc::closed: return "closed";
  }
  return "unknown";
}

std::ostream& operator<<(std::ostream& out, errc kind) { return out << to_string(kind); }

} // namespace libactor::http
