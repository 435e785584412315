#include "gateway/publisher/broker_rules.h"

namespace gw::publisher {

void checkBroker(const gateway::v1::Broker& broker, const PublisherConfig& resolved,
                 ProblemSink& check) {
  const std::string& url = resolved.broker_url;
  const bool tls_url = url.starts_with("ssl://") || url.starts_with("mqtts://");
  if (!tls_url && !url.starts_with("tcp://") && !url.starts_with("mqtt://")) {
    check.fail("gateway.broker.url",
               "'" + url + "' is not a broker URL (expected tcp://host:port or ssl://host:port)");
  }
  if (!broker.password_file().empty() && broker.username().empty()) {
    check.fail("gateway.broker.username", "a password_file needs a username");
  }
  if (broker.has_tls()) {
    if (!tls_url) {
      check.fail("gateway.broker.tls", "tls settings need an ssl:// broker url, not " + url);
    }
    if (broker.tls().cert_file().empty() != broker.tls().key_file().empty()) {
      check.fail("gateway.broker.tls.key_file",
                 "cert_file and key_file go together (the client certificate and its key)");
    }
  }
  if (resolved.reconnect_min > resolved.reconnect_max) {
    check.fail("gateway.broker.reconnect_max", "reconnect_max must not be below reconnect_min");
  }
}

}  // namespace gw::publisher
