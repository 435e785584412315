#pragma once
// lantaarn-actor's wiring: the subscriber (secured broker connection, persistent session)
// verifies and decrypts; each accepted envelope is journaled so the receiver's state survives
// restarts (receiver_store.h); each verified message goes to the spool of every sink whose
// filter takes it (sink_spool.h), written before the broker's PUBACK; each sink's worker delivers
// from its spool with retries (sink_worker.h); /healthz and /metrics read counters and gauges.
//
//   broker -> ActorSubscriber -> EnvelopeReceiver -> ReceiverStore (journal, snapshots)
//                                      \-> SinkSpool per sink -> SinkWorker -> Sink
//
// Threads: Paho's delivery thread (one delivery at a time: receiver, journal, spool puts), one
// worker per sink, the health endpoint's thread.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "gateway/actor/actor_subscriber.h"
#include "gateway/actor_service/health_endpoint.h"
#include "gateway/actor_service/receiver_store.h"
#include "gateway/actor_service/service_config.h"
#include "gateway/actor_service/sink_spool.h"
#include "gateway/actor_service/sink_worker.h"
#include "gateway/core/counters.h"

namespace gw::actor_service {

class ActorService {
 public:
  // Reads the keys and the password file, opens the state directory (restoring the receiver
  // and the spools) and builds the sinks; errors name the file.
  static Result<std::unique_ptr<ActorService>> create(ServiceConfig config);
  ~ActorService();
  ActorService(const ActorService&) = delete;
  ActorService& operator=(const ActorService&) = delete;

  // Starts the sinks, the health endpoint and the subscription. Unavailable when the broker or
  // the listen address cannot be reached; the service keeps reconnecting after a later loss.
  Status start();
  // Stops taking messages, saves the receiver's state, lets each sink finish its delivery.
  void stop();

  HttpAnswer respond(const std::string& target) const;
  uint16_t healthPort() const { return health_ ? health_->port() : 0; }
  const Counters& counters() const { return counters_; }

 private:
  struct SinkSlot {
    SinkSettings settings;
    std::unique_ptr<SinkSpool> spool;
    std::unique_ptr<SinkWorker> worker;
  };

  explicit ActorService(ServiceConfig config) : config_(std::move(config)) {}
  Status build();
  void onDelivery(const actor::Delivery& delivery);
  void onNotice(const actor::Notice& notice);
  void spool(const actor::Delivery& delivery);
  std::string renderMetrics() const;

  ServiceConfig config_;
  Counters counters_;
  // The per-envelope counters, looked up once rather than by name on every delivery.
  std::atomic<uint64_t>& received_ = counters_.get("envelopes_received_total");
  std::atomic<uint64_t>& duplicates_ = counters_.get("envelopes_duplicate_total");
  std::atomic<uint64_t>& verified_ = counters_.get("messages_verified_total");
  std::atomic<uint64_t>& keys_ = counters_.get("epoch_keys_total");
  std::atomic<uint64_t>& checkpoints_ = counters_.get("checkpoints_total");
  std::unique_ptr<ReceiverStore> store_;
  std::vector<SinkSlot> sinks_;
  std::unique_ptr<actor::ActorSubscriber> subscriber_;
  std::unique_ptr<HealthEndpoint> health_;
  int64_t last_snapshot_ms_ = 0;  // delivery thread
  bool had_earlier_run_ = false;  // a receiver state was on disk at start
  mutable std::mutex notices_mutex_;
  std::set<std::string> silent_;  // streams (sites) silent right now
};

}  // namespace gw::actor_service
