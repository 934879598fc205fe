// libactor-fetch, black-box, against the real nginx of the HTTP tests (tests/http/support): URLs from
// arguments, from -i FILE (comments and blank lines skipped), from -i - and from plain stdin give one
// JSON line each (url, status, bytes, ms, error) in completion order; bodies are counted decoded; a
// refused connection, an invalid URL and a TLS failure give status null and "<kind>: <message>", a
// timeout in the middle of a body gives "timeout: ...", a 404 gives its status with error null; the exit code is 0 when all
// succeeded, 1 when some failed, 0 with --allow-failures, 2 for a bad flag or input file (with a
// message on stderr); -o DIR saves every body byte-exact; -c N keeps at most N connections (nginx's
// connection numbers in the saved bodies show it); --ca-file and --insecure reach the TLS layer.
#define BOOST_TEST_MODULE fetch_cli
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/wait.h>
#include <unistd.h>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../http/support/nginx_server.hpp"
#include "../http/support/run_command.hpp"
#include "../http/support/temp_dir.hpp"

using namespace http_test;
using json = nlohmann::json;

namespace {

/// A run of libactor-fetch: its exit code, stderr, and its JSON lines by URL.
struct fetch_run {
  command_result result;
  std::vector<json> lines;

  const json& line_for(const std::string& url) const {
    for (auto& l : lines)
      if (l.value("url", "") == url)
        return l;
    throw std::runtime_error("no JSON line for " + url + "\n" + result.describe());
  }
};

fetch_run run_fetch(std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), {LIBACTOR_FETCH_BIN, "--no-progress"});
  fetch_run run{run_command(args, input, std::chrono::seconds(120)), {}};
  std::istringstream out(run.result.out);
  for (std::string line; std::getline(out, line);) {
    try {
      run.lines.push_back(json::parse(line));
    } catch (const json::exception& e) {
      throw std::runtime_error("not a JSON line: '" + line + "' (" + e.what() + ")\n" + run.result.describe());
    }
  }
  return run;
}

// Every line has exactly the five fields (plus "file" with -o), of the right types.
void check_shape(const fetch_run& run) {
  for (auto& l : run.lines) {
    BOOST_CHECK_MESSAGE(l.is_object() && l.contains("url") && l.contains("status") && l.contains("bytes") &&
                          l.contains("ms") && l.contains("error"),
                        "missing fields: " << l.dump());
    BOOST_CHECK_MESSAGE(l["url"].is_string(), l.dump());
    BOOST_CHECK_MESSAGE(l["status"].is_null() || l["status"].is_number_integer(), l.dump());
    BOOST_CHECK_MESSAGE(l["bytes"].is_number_unsigned(), l.dump());
    BOOST_CHECK_MESSAGE(l["ms"].is_number() && l["ms"].get<double>() >= 0, l.dump());
    BOOST_CHECK_MESSAGE(l["error"].is_null() || l["error"].is_string(), l.dump());
  }
}

void check_ok(const fetch_run& run, const std::string& url, std::size_t bytes) {
  auto& l = run.line_for(url);
  BOOST_CHECK_MESSAGE(l["status"] == 200 && l["bytes"] == bytes && l["error"].is_null(),
                      url << ": expected 200, " << bytes << " bytes, no error; got " << l.dump());
}

// The error is "<kind>: <message>" with this kind; with `no_response`, no status came either (a
// failure in the middle of the body keeps the status of the head that did arrive).
void check_error(const fetch_run& run, const std::string& url, const std::string& kind, bool no_response = true) {
  auto& l = run.line_for(url);
  if (no_response)
    BOOST_CHECK_MESSAGE(l["status"].is_null(), url << ": " << l.dump());
  BOOST_CHECK_MESSAGE(l["error"].is_string() && l["error"].get<std::string>().rfind(kind + ": ", 0) == 0 &&
                        l["error"].get<std::string>().size() > kind.size() + 2,
                      url << ": expected an error '" << kind << ": ...', got " << l.dump());
}

// A port with nothing listening on it (bound, then released).
std::uint16_t refused_port() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

} // namespace

BOOST_AUTO_TEST_CASE(urls_from_arguments_give_one_json_line_each) {
  nginx_server nginx;
  const std::vector<std::string> urls{nginx.url("/1k"), nginx.url("/big"), nginx.url("/text"),
                                      nginx.url("/redirect/302")};
  auto run = run_fetch(urls);
  BOOST_REQUIRE_MESSAGE(run.result.exit_code == 0, run.result.describe());
  BOOST_CHECK_EQUAL(run.lines.size(), urls.size());
  check_shape(run);
  check_ok(run, urls[0], nginx_server::small_size);
  check_ok(run, urls[1], nginx_server::big_size);
  check_ok(run, urls[2], nginx.document("text").size());  // counted decoded, although sent gzipped
  check_ok(run, urls[3], 5);                                // followed to /method: "GET \n"

  auto unfollowed = run_fetch({"--max-redirects", "0", nginx.url("/redirect/302")});
  BOOST_CHECK_EQUAL(unfollowed.result.exit_code, 0);  // a 3xx is not a failure
  BOOST_REQUIRE_EQUAL(unfollowed.lines.size(), 1u);
  BOOST_CHECK_EQUAL(unfollowed.lines[0]["status"], 302);
}

