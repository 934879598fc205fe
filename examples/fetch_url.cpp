// The tutorials' aiohttp fetch_url: one GET through a session, the body as text.
//   async with aiohttp.ClientSession() as session:
//       async with session.get(url) as response:
//           return await response.text()
#include <libactor/http/session.hpp>
#include <libactor/libactor.hpp>

#include <cstdio>
#include <string>

namespace la = libactor;
namespace http = libactor::http;

la::job<std::string> fetch_url(std::string url) {
  http::session session;                      // `async with aiohttp.ClientSession() as session`
  auto response = co_await session.get(url);  // `async with session.get(url) as response`
  response.raise_for_status();                // a 4xx/5xx is an error here (aiohttp: raise_for_status=True)
  co_return co_await response.body();         // `await response.text()`; the session closes at scope exit
}

la::job<int> amain(std::string url) {
  try {
    auto content = co_await fetch_url(url);
    std::printf("Content from %s: %s...\n", url.c_str(), content.substr(0, 100).c_str());
    co_return 0;
  } catch (const http::error& e) {  // a bad URL, no connection, a timeout, a 404...
    std::fprintf(stderr, "fetch_url: %s (%s)\n", e.what(), http::to_string(e.kind()));
    co_return 1;
  }
}

int main(int argc, char** argv) {
  std::string url = argc > 1 ? argv[1] : "https://www.example.com";
  return la::run(amain(url));
}
