#pragma once
// How a gateway connection logs in to the broker (user name, password, TLS), shared by the
// publisher and the fleet agent's own connection so both meet the broker the same way.
#include <mqtt/connect_options.h>

#include <string>

#include "gateway/publisher/mqtt_publisher.h"

namespace gw::publisher {

bool isTlsUrl(const std::string& url);

// Adds `config`'s user name, password and, for an ssl:// URL, its TLS settings.
void addBrokerLogin(mqtt::connect_options_builder& builder, const PublisherConfig& config);

}  // namespace gw::publisher
