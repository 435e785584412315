#pragma once
// A private scratch directory, removed with everything in it when the object goes away.
#include <filesystem>
#include <string>

namespace gw::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "lantaarn-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Where the repository, the build tree and ../shared/data are (compiled in by gw_cc_test).
std::filesystem::path sourceDir();
std::filesystem::path binaryDir();
std::filesystem::path sharedDataDir();
// A path under the repository's tests/data.
std::filesystem::path testData(const std::string& relative);
// The built gatewayd or gatewayctl, for tests that run the real binaries.
std::string appBinary(const std::string& name);

}  // namespace gw::testing
