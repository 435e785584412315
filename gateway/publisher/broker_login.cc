#include "gateway/publisher/broker_login.h"

namespace gw::publisher {

bool isTlsUrl(const std::string& url) {
  return url.rfind("ssl://", 0) == 0 || url.rfind("mqtts://", 0) == 0;
}

void addBrokerLogin(mqtt::connect_options_builder& builder, const PublisherConfig& config) {
  if (!config.username.empty()) builder.user_name(config.username);
  if (!config.password.empty()) builder.password(config.password);
  if (isTlsUrl(config.broker_url)) {
    const TlsConfig tls = config.tls.value_or(TlsConfig{});
    auto ssl =
        mqtt::ssl_options_builder().enable_server_cert_auth(true).verify(tls.verify_hostname);
    // No error_handler: Paho 1.2 calls it through a pointer into the connect options it took
    // by value, gone by the time a handshake fails (ASan: stack-use-after-scope).
    if (!tls.ca_file.empty()) ssl.trust_store(tls.ca_file);
    if (!tls.cert_file.empty()) ssl.key_store(tls.cert_file);
    if (!tls.key_file.empty()) ssl.private_key(tls.key_file);
    builder.ssl(ssl.finalize());
  }
}

}  // namespace gw::publisher
