#include "tests/support/temp_dir.h"

#include <cstdlib>

#include <stdlib.h>

#include <stdexcept>

namespace gw::testing {

TempDir::TempDir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path sourceDir() { return GW_SOURCE_DIR; }
std::filesystem::path binaryDir() { return GW_BINARY_DIR; }
std::string appBinary(const std::string& name) { return (binaryDir() / "bin" / name).string(); }
std::filesystem::path sharedDataDir() {
  // A worktree outside the main checkout finds the shared data through this variable.
  if (const char* dir = std::getenv("GW_SHARED_DATA_DIR"); dir != nullptr && *dir != 0) return dir;
  return GW_SHARED_DATA_DIR;
}
std::filesystem::path testData(const std::string& relative) {
  return sourceDir() / "tests/data" / relative;
}

}  // namespace gw::testing
