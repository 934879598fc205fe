// The tutorial's AsyncFile: an async context manager (`async with`) that opens a file in enter()
// and closes it in exit(), which la::with runs on every path (success, exception, cancellation).
#include <libactor/libactor.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

namespace la = libactor;

// to_thread (not in libactor yet) will move these blocking fopen/fputs/fclose calls off the workers.
struct async_file {
  std::string filename;
  const char* mode;
  std::FILE* file = nullptr;

  la::job<std::FILE*> enter() {
    file = std::fopen(filename.c_str(), mode);
    if (file == nullptr)
      throw std::runtime_error("cannot open " + filename);
    co_return file;
  }
  la::job<void> exit(std::exception_ptr) {  // the body's error, if any: closing is the same
    std::fclose(file);
    co_return;
  }
};

la::job<int> amain() {
  auto path = std::filesystem::temp_directory_path() / ("libactor_example_" + std::to_string(std::random_device{}()));
  async_file file{path.string(), "w"};
  co_await la::with(file, [](std::FILE*& f) -> la::job<void> {
    std::fputs("Hello, Async World!", f);
    co_return;
  });

  std::stringstream content;
  content << std::ifstream(path).rdbuf();
  std::filesystem::remove(path);
  std::printf("%s\n", content.str().c_str());
  co_return content.str() == "Hello, Async World!" ? 0 : 1;
}

int main(int argc, char** argv) { return la::run(amain(), argc, argv); }
