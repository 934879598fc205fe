// A bounded crawler: gather fetches each level of links concurrently, a semaphore caps how many
// are in flight, one session's pool reuses the connections. Stays on the start URL's origin.
#include <libactor/http/session.hpp>
#include <libactor/libactor.hpp>

#include <cstdio>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace la = libactor;
namespace http = libactor::http;

http::session_options crawl_options() {
  http::session_options o;
  o.limit_per_host = 4;  // polite to each server, whatever the fan-out
  return o;
}

struct crawl {
  http::session session{crawl_options()};
  la::semaphore in_flight{8};  // at most 8 fetches at once, whatever the fan-out
  std::set<std::string> seen;  // only amain touches it, between levels
};

/// Fetches `url` and returns the same-origin links of its page.
la::job<std::vector<std::string>> visit(crawl& c, std::string url) {
  auto permit = co_await c.in_flight.scoped();
  std::vector<std::string> links;
  try {
    auto response = co_await c.session.get(url);
    auto page = co_await response.body();
    std::printf("%d %6zu bytes  %s\n", response.status(), page.size(), url.c_str());
    static const std::regex href(R"(href="([^"#]+))");
    for (std::sregex_iterator it(page.begin(), page.end(), href), end; it != end; ++it) {
      auto next = response.url().resolve((*it)[1].str());  // relative links, as a browser resolves them
      if (next.same_origin(response.url()))
        links.push_back(next.str());
    }
  } catch (const http::error& e) {
    std::printf("failed       %s: %s\n", url.c_str(), e.what());
  }
  co_return links;
}

la::job<int> amain(std::string start, int max_pages) {
  crawl c;
  std::vector<std::string> level{start};
  c.seen.insert(start);
  while (!level.empty()) {
    std::vector<la::job<std::vector<std::string>>> visits;
    for (auto& url : level)
      visits.push_back(visit(c, url));
    auto found = co_await la::gather(std::move(visits));  // one level, concurrently
    level.clear();
    for (auto& links : found)
      for (auto& link : links)
        if (static_cast<int>(c.seen.size()) < max_pages && c.seen.insert(link).second)
          level.push_back(link);
  }
  auto stats = c.session.stats();
  std::printf("%zu pages, %llu connections opened, %llu requests reused one\n", c.seen.size(),
              static_cast<unsigned long long>(stats.opened), static_cast<unsigned long long>(stats.reused));
  co_return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: crawler URL [MAX_PAGES]\n");
    return 2;
  }
  return la::run(amain(argv[1], argc > 2 ? std::atoi(argv[2]) : 50));
}
