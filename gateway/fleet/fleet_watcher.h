#pragma once
// The operator's subscription to what every gateway of the fleet reports (fleetReportsFilter():
// lantaarn/v1/+/_gateway/+), feeding a FleetTable: the broker hands over the retained policy
// report, health summary and online/offline status of every site at once, and the live ones as
// they come. `gatewayctl fleet status` reads the table after a short window; `fleet serve` keeps
// it for as long as it runs.
//
// Connection: MQTT 3.1.1, clean session (the retained messages are the state; nothing queued
// while away is needed), TLS for ssl:// URLs, username and password. Paho reconnects by itself;
// each reconnect subscribes again, and the broker re-sends every retained message, so the table
// catches up with whatever changed meanwhile.
//
// Threads: messages arrive on a Paho thread; rows() and connected() may be called from any
// thread (the table is behind a mutex).
#include <mqtt/async_client.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/fleet/fleet_table.h"

namespace gw::fleet {

struct WatcherTls {
  std::string ca_file;    // empty: the system's trust store
  std::string cert_file;  // a client certificate (PEM), for a broker that requires one
  std::string key_file;   // its private key (PEM)
};

struct WatcherConfig {
  std::string broker_url;  // tcp://host:port or ssl://host:port
  std::string client_id;   // empty: lantaarn-fleet-<pid>
  std::string username;
  std::string password;           // from a file (readPasswordFile), never argv
  std::optional<WatcherTls> tls;  // only with ssl:// URLs
};

class FleetWatcher {
 public:
  FleetWatcher(WatcherConfig config, FleetTableOptions table);
  ~FleetWatcher();
  FleetWatcher(const FleetWatcher&) = delete;
  FleetWatcher& operator=(const FleetWatcher&) = delete;

  // Connects and subscribes; returns once the broker acknowledged the subscription.
  // InvalidArgument for settings that cannot work (named), Unavailable when the broker cannot be
  // reached or refuses us (with a hint for the usual causes).
  Status start(std::chrono::milliseconds timeout);
  // Idempotent; disconnects.
  void stop();

  std::vector<SiteRow> rows(int64_t now_unix_ms) const;
  bool connected() const { return connected_.load(); }
  uint64_t messages() const { return messages_.load(); }

 private:
  Status checkSettings() const;
  mqtt::connect_options connectOptions() const;

  WatcherConfig config_;
  std::unique_ptr<mqtt::async_client> client_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> subscribed_once_{false};  // from then on, every reconnect subscribes again
  std::atomic<uint64_t> messages_{0};
  mutable std::mutex mutex_;
  FleetTable table_;  // guarded by mutex_
};

}  // namespace gw::fleet
