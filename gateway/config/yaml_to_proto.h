#pragma once
// Maps a YAML document onto a protobuf message by reflection, field name for key name, so the
// schema is defined once (in proto/) and a typo is an error rather than a silently ignored key.
// Every mapped node's position is recorded so later validation can point at file:line:column.
#include <google/protobuf/message.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>

#include "gateway/config/config_error.h"

namespace gw::config {

struct SourcePosition {
  std::string file;
  int line = 0;
  int column = 0;
};

// Key path (e.g. `routes[2].to`) -> where it was written.
using PositionMap = std::map<std::string, SourcePosition>;

struct YamlMapContext {
  std::string file;
  ConfigErrors* errors;
  PositionMap* positions;
};

// Maps `node` onto `message`. Problems are appended to ctx.errors; mapping continues past them so
// every error of a file is reported in one run. String scalars have `${VAR}` and `${VAR:-default}`
// replaced from the environment; an unset variable without a default is an error.
void mapYamlToProto(const YAML::Node& node, google::protobuf::Message* message,
                    const std::string& key_path, const YamlMapContext& ctx);

}  // namespace gw::config
