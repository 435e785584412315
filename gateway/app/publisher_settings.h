#pragma once
// Turns the policy's `gateway` section into the outbox's and the publisher's options (the policy
// was validated already; files such as the broker password are read here).
#include <string>

#include "gateway/outbox/segment_outbox.h"
#include "gateway/publisher/mqtt_publisher.h"
#include "gateway/v1/policy.pb.h"

namespace gw::app {

// Everything but the directory, which comes from --state-dir.
outbox::SegmentOutboxOptions outboxOptions(const gateway::v1::GatewaySettings& settings);

// `broker_url_override` (--broker) replaces the policy's URL when not empty.
Result<publisher::PublisherConfig> publisherConfig(const gateway::v1::Policy& policy,
                                                   const std::string& broker_url_override);

}  // namespace gw::app
