// Header-only helpers shared by the bench programs (no CAF dependency).
#pragma once

#include <CLI/CLI.hpp>
#include <libactor/run.hpp>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace bench {

// The --policy option every benchmark takes: "stealing" (CAF's default) or "sharing".
inline void add_policy_option(CLI::App& app, std::string& policy,
                              const char* help = "scheduler policy: stealing or sharing") {
  app.add_option("--policy", policy, help)->check(CLI::IsMember({"stealing", "sharing"}));
}

// libactor's scheduler policy for a --policy value.
inline libactor::scheduler_policy policy_of(const std::string& policy) {
  return policy == "sharing" ? libactor::scheduler_policy::work_sharing : libactor::scheduler_policy::work_stealing;
}

// Resident set size of this process in KiB, from /proc/self/status (VmRSS).
// Returns -1 if it cannot be read (e.g. not Linux).
inline long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6));  // "VmRSS:   1234 kB"
  return -1;
}

namespace detail {
// Quote one word for /bin/sh: wrap in '...' and turn every ' into '\''.
inline std::string sh_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}
}  // namespace detail

// Debian's interpreter, by absolute path: the first python3 on PATH may be a
// pyenv build that lacks the system packages (e.g. python3-uvloop).
inline constexpr const char* system_python = "/usr/bin/python3";

// Runs `/usr/bin/python3 script_path args...` and returns the last non-empty
// line of its stdout (the scripts print one JSON line last). stderr is left
// attached to ours so failures stay visible. Returns nullopt if python is
// missing, cannot be started, exits non-zero, or prints nothing.
inline std::optional<std::string> run_python(const std::string& script_path,
                                             const std::vector<std::string>& args) {
  if (::access(system_python, X_OK) != 0)
    return std::nullopt;
  std::string cmd = system_python;
  cmd += ' ' + detail::sh_quote(script_path);
  for (const auto& a : args)
    cmd += ' ' + detail::sh_quote(a);
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr)
    return std::nullopt;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
    out.append(buf, n);
  const int status = ::pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return std::nullopt;
  // Find the last line that is not just whitespace.
  size_t end = out.find_last_not_of(" \t\r\n");
  if (end == std::string::npos)
    return std::nullopt;
  size_t begin = out.find_last_of('\n', end);
  begin = (begin == std::string::npos) ? 0 : begin + 1;
  return out.substr(begin, end - begin + 1);
}

// Numeric field `key` of a one-line JSON object; NaN if the line does not
// parse, the key is absent, or the value is not a number.
inline double json_number(const std::string& json_line, const std::string& key) {
  auto j = nlohmann::json::parse(json_line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object())  // also covers a discarded (unparsable) value
    return std::nan("");
  auto it = j.find(key);
  if (it == j.end() || !it->is_number())
    return std::nan("");
  return it->get<double>();
}

// Directory holding the Python reference scripts. CMake defines
// LIBACTOR_BENCH_PYTHON_DIR (a string literal, normally an absolute path into
// the source tree) so bench binaries work from any build directory; without
// it, or if that directory is gone, fall back to the path relative to the
// repository root.
inline std::string script_dir() {
#ifdef LIBACTOR_BENCH_PYTHON_DIR
  std::error_code ec;
  if (std::filesystem::is_directory(LIBACTOR_BENCH_PYTHON_DIR, ec))
    return LIBACTOR_BENCH_PYTHON_DIR;
#endif
  return "tools/bench/python";
}

/// The median of a set of repetitions (what the benchmarks report).
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace bench
