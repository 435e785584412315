#pragma once
// Wires the pipeline of one site together and runs it:
//   sources -> detectors -> router -> privacy (minimise) -> crypto (seal) -> outbox -> publisher
// Everything except Paho's own threads runs on one Asio io_context thread (docs/ARCHITECTURE.md).
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include "gateway/config/policy_loader.h"
#include "gateway/core/counters.h"
#include "gateway/crypto/key_file.h"
#include "gateway/detectors/detector.h"
#include "gateway/outbox/memory_outbox.h"
#include "gateway/outbox/segment_outbox.h"
#include "gateway/pipeline/stage.h"
#include "gateway/publisher/mqtt_publisher.h"
#include "gateway/router/router.h"

namespace gw::app {

struct GatewayOptions {
  std::string broker_url_override;  // --broker; empty: the policy's gateway.broker.url
  std::chrono::milliseconds drain_timeout{10000};
  // --state-dir: the durable outbox lives in <state_dir>/outbox; empty keeps it in memory only.
  std::string state_dir;
};

class Gateway : private pipeline::ReadingSink, private pipeline::EventSink {
 public:
  Gateway(config::LoadedPolicyPtr policy, GatewayOptions options);
  ~Gateway() override;

  // Builds every stage; fails on anything the policy names that cannot be set up.
  Status init();
  // Runs until requestStop(), then drains the outbox (up to drain_timeout) and returns.
  void run();
  // Thread- and signal-safe through io_context::post.
  void requestStop();

  const Counters& counters() const { return counters_; }

 private:
  Status accept(const gateway::v1::Reading& reading) override;
  void emit(const gateway::v1::Event& event) override;
  void deliver(std::vector<router::RoutedMessage>& routed);
  void beginShutdown();
  void drainThenFinish(std::chrono::steady_clock::time_point deadline);

  config::LoadedPolicyPtr policy_;
  GatewayOptions options_;
  Counters counters_;
  boost::asio::io_context io_;  // declared first: destroyed after everything that posts to it
  std::shared_ptr<const gateway::v1::Policy> routing_policy_;
  std::map<std::string, crypto::PublicKey> actor_keys_;
  std::vector<pipeline::SourcePtr> sources_;
  std::multimap<std::string, detectors::Detector*> detectors_by_source_;
  std::vector<detectors::DetectorPtr> detectors_;
  std::unique_ptr<router::Router> router_;
  std::unique_ptr<pipeline::Outbox> outbox_;
  std::unique_ptr<publisher::MqttPublisher> publisher_;
  boost::asio::steady_timer drain_timer_;
  std::vector<router::RoutedMessage> scratch_;
  size_t max_fan_out_ = 0;
  bool stopping_ = false;
};

}  // namespace gw::app
