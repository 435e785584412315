#pragma once
// Builds the sources of a resolved policy. config/ resolves each `sources` entry once, with its
// defaults applied, into one of the settings below; this turns them into running sources. The
// sources stage itself never reads the policy.
#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <variant>

#include "gateway/core/counters.h"
#include "gateway/pipeline/stage.h"
#include "gateway/sources/camera/camera_source.h"
#include "gateway/sources/listeners/listener_config.h"
#include "gateway/sources/listeners/mqtt_subscription_source.h"
#include "gateway/v1/policy.pb.h"

namespace gw::sources {

// A recorded sensor file: the replay source reads its path, format, speed and loop from the
// policy entry as written (it has no defaults of its own).
struct ReplaySettings {
  gateway::v1::Source spec;
  int64_t start_unix_ms = 0;  // replay.start, resolved; 0: from the beginning
};

enum class ListenerTransport { kUdp, kTcp, kHttp };
struct ListenerSettings {
  ListenerTransport transport = ListenerTransport::kUdp;
  ListenerConfig config;
};

using SourceSettings =
    std::variant<ReplaySettings, ListenerSettings, MqttSourceConfig, CameraConfig>;

const std::string& sourceId(const SourceSettings& settings);

// Prepares a source for a dry run (`gatewayctl replay`), which replays recorded data only:
// false for a live source (a socket, a subscription, a stream or a device), which the dry run
// leaves out. A recorded file plays at `speed` (a multiple of real time; 0: as fast as the
// pipeline takes it), once; with a negative speed as the policy says. A video plays once, in real
// time only with a speed above 0.
bool prepareForReplay(SourceSettings* settings, double speed);

struct SourceContext {
  boost::asio::any_io_executor executor;  // the pipeline executor
  pipeline::ReadingSink& sink;
  Counters& counters;
  // Camera health events (camera_offline/online); called from the camera's thread.
  std::function<void(const gateway::v1::Event&)> health;
};

Result<pipeline::SourcePtr> createSource(const SourceSettings& settings, SourceContext& context);

}  // namespace gw::sources
