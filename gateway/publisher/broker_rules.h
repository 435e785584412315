#pragma once
// The publisher's rules for the policy's `gateway.broker` section: a URL it can connect to, TLS
// settings only for ssl:// and with a client certificate and its key together, a username for a
// password, and reconnect bounds in order. config/ runs them on the settings it resolved.
#include "gateway/core/problem_sink.h"
#include "gateway/publisher/mqtt_publisher.h"
#include "gateway/v1/policy.pb.h"

namespace gw::publisher {

void checkBroker(const gateway::v1::Broker& broker, const PublisherConfig& resolved,
                 ProblemSink& check);

}  // namespace gw::publisher
