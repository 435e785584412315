#pragma once
// Where a policy check reports what is wrong: the key path of the setting (e.g.
// `sources[2].sensor.udp.port`) and a plain sentence. Stages own the rules about their own
// settings (sources/source_rules.h, privacy/route_rules.h, ...) and report through this; config/
// turns each report into `file:line:column: key.path: message`.
#include <string>

namespace gw {

class ProblemSink {
 public:
  virtual ~ProblemSink() = default;
  virtual void fail(const std::string& path, const std::string& message) = 0;
};

}  // namespace gw
