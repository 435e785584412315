#pragma once
// Process-wide logging through spdlog on stderr, as text (key=value) or JSON lines.
// Under systemd (JOURNAL_STREAM set) text lines carry a `<N>` syslog priority prefix and no
// timestamp: journald stamps and classifies each line itself (sd-daemon(3)).
// Repeated warnings and errors are rate-limited (core/log_rate_limit.h).
// Never log personal data (camera images, faces, plates) or key material (secret keys, sealed
// payloads): log ids, counts and reasons only.
#include <spdlog/spdlog.h>

#include <optional>
#include <string>

#include "gateway/core/status.h"

namespace gw {

struct LogOptions {
  std::string level = "info";   // trace|debug|info|warn|error|critical|off
  std::string format = "text";  // text|json
  // Under journald: unset means "look at JOURNAL_STREAM".
  std::optional<bool> journald;
};

Status initLogging(const LogOptions& options);
// Kept for callers that only pick a level (gatewayctl, tests).
Status initLogging(const std::string& level);

// A JSON-lines formatter: {"time":"...","level":"...","msg":"..."} per line.
std::unique_ptr<spdlog::formatter> makeJsonLogFormatter();

}  // namespace gw