BOOST_AUTO_TEST_CASE(failures_are_reported_per_url_and_set_the_exit_code) {
  nginx_server nginx;
  const std::string refused = "http://127.0.0.1:" + std::to_string(refused_port()) + "/";
  const std::string invalid = "not a url", missing = nginx.url("/no-such-file"), good = nginx.url("/1k");
  const std::vector<std::string> urls{good, refused, invalid, missing};
  auto run = run_fetch(urls);
  BOOST_CHECK_MESSAGE(run.result.exit_code == 1, run.result.describe());
  BOOST_REQUIRE_EQUAL(run.lines.size(), urls.size());
  check_shape(run);
  check_ok(run, good, nginx_server::small_size);
  check_error(run, refused, "connect");
  check_error(run, invalid, "invalid_url");
  auto& not_found = run.line_for(missing);
  BOOST_CHECK_MESSAGE(not_found["status"] == 404 && not_found["error"].is_null(), not_found.dump());

  auto allowed = run_fetch({"--allow-failures", good, refused, missing});
  BOOST_CHECK_MESSAGE(allowed.result.exit_code == 0, allowed.result.describe());
  BOOST_CHECK_EQUAL(allowed.lines.size(), 3u);
  auto only_404 = run_fetch({missing});
  BOOST_CHECK_MESSAGE(only_404.result.exit_code == 1, only_404.result.describe());

  // --timeout bounds a fetch in all: /slow/big takes a minute.
  auto slow = run_fetch({"--timeout", "0.5", nginx.url("/slow/big")});
  BOOST_CHECK_MESSAGE(slow.result.exit_code == 1, slow.result.describe());
  BOOST_REQUIRE_EQUAL(slow.lines.size(), 1u);
  check_error(slow, nginx.url("/slow/big"), "timeout", false);
}

BOOST_AUTO_TEST_CASE(urls_come_from_a_file_or_stdin) {
  nginx_server nginx;
  temp_dir dir;
  const std::vector<std::string> urls{nginx.url("/1k"), nginx.url("/conn"), nginx.url("/text")};
  const std::string listing = "# a comment\n\n" + urls[0] + "\n   \n" + urls[1] + "\r\n# " + nginx.url("/big") +
                              "\n" + urls[2] + "\n";
  write_file(dir / "urls.txt", listing);
  auto check_all = [&](const fetch_run& run, const char* how) {
    BOOST_CHECK_MESSAGE(run.result.exit_code == 0, how << ": " << run.result.describe());
    BOOST_CHECK_MESSAGE(run.lines.size() == urls.size(), how << ": " << run.lines.size() << " lines\n" << run.result.out);
    check_shape(run);
    for (auto& url : urls)
      BOOST_CHECK_MESSAGE(run.line_for(url)["status"] == 200, how << ": " << run.line_for(url).dump());
  };
  check_all(run_fetch({"-i", (dir / "urls.txt").string()}), "-i FILE");
  check_all(run_fetch({"-i", "-"}, listing), "-i -");
  check_all(run_fetch({}, listing), "stdin");
  // Arguments and a file together.
  auto both = run_fetch({nginx.url("/big"), "-i", (dir / "urls.txt").string()});
  BOOST_CHECK_EQUAL(both.lines.size(), urls.size() + 1);
  check_ok(both, nginx.url("/big"), nginx_server::big_size);
}

BOOST_AUTO_TEST_CASE(output_dir_keeps_every_body_and_concurrency_bounds_the_connections) {
  nginx_server nginx;
  temp_dir out;
  std::vector<std::string> args{"-c", "2", "-o", out.path().string(), nginx.url("/1k"), nginx.url("/big"),
                                nginx.url("/text")};
  for (int i = 0; i < 20; ++i)
    args.push_back(nginx.url("/conn"));
  auto run = run_fetch(args);
  BOOST_REQUIRE_MESSAGE(run.result.exit_code == 0, run.result.describe());
  BOOST_REQUIRE_EQUAL(run.lines.size(), 23u);
  std::set<std::string> files;
  std::set<long> connections;
  for (auto& l : run.lines) {
    BOOST_REQUIRE_MESSAGE(l.contains("file") && l["file"].is_string(), "no file: " << l.dump());
    auto file = std::filesystem::path(l["file"].get<std::string>());
    files.insert(file.string());
    BOOST_CHECK_EQUAL(file.parent_path(), out.path());
    auto body = read_file(file);
    BOOST_CHECK_EQUAL(body.size(), l["bytes"].get<std::size_t>());
    auto url = l["url"].get<std::string>();
    auto name = url.substr(url.rfind('/') + 1);
    BOOST_CHECK_MESSAGE(file.filename().string().ends_with("-" + name), file << " for " << url);
    if (name == "conn") {
      long connection = -1;
      std::istringstream(body) >> connection;
      connections.insert(connection);
    } else {
      BOOST_CHECK_MESSAGE(body == nginx.document(name), file << " differs from " << url);
    }
  }
  BOOST_CHECK_EQUAL(files.size(), 23u);  // no two bodies in one file
  BOOST_CHECK_MESSAGE(connections.size() <= 2, "-c 2 used " << connections.size() << " connections");
}

