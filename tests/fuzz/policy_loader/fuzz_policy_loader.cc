// Fuzzes the policy loader (YAML parsing, mapping onto the proto schema, validation).
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "gateway/config/policy_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                            ("fuzz-policy-" + std::to_string(::getpid()) + ".yaml");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto result = gw::config::loadPolicy(path);
  std::filesystem::remove(path);  // leave nothing behind in /tmp
  // Invariant: a policy is either loaded or explained; never neither.
  if (!result.ok() && result.errors.empty()) __builtin_trap();
  return 0;
}
