#pragma once
// Reports a validation problem at the place the key was written (file:line:column), or at the
// nearest enclosing key that has a position.
#include <string>

#include "gateway/config/config_error.h"
#include "gateway/config/yaml_to_proto.h"
#include "gateway/core/problem_sink.h"

namespace gw::config {

// [a-z0-9][a-z0-9_-]*: ids end up in MQTT topics and file names, so keep them plain.
inline bool isValidId(const std::string& id) {
  auto plain = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (id.empty() || !plain(id[0])) return false;
  for (char c : id) {
    if (!plain(c) && c != '-' && c != '_') return false;
  }
  return true;
}

class Checker : public ProblemSink {
 public:
  Checker(const PositionMap& positions, std::string fallback_file, ConfigErrors* errors)
      : positions_(positions), fallback_file_(std::move(fallback_file)), errors_(errors) {}

  // Reports `message` at `path`, or at the nearest enclosing key that has a position.
  void fail(const std::string& path, const std::string& message) override {
    std::string probe = path;
    while (true) {
      if (auto it = positions_.find(probe); it != positions_.end()) {
        errors_->push_back({it->second.file, it->second.line, it->second.column, path, message});
        return;
      }
      size_t cut = probe.find_last_of(".[");
      if (cut == std::string::npos || cut == 0) break;
      probe = probe.substr(0, cut);
    }
    errors_->push_back({fallback_file_, 0, 0, path, message});
  }

  void requireId(const std::string& path, const std::string& id, const char* what) {
    if (id.empty()) {
      fail(path, std::string(what) + " is required");
    } else if (!isValidId(id)) {
      fail(path, "'" + id + "' is not a valid " + what +
                     " (lower-case letters, digits, '-' and '_', starting with a letter or digit)");
    }
  }

 private:
  const PositionMap& positions_;
  std::string fallback_file_;
  ConfigErrors* errors_;
};

}  // namespace gw::config