BOOST_AUTO_TEST_CASE(tls_settings_reach_the_client) {
  nginx_server nginx;
  auto trusted = run_fetch({"--ca-file", nginx.ca().ca_file().string(), nginx.tls_url("/1k")});
  BOOST_CHECK_MESSAGE(trusted.result.exit_code == 0, trusted.result.describe());
  check_ok(trusted, nginx.tls_url("/1k"), nginx_server::small_size);

  auto system_cas = run_fetch({nginx.tls_url("/1k")});
  BOOST_CHECK_MESSAGE(system_cas.result.exit_code == 1, system_cas.result.describe());
  check_error(system_cas, nginx.tls_url("/1k"), "tls");

  auto insecure = run_fetch({"--insecure", nginx.self_signed_url("/")});
  BOOST_CHECK_MESSAGE(insecure.result.exit_code == 0, insecure.result.describe());
  check_ok(insecure, nginx.self_signed_url("/"), 12);  // "self-signed\n"
}

BOOST_AUTO_TEST_CASE(bad_flags_and_inputs_exit_2_with_a_message) {
  temp_dir dir;
  const std::vector<std::vector<std::string>> bad{
    {"--no-such-flag", "http://127.0.0.1:1/"},
    {"-c", "0", "http://127.0.0.1:1/"},
    {"-c", "many", "http://127.0.0.1:1/"},
    {"--timeout", "-1", "http://127.0.0.1:1/"},
    {"-i", (dir / "missing.txt").string()},
    {"-o", (dir / "no-such-dir").string(), "http://127.0.0.1:1/"},
    {"--ca-file", (dir / "missing.pem").string(), "http://127.0.0.1:1/"},
  };
  for (auto& args : bad) {
    auto run = run_fetch(args);
    BOOST_CHECK_MESSAGE(run.result.exit_code == 2, command_line(args) << ": " << run.result.describe());
    BOOST_CHECK_MESSAGE(run.lines.empty(), command_line(args) << " fetched something:\n" << run.result.out);
    BOOST_CHECK_MESSAGE(!run.result.err.empty(), command_line(args) << ": no message on stderr");
  }
}

namespace {
/// Reads `fd` to its end into `out`.
void drain(int fd, std::string& out) {
  char buf[4096];
  for (;;) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n > 0)
      out.append(buf, static_cast<std::size_t>(n));
    else if (n == 0 || errno != EINTR)
      return;
  }
}
} // namespace

// Ctrl-C mid-run: the fetches in flight are cancelled, the service stops, every line printed is
// whole, and the exit code is 130 — with no "still running" complaint from the runtime.
BOOST_AUTO_TEST_CASE(sigint_stops_cleanly_with_whole_lines_and_exit_130) {
  nginx_server nginx;
  temp_dir dir;
  auto list = dir.path() / "urls.txt";
  {
    std::ofstream f(list);
    for (int i = 0; i < 200000; ++i)  // far more than can finish before the signal lands
      f << nginx.url("/1k") << '\n';
  }
  auto err_path = dir.path() / "stderr.txt";
  int out[2];
  BOOST_REQUIRE(::pipe(out) == 0);
  pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(err, STDERR_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ::execl(LIBACTOR_FETCH_BIN, LIBACTOR_FETCH_BIN, "--no-progress", "-c", "8", "-i", list.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(out[1]);
  // Readiness: the first JSON line means fetching is under way.
  std::string output;
  char c = 0;
  while (::read(out[0], &c, 1) == 1) {
    output += c;
    if (c == '\n')
      break;
  }
  BOOST_REQUIRE_MESSAGE(!output.empty(), "libactor-fetch printed nothing");
  ::kill(pid, SIGINT);
  drain(out[0], output);  // to EOF: the process has closed stdout (it exited)
  ::close(out[0]);
  int status = 0;
  BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
  BOOST_REQUIRE(WIFEXITED(status));
  BOOST_CHECK_EQUAL(WEXITSTATUS(status), 130);
  std::istringstream lines(output);
  std::size_t count = 0;
  for (std::string line; std::getline(lines, line); ++count)
    BOOST_CHECK_NO_THROW(json::parse(line));  // no half line
  BOOST_CHECK(count >= 1u && count < 200000u);
  std::ifstream err_file(err_path);
  std::string err((std::istreambuf_iterator<char>(err_file)), std::istreambuf_iterator<char>());
  BOOST_CHECK_MESSAGE(err.find("interrupted after") != std::string::npos, err);
  BOOST_CHECK_MESSAGE(err.find("still running") == std::string::npos, err);
}
