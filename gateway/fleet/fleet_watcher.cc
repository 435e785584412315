#include "gateway/fleet/fleet_watcher.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "gateway/core/files.h"
#include "gateway/fleet/fleet_topics.h"
#include "gateway/publisher/broker_login.h"

namespace gw::fleet {
namespace {

constexpr int kQos = 1;

using publisher::isTlsUrl;

// Paho's words for a refusal are terse: say what the operator should check.
std::string connectHint(int rc, bool tls) {
  if (rc == 4 || rc == 5) return " (not authorised: check the username and the password file)";
  if (tls && rc == MQTTASYNC_FAILURE) {
    return " (no TLS session: is the port a TLS listener, is its certificate signed by the CA "
           "you trust (--tls-ca), and is it for the host name in the URL?)";
  }
  return "";
}

}  // namespace

FleetWatcher::FleetWatcher(WatcherConfig config, FleetTableOptions table)
    : config_(std::move(config)), table_(std::move(table)) {
  if (config_.client_id.empty()) {
    config_.client_id = "lantaarn-fleet-" + std::to_string(::getpid());
  }
}

FleetWatcher::~FleetWatcher() { stop(); }

Status FleetWatcher::checkSettings() const {
  const std::string& url = config_.broker_url;
  if (!isTlsUrl(url) && !url.starts_with("tcp://") && !url.starts_with("mqtt://")) {
    return invalidArgument("'" + url +
                           "' is not a broker URL (expected tcp://host:port or ssl://host:port)");
  }
  if (!config_.password.empty() && config_.username.empty()) {
    return invalidArgument("a password needs a username");
  }
  if (config_.tls) {
    if (!isTlsUrl(url))
      return invalidArgument("TLS settings need an ssl:// broker URL, not " + url);
    if (config_.tls->cert_file.empty() != config_.tls->key_file.empty()) {
      return invalidArgument("the client certificate and its key go together (both or neither)");
    }
    GW_RETURN_IF_ERROR(checkTlsFileReadable(config_.tls->ca_file, "CA file"));
    GW_RETURN_IF_ERROR(checkTlsFileReadable(config_.tls->cert_file, "client certificate"));
    GW_RETURN_IF_ERROR(checkTlsFileReadable(config_.tls->key_file, "client key"));
  }
  return okStatus();
}

mqtt::connect_options FleetWatcher::connectOptions() const {
  auto builder = mqtt::connect_options_builder()
                     .mqtt_version(MQTTVERSION_3_1_1)
                     .clean_session(true)
                     .keep_alive_interval(std::chrono::seconds(20))
                     .connect_timeout(std::chrono::seconds(10))
                     .automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(30));
  // The same login as a gateway's (user, password, TLS with the host name verified).
  publisher::PublisherConfig login;
  login.broker_url = config_.broker_url;
  login.username = config_.username;
  login.password = config_.password;
  if (config_.tls) {
    login.tls = publisher::TlsConfig{config_.tls->ca_file, config_.tls->cert_file,
                                     config_.tls->key_file, true};
  }
  publisher::addBrokerLogin(builder, login);
  return builder.finalize();
}

Status FleetWatcher::start(std::chrono::milliseconds timeout) {
  GW_RETURN_IF_ERROR(checkSettings());
  client_ = std::make_unique<mqtt::async_client>(config_.broker_url, config_.client_id,
                                                 mqtt::create_options(MQTTVERSION_3_1_1), nullptr);
  client_->set_message_callback([this](const mqtt::const_message_ptr& msg) {
    std::lock_guard lock(mutex_);
    table_.onMessage(msg->get_topic(), msg->get_payload_str());
    ++messages_;
  });
  client_->set_connection_lost_handler([this](const std::string&) { connected_ = false; });
  client_->set_connected_handler([this](const std::string&) {
    connected_ = true;
    // A reconnect with a clean session has no subscription left; asynchronous, as a Paho
    // callback must not wait for a token.
    if (!subscribed_once_) return;
    try {
      client_->subscribe(fleetReportsFilter(), kQos);
    } catch (const mqtt::exception&) {
      // Lost again at once: the next reconnect subscribes.
    }
  });
  const std::string filter = fleetReportsFilter();
  try {
    if (!client_->connect(connectOptions())->wait_for(timeout)) {
      return unavailable("cannot connect to " + config_.broker_url + ": no CONNACK in time");
    }
  } catch (const mqtt::exception& e) {
    return unavailable("cannot connect to " + config_.broker_url + ": " + e.what() +
                       connectHint(e.get_return_code(), isTlsUrl(config_.broker_url)));
  }
  try {
    if (!client_->subscribe(filter, kQos)->wait_for(timeout)) {
      return unavailable("subscription to " + filter + " not acknowledged in time");
    }
  } catch (const mqtt::exception& e) {
    return unavailable("subscription to " + filter + " refused: " + e.what());
  }
  subscribed_once_ = true;
  connected_ = true;
  return okStatus();
}

void FleetWatcher::stop() {
  connected_ = false;
  if (!client_) return;
  try {
    if (client_->is_connected()) client_->disconnect()->wait_for(std::chrono::seconds(2));
  } catch (const mqtt::exception&) {
    // Already gone: nothing left to release.
  }
  client_.reset();
}

std::vector<SiteRow> FleetWatcher::rows(int64_t now_unix_ms) const {
  std::lock_guard lock(mutex_);
  return table_.rows(now_unix_ms);
}

}  // namespace gw::fleet
