#pragma once
// Every default of the policy, in one place, written as an operator would write the value. The
// resolver (resolve_*.cc) applies a default where a key is absent, writes it into the normalised
// policy (so `explain`, the register and the ACL export show what runs), and parses it with the
// same parser as a written value into the typed settings the stages read. docs/POLICY.md lists
// the same defaults; keep the two together.
//
// A detector's own parameters (air_quality, water_nuisance, fall) are not here: they are the
// detector's, applied behind the plugin ABI (gateway/detectors/builtin/builtin_params.cc).
#include <cstdint>
#include <string_view>

namespace gw::config::defaults {

// gateway.broker
inline constexpr std::string_view kBrokerUrl = "tcp://127.0.0.1:1883";
inline constexpr std::string_view kBrokerClientIdPrefix = "lantaarn-gw-";  // + site id
inline constexpr std::string_view kMqttVersion = "auto";
inline constexpr std::string_view kReconnectMin = "1s";
inline constexpr std::string_view kReconnectMax = "30s";

// gateway
inline constexpr uint32_t kMaxInflight = 20;
inline constexpr uint32_t kOutboxMaxMessages = 100'000;

// gateway.outbox (fsync: group_commit)
inline constexpr std::string_view kFsyncInterval = "100ms";
inline constexpr std::string_view kOutboxMaxTotalSize = "256MiB";
inline constexpr std::string_view kOutboxMaxActorSize = "64MiB";

// gateway.epochs and checkpoints (docs/SECURITY.md)
inline constexpr std::string_view kEpochMaxAge = "1h";
inline constexpr uint64_t kEpochMaxMessages = 1'000'000;
inline constexpr std::string_view kCheckpointInterval = "1s";
// gateway.backlog_batching (decision 1350): at 12,000 messages/s (what the publisher sends on
// Debian's default broker) 200 waiting messages are about 17 ms of queue.
inline constexpr std::string_view kBacklogBatchingMode = "on";
inline constexpr uint32_t kBacklogBatchingAbove = 200;
inline constexpr uint32_t kBacklogBatchMaxReadings = 100;
inline constexpr std::string_view kBacklogBatchLinger = "20ms";

// gateway.ops
inline constexpr std::string_view kOpsListen = "127.0.0.1:9273";
inline constexpr std::string_view kStallAfter = "5m";

// gateway.fleet (docs/FLEET.md)
inline constexpr std::string_view kFleetProbation = "60s";
inline constexpr std::string_view kFleetStatusInterval = "60s";
inline constexpr std::string_view kFleetOperatorBrokerUser = "lantaarn-operator";

// sources[].sensor: listeners (udp, tcp, http) and limits
inline constexpr std::string_view kListenAddress = "127.0.0.1";
inline constexpr uint32_t kMaxMessageBytes = 16 * 1024;
inline constexpr uint32_t kMqttMaxMessageBytes = 64 * 1024;  // a TTN uplink is larger than a line
inline constexpr uint32_t kMaxConnections = 64;
inline constexpr std::string_view kHttpPath = "/data/v1/push";
inline constexpr std::string_view kMqttSourceClientIdPrefix = "lantaarn-src-";  // + site-source
// sources[].sensor.mqtt: what the source holds itself, and what it asks of the broker.
inline constexpr uint32_t kMqttIntakeBuffer = 100'000;  // messages; a 50k-reading burst fits
inline constexpr uint32_t kMqttReceiveMaximum = 100;
inline constexpr std::string_view kMqttSessionExpiry = "1d";  // a gatewayd outage, with margin
inline constexpr uint32_t kMaxFutureSeconds = 300;
inline constexpr uint32_t kMaxAgeSeconds = 7 * 24 * 3600;
inline constexpr double kBurst = 100;
inline constexpr uint32_t kReorderToleranceSeconds = 5;  // sources/reading_screen.h

// sources[].camera
inline constexpr double kCameraFps = 5;
inline constexpr uint32_t kCameraWidth = 640;
inline constexpr uint32_t kCameraHeight = 360;

// routes[]
inline constexpr std::string_view kRouteIdPrefix = "route-";  // + the route's index
inline constexpr std::string_view kRetention = "72h";
inline constexpr std::string_view kAggregateInterval = "15m";
inline constexpr std::string_view kBatchLinger = "100ms";

}  // namespace gw::config::defaults
