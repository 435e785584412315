#include "gateway/app/gateway.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "gateway/crypto/sealer.h"
#include "gateway/detectors/factory.h"
#include "gateway/pipeline/topics.h"
#include "gateway/privacy/minimiser.h"
#include "gateway/sources/sensor/file_replay_source.h"

namespace gw::app {

namespace {
constexpr auto kDrainPoll = std::chrono::milliseconds(20);
}  // namespace

Gateway::Gateway(config::LoadedPolicyPtr policy, GatewayOptions options)
    : policy_(std::move(policy)), options_(std::move(options)), drain_timer_(io_) {}

Gateway::~Gateway() {
  // Stop Paho's threads before the io_context they post to goes away.
  publisher_.reset();
}

Status Gateway::init() {
  GW_RETURN_IF_ERROR(crypto::initSodium());
  const auto& policy = policy_->policy;
  routing_policy_ = std::shared_ptr<const gateway::v1::Policy>(policy_, &policy_->policy);

  for (const auto& actor : policy.actors()) {
    auto key = crypto::readPublicKeyFile(actor.public_key_file());
    if (!key.ok()) return key.status();
    actor_keys_.emplace(actor.id(), std::move(key).value());
  }

  for (const auto& config : policy.detectors()) {
    auto detector = detectors::createDetector(config);
    if (!detector.ok()) return detector.status();
    for (const auto& source : config.sources())
      detectors_by_source_.emplace(source, detector->get());
    detectors_.push_back(std::move(detector).value());
  }

  for (const auto& config : policy.sources()) {
    pipeline::ReadingSink& sink = *this;
    sources_.push_back(
        std::make_unique<sources::FileReplaySource>(config, io_.get_executor(), sink, counters_));
  }

  router_ = std::make_unique<router::Router>(routing_policy_, counters_);
  // One reading matches at most every route, and each detector emits at most one event per
  // reading that again matches at most every route. Checking this much room up front means a
  // reading is either accepted whole or pushed back to its source whole; never half-delivered.
  max_fan_out_ = static_cast<size_t>(policy.routes_size()) * (1 + detectors_.size());
  if (options_.state_dir.empty()) {
    spdlog::warn("Gateway has no --state-dir: the outbox is in memory and a crash loses it");
    outbox_ =
        std::make_unique<outbox::MemoryOutbox>(policy.gateway().outbox_max_messages(), counters_);
  } else {
    outbox::SegmentOutboxOptions box;
    box.dir = std::filesystem::path(options_.state_dir) / "outbox";
    box.max_messages = policy.gateway().outbox_max_messages();
    auto opened = outbox::SegmentOutbox::open(std::move(box), counters_);
    if (!opened.ok()) return opened.status();
    outbox_ = std::move(opened).value();
  }

  publisher::PublisherConfig pub;
  pub.broker_url = options_.broker_url_override.empty() ? policy.gateway().broker().url()
                                                        : options_.broker_url_override;
  pub.client_id = policy.gateway().broker().client_id();
  pub.username = policy.gateway().broker().username();
  pub.max_inflight = policy.gateway().max_inflight();
  pub.status_topic =
      std::string(pipeline::kTopicRoot) + "/" + policy.site().id() + "/_gateway/status";
  publisher_ =
      std::make_unique<publisher::MqttPublisher>(pub, io_.get_executor(), *outbox_, counters_);
  return okStatus();
}

void Gateway::run() {
  auto guard = boost::asio::make_work_guard(io_);
  boost::asio::signal_set signals(io_, SIGINT, SIGTERM);
  signals.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("Gateway received signal={}", signal);
    beginShutdown();
  });
  if (Status s = publisher_->start(); !s.ok()) {
    spdlog::error("Gateway cannot start publisher error=\"{}\"", s.message());
    return;
  }
  for (auto& source : sources_) source->start();
  spdlog::info("Gateway running site={} sources={} detectors={} routes={} actors={}",
               policy_->policy.site().id(), sources_.size(), detectors_.size(),
               policy_->policy.routes_size(), actor_keys_.size());
  io_.run();  // until drainThenFinish() stops it
}

void Gateway::requestStop() {
  boost::asio::post(io_, [this] { beginShutdown(); });
}

void Gateway::beginShutdown() {
  if (stopping_) return;
  stopping_ = true;
  for (auto& source : sources_) source->stop();
  spdlog::info("Gateway stopping: flushing outbox messages={}", outbox_->size());
  drainThenFinish(std::chrono::steady_clock::now() + options_.drain_timeout);
}

void Gateway::drainThenFinish(std::chrono::steady_clock::time_point deadline) {
  publisher_->pump();
  if (!outbox_->empty() && std::chrono::steady_clock::now() < deadline) {
    drain_timer_.expires_after(kDrainPoll);
    drain_timer_.async_wait(
        [this, deadline](const boost::system::error_code&) { drainThenFinish(deadline); });
    return;
  }
  if (!outbox_->empty()) {
    spdlog::error("Gateway drain timed out: {} messages not acknowledged by the broker",
                  outbox_->size());
    // A durable outbox keeps them for the next start; the in-memory one loses them.
    counters_.add(options_.state_dir.empty() ? "messages_lost_at_shutdown_total"
                                             : "messages_kept_for_restart_total",
                  outbox_->size());
  }
  publisher_->stop(std::chrono::seconds(2));
  for (const auto& [key, value] : counters_.snapshot()) spdlog::info("Counter {} {}", key, value);
  io_.stop();
}

Status Gateway::accept(const gateway::v1::Reading& reading) {
  if (stopping_) return unavailable("gateway is shutting down");
  if (!outbox_->hasRoom(max_fan_out_)) return resourceExhausted("outbox full");
  counters_.add(counterKey("readings_in_total", {{"source", reading.source_id()}}));
  auto range = detectors_by_source_.equal_range(reading.source_id());
  for (auto it = range.first; it != range.second; ++it) it->second->onReading(reading, *this);
  scratch_.clear();
  router_->route(reading, &scratch_);
  deliver(scratch_);
  return okStatus();
}

void Gateway::emit(const gateway::v1::Event& event) {
  counters_.add(
      counterKey("events_total", {{"detector", event.detector_id()}, {"kind", event.kind()}}));
  std::vector<router::RoutedMessage> routed;
  router_->route(event, &routed);
  deliver(routed);
}

void Gateway::deliver(std::vector<router::RoutedMessage>& routed) {
  const std::string& site = policy_->policy.site().id();
  for (auto& item : routed) {
    const std::string& actor = item.route->to();
    privacy::minimise(&item.message, {item.route->fields().begin(), item.route->fields().end()});
    auto sealed = crypto::seal(item.message, actor_keys_.at(actor));
    if (!sealed.ok()) {
      spdlog::error("Seal failed actor={} error=\"{}\"", actor, sealed.status().message());
      counters_.add(counterKey("seal_failed_total", {{"actor", actor}}));
      continue;
    }
    pipeline::OutboundMessage out{actor, pipeline::actorTopic(site, actor, item.kind),
                                  std::move(sealed).value(), item.priority};
    if (Status s = outbox_->append(std::move(out)); !s.ok()) {
      // Room for the whole fan-out was checked in accept(), so this means a bug, not load.
      spdlog::error("Outbox rejected message actor={} error=\"{}\"", actor, s.message());
    }
  }
  publisher_->pump();
}

}  // namespace gw::app
