#pragma once
// A fresh directory under $TMPDIR (mkdtemp), removed with everything in it when the object dies.
// The nginx harness keeps its configuration, documents, logs, temp paths and the test CA in one.

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace http_test {

/// A directory of its own for one test's files; deleted (recursively) by the destructor.
class temp_dir {
public:
  /// Creates `$TMPDIR/<prefix>XXXXXX` with mode 0755: nginx's workers may run as another user
  /// (nobody, when the tests run as root) and must read the documents and temp paths in it.
  explicit temp_dir(std::string_view prefix = "libactor-http-") {
    std::string pattern = (std::filesystem::temp_directory_path() / (std::string(prefix) + "XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp(" + pattern + ") failed: " + std::strerror(errno));
    path_ = pattern;
    std::filesystem::permissions(path_, std::filesystem::perms(0755));
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

private:
  std::filesystem::path path_;
};

/// The whole content of `file` (binary); throws when it cannot be read.
inline std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + file.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Writes `data` to `file` (binary, truncating); throws when it cannot.
inline void write_file(const std::filesystem::path& file, std::string_view data) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out.flush())
    throw std::runtime_error("cannot write " + file.string());
}

} // namespace http_test
