#pragma once
#include <string>
#include <vector>

namespace gw::config {

// One problem in a policy, located precisely: `file:line:column: key.path: message`.
struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when the problem has no single place (e.g. a missing file)
  int column = 0;  // 1-based
  std::string key_path;
  std::string message;

  std::string toString() const;
};

using ConfigErrors = std::vector<ConfigError>;

std::string formatErrors(const ConfigErrors& errors);

}  // namespace gw::config
