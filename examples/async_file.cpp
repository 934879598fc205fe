// The tutorial's AsyncFile: an async context manager (`async with`) that opens a file in enter()
// and closes it in exit(), which la::with runs on every path (success, exception, cancellation).
// As in the Python, every blocking call (open, write, close) runs on the blocking pool through
// la::to_thread, so the worker threads that run jobs never wait for the disk.
#include <libactor/libactor.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

namespace la = libactor;

std::FILE* open_file(const std::string& filename, const char* mode) { return std::fopen(filename.c_str(), mode); }

struct async_file {
  std::string filename;
  const char* mode;
  std::FILE* file = nullptr;

  la::job<std::FILE*> enter() {
    // await asyncio.to_thread(open, self.filename, self.mode). The call gets a copy of the string,
    // not its c_str(): if this job is cancelled, it stops waiting but a started call runs on.
    file = co_await la::to_thread(open_file, filename, mode);
    if (file == nullptr)
      throw std::runtime_error("cannot open " + filename);
    co_return file;
  }
  la::job<void> exit(std::exception_ptr) {  // the body's error, if any: closing is the same
    if (file != nullptr)
      co_await la::to_thread(std::fclose, file);  // await asyncio.to_thread(self.file.close)
  }
};

la::job<int> amain() {
  auto path = std::filesystem::temp_directory_path() / ("libactor_example_" + std::to_string(std::random_device{}()));
  async_file file{path.string(), "w"};
  co_await la::with(file, [](std::FILE*& f) -> la::job<void> {
    co_await la::to_thread(std::fputs, "Hello, Async World!", f);  // await asyncio.to_thread(f.write, ...)
  });

  std::stringstream content;
  content << std::ifstream(path).rdbuf();
  std::filesystem::remove(path);
  std::printf("%s\n", content.str().c_str());
  co_return content.str() == "Hello, Async World!" ? 0 : 1;
}

int main(int argc, char** argv) { return la::run(amain(), argc, argv); }
