#pragma once
// Builds the source a validated policy entry describes: file replay, UDP, TCP, HTTP push, MQTT
// subscription or camera.
#include <functional>

#include "gateway/core/counters.h"
#include "gateway/pipeline/stage.h"
#include "gateway/v1/policy.pb.h"

#include <boost/asio/any_io_executor.hpp>

namespace gw::app {

struct SourceContext {
  boost::asio::any_io_executor executor;  // the pipeline executor
  pipeline::ReadingSink& sink;
  Counters& counters;
  std::string site_id;
  // Camera health events (camera_offline/online); called from the camera's thread.
  std::function<void(const gateway::v1::Event&)> health;
};

Result<pipeline::SourcePtr> createSource(const gateway::v1::Source& config, SourceContext& context);

}  // namespace gw::app
