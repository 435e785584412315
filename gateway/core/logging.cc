#include "gateway/core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace gw {

Status initLogging(const std::string& level) {
  auto parsed = spdlog::level::from_str(level);
  // from_str maps unknown names to `off`; only accept `off` when asked for explicitly.
  if (parsed == spdlog::level::off && level != "off") {
    return invalidArgument("unknown log level '" + level +
                           "' (expected trace, debug, info, warn, error, critical or off)");
  }
  auto logger = spdlog::stderr_color_mt("lantaarn");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
  return okStatus();
}

}  // namespace gw
