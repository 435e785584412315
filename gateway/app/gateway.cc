#include "gateway/app/gateway.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <functional>
#include <set>

#include "gateway/app/gateway_identity.h"
#include "gateway/app/publisher_settings.h"
#include "gateway/app/snapshot_routes.h"
#include "gateway/app/source_factory.h"
#include "gateway/app/version.h"
#include "gateway/core/clock.h"
#include "gateway/core/durations.h"
#include "gateway/core/listen_address.h"
#include "gateway/detectors/factory.h"
#include "gateway/ops/metered_outbox.h"
#include "gateway/pipeline/topics.h"
#include "gateway/privacy/minimiser.h"
#include "gateway/sources/camera/camera_source.h"

namespace gw::app {

namespace {
constexpr auto kDrainPoll = std::chrono::milliseconds(20);

// A route's ttl as an absolute expiry (MQTT 5 message expiry; dropped if it passes in the
// outbox); 0 when the route has none.
int64_t expiresUnixMs(const gateway::v1::Route& route, int64_t produced_unix_ms) {
  if (route.ttl().empty()) return 0;
  const auto seconds = parseDurationSeconds(route.ttl());
  return seconds ? produced_unix_ms + static_cast<int64_t>(*seconds * 1000) : 0;
}
}  // namespace

Gateway::Gateway(config::LoadedPolicyPtr policy, GatewayOptions options)
    : initial_policy_(std::move(policy)),
      options_(std::move(options)),
      checkpoint_timer_(io_),
      drain_timer_(io_),
      batch_timer_(io_),
      privacy_timer_(io_) {}

Gateway::~Gateway() {
  // The ops thread posts to the pipeline; stop it first, then Paho's threads, before the
  // io_context they post to goes away.
  if (ops_server_) ops_server_->stop();
  publisher_.reset();
}

Status Gateway::init() {
  GW_RETURN_IF_ERROR(crypto::initSodium());
  auto routing = buildRoutingState(initial_policy_, counters_);
  if (!routing.ok()) return routing.status();
  routing_ = std::move(routing).value();
  const auto& policy = initial_policy_->policy;

  pipeline::ReadingSink& sink = *this;
  SourceContext context{io_.get_executor(), sink, counters_, policy.site().id(),
                        [this](const gateway::v1::Event& event) {
                          // From a camera's thread: hand it to the pipeline like any event.
                          boost::asio::post(io_, [this, event] { emit(event); });
                        }};
  for (auto config : policy.sources()) {
    if (dryRun()) {
      // Only recorded data is replayed in a dry run: files and video files, never live inputs.
      const bool file =
          (config.has_sensor() && config.sensor().has_replay()) ||
          (config.has_camera() && config.camera().uri().find("://") == std::string::npos &&
           config.camera().uri().rfind("/dev/", 0) != 0 &&
           config.camera().uri().rfind("v4l2:", 0) != 0);
      if (!file) {
        spdlog::info("Dry run skips live source={}", config.id());
        continue;
      }
      if (options_.replay_speed >= 0 && config.has_sensor()) {
        config.mutable_sensor()->mutable_replay()->set_speed(options_.replay_speed);
        config.mutable_sensor()->mutable_replay()->set_loop(false);
      }
      if (config.has_camera()) {
        config.mutable_camera()->set_realtime(options_.replay_speed > 0);
        config.mutable_camera()->set_loop(false);
      }
    }
    auto source = createSource(config, context);
    if (!source.ok()) return source.status();
    sources_.push_back(std::move(source).value());
  }

  GW_RETURN_IF_ERROR(initPrivacy());
  GW_RETURN_IF_ERROR(startFrameDetectors());
  if (!dryRun()) GW_RETURN_IF_ERROR(initSealer());
  if (options_.state_dir.empty()) {
    spdlog::warn("Gateway has no --state-dir: the outbox is in memory and a crash loses it");
    outbox_ =
        std::make_unique<outbox::MemoryOutbox>(policy.gateway().outbox_max_messages(), counters_);
  } else {
    outbox::SegmentOutboxOptions box = outboxOptions(policy.gateway());
    box.dir = std::filesystem::path(options_.state_dir) / "outbox";
    auto opened = outbox::SegmentOutbox::open(std::move(box), counters_);
    if (!opened.ok()) return opened.status();
    outbox_ = std::move(opened).value();
  }

  // Counts bytes sent and acknowledged per actor for the ops endpoint (gateway/ops).
  outbox_ = std::make_unique<ops::MeteredOutbox>(std::move(outbox_), counters_);

  auto pub = publisherConfig(policy, options_.broker_url_override);
  if (!pub.ok()) return pub.status();
  publisher_ =
      std::make_unique<publisher::MqttPublisher>(*pub, io_.get_executor(), *outbox_, counters_);
  return okStatus();
}

Status Gateway::initSealer() {
  const auto& policy = initial_policy_->policy;
  auto identity = loadGatewayIdentity(policy, options_.state_dir);
  if (!identity.ok()) return identity.status();
  crypto::SealerOptions options;
  const auto& settings = policy.gateway();
  // The validator filled in defaults and checked both durations.
  options.epoch.max_age = std::chrono::milliseconds(static_cast<int64_t>(
      parseDurationSeconds(settings.epochs().max_age()).value_or(3600) * 1000));
  options.epoch.max_messages = settings.epochs().max_messages();
  options.checkpoint_interval = std::chrono::milliseconds(static_cast<int64_t>(
      parseDurationSeconds(settings.checkpoint_interval()).value_or(1) * 1000));
  checkpoint_tick_ = std::max(std::chrono::milliseconds(10), options.checkpoint_interval / 4);
  if (!options_.state_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options_.state_dir, ec);
    options.positions_file = std::filesystem::path(options_.state_dir) / "streams";
  }
  auto sealer = crypto::GatewaySealer::open(std::move(identity).value(), policy.site().id(),
                                            std::move(options));
  if (!sealer.ok()) return sealer.status();
  sealer_ = std::move(sealer).value();
  sealer_->setActors(routing_->actor_keys);
  spdlog::info("Gateway identity key_id={} signs every epoch key and checkpoint",
               sealer_->identity().key_id);
  return okStatus();
}

void Gateway::scheduleCheckpoints() {
  checkpoint_timer_.expires_after(checkpoint_tick_);
  checkpoint_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    emitCheckpoints(/*flush=*/false);
    scheduleCheckpoints();
  });
}

void Gateway::emitCheckpoints(bool flush) {
  std::vector<std::pair<std::string, crypto::SealedEnvelope>> due;
  if (Status s = sealer_->checkpoints(nowUnixMs(), flush, &due); !s.ok()) {
    spdlog::error("Checkpoints failed error=\"{}\"", s.message());
    counters_.add("checkpoint_failed_total");
  }
  for (auto& [actor, envelope] : due) {
    enqueue(actor, "", pipeline::Priority::kAlarm, std::move(envelope));
  }
  if (!due.empty()) publisher_->pump();
}

void Gateway::enqueue(const std::string& actor, const std::string& data_kind,
                      pipeline::Priority priority, crypto::SealedEnvelope envelope,
                      int64_t expires_unix_ms) {
  const std::string& site = routing_->policy->policy.site().id();
  std::string kind = data_kind;
  if (envelope.kind == gateway::v1::ENVELOPE_KIND_KEY) kind = pipeline::kKeyKind;
  if (envelope.kind == gateway::v1::ENVELOPE_KIND_CHECKPOINT) kind = pipeline::kCheckpointKind;
  if (envelope.kind != gateway::v1::ENVELOPE_KIND_DATA) {
    // Without its key nothing of the epoch opens, and checkpoints prove the rest: evict them last.
    priority = pipeline::Priority::kAlarm;
  }
  counters_.add(counterKey("envelopes_sealed_total", {{"actor", actor}, {"kind", kind}}));
  pipeline::OutboundMessage out{actor, pipeline::actorTopic(site, actor, kind),
                                std::move(envelope.payload), priority};
  // Only DATA ages out with its route's ttl; a KEY or CHECKPOINT is needed as long as anything
  // of its epoch may still be read.
  if (envelope.kind == gateway::v1::ENVELOPE_KIND_DATA) out.expires_unix_ms = expires_unix_ms;
  if (Status s = outbox_->append(std::move(out)); !s.ok()) {
    // Room for the whole fan-out was checked in accept(), so this means a bug, not load.
    spdlog::error("Outbox rejected message actor={} error=\"{}\"", actor, s.message());
  }
}

Status Gateway::startFrameDetectors() {
  const auto& policy = initial_policy_->policy;
  for (const auto& config : policy.detectors()) {
    for (const auto& source_id : config.sources()) {
      sources::CameraSource* camera = nullptr;
      for (auto& source : sources_) {
        if (source->id() == source_id) camera = dynamic_cast<sources::CameraSource*>(source.get());
      }
      if (camera == nullptr) continue;
      // Its own instance: frames arrive on the worker thread, readings on the pipeline thread,
      // and a policy reload does not touch camera detectors (they change at the next restart).
      auto detector = detectors::createDetector(config, &counters_);
      if (!detector.ok()) return detector.status();
      if (!(*detector)->wantsFrames()) {
        spdlog::warn("Detector takes no frames detector={} camera={}", config.id(), source_id);
        continue;
      }
      // A frame carries no position: the camera's place comes from the policy.
      gateway::v1::Location where;
      for (const auto& source : policy.sources()) {
        if (source.id() == source_id) where = source.location();
      }
      auto& slot = camera->addConsumer("detector:" + config.id());
      auto anonymiser = snapshotAnonymiser(policy, config.id());
      if (!anonymiser.ok()) return anonymiser.status();
      frame_workers_.push_back(std::make_unique<FrameWorker>(
          std::move(detector).value(), slot, io_.get_executor(),
          [this, where](const gateway::v1::Event& e, CameraEvidencePtr evidence) {
            gateway::v1::Event located = e;
            if (!e.has_location()) *located.mutable_location() = where;
            emitCameraEvent(located, std::move(evidence));
          },
          detectorLatency(config.id()),
          counters_.get(counterKey("detector_frames_total",
                                   {{"detector", config.id()}, {"camera", source_id}})),
          std::move(anonymiser).value()));
    }
  }
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
  if (dryRun()) {
    stopWhenSourcesFinish();
  } else if (Status s = publisher_->start(); !s.ok()) {
    spdlog::error("Gateway cannot start publisher error=\"{}\"", s.message());
    return;
  }
  // SIGHUP re-reads the policy; the handler re-arms itself after each reload.
  boost::asio::signal_set hangup(io_, SIGHUP);
  std::function<void()> await_hangup = [&] {
    hangup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec || stopping_) return;
      reloadPolicy();
      await_hangup();
    });
  };
  await_hangup();
  if (sealer_) scheduleCheckpoints();
  schedulePrivacyTimer();
  for (auto& worker : frame_workers_) worker->start();
  for (auto& source : sources_) source->start();
  const auto& policy = routing_->policy->policy;
  spdlog::info("Gateway running site={} sources={} detectors={} routes={} actors={}",
               policy.site().id(), sources_.size(), routing_->detectors.size(),
               policy.routes_size(), routing_->actor_keys.size());
  if (!dryRun()) {
    startOps();
    watchdog_ = std::make_unique<ops::SystemdWatchdog>(io_.get_executor());
    watchdog_->start();
    ops::notifySystemd("READY=1");
  }
  io_.run();  // until drainThenFinish() stops it
  if (ops_server_) ops_server_->stop();
}

void Gateway::stopWhenSourcesFinish() {
  drain_timer_.expires_after(std::chrono::milliseconds(100));
  drain_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    bool all_done = true;
    for (const auto& source : sources_) all_done = all_done && source->finished();
    if (!all_done) return stopWhenSourcesFinish();
    // Let frame workers hand over the events of the last frames before stopping.
    frame_workers_.clear();
    boost::asio::post(io_, [this] { beginShutdown(); });
  });
}

void Gateway::reloadPolicy() {
  if (options_.policy_path.empty()) {
    spdlog::warn("Policy reload requested but gatewayd was not given a policy path");
    return;
  }
  ops::notifySystemd("RELOADING=1");
  // Whatever the outcome, the gateway runs on (with the old or the new policy).
  struct ReadyAgain {
    ~ReadyAgain() { ops::notifySystemd("READY=1"); }
  } ready_again;
  auto loaded = config::loadPolicy(options_.policy_path);
  if (!loaded.ok()) {
    counters_.add("policy_reload_failures_total");
    spdlog::error("Policy reload rejected, the running policy (version {}) stays: {} error(s)",
                  policy_version_, loaded.errors.size());
    for (const auto& e : loaded.errors) spdlog::error("Policy error: {}", e.toString());
    return;
  }
  if (loaded.policy->policy.site().id() != routing_->policy->policy.site().id() ||
      loaded.policy->policy.sources().size() != routing_->policy->policy.sources().size()) {
    // Topics and sockets hang off these; changing them needs a restart, not a reload.
    spdlog::warn("Policy reload: site or sources changed; they take effect at the next restart");
  }
  auto routing = buildRoutingState(loaded.policy, counters_);
  if (!routing.ok()) {
    counters_.add("policy_reload_failures_total");
    spdlog::error("Policy reload rejected, the running policy stays: {}",
                  routing.status().message());
    return;
  }
  // Pending batches point into the running policy's routes: send them before it goes.
  flushBatches();
  // On the pipeline thread and between two readings: nothing is in flight inside the router.
  flushAggregates(/*all=*/true);  // intervals of the old routes end with them
  std::set<std::string> removed;
  for (const auto& [actor, key] : routing_->actor_keys) {
    if (!(*routing)->actor_keys.count(actor)) removed.insert(actor);
  }
  routing_ = std::move(routing).value();
  // Removed actors' streams end; a changed key starts a new epoch sealed to the new key.
  if (sealer_) sealer_->setActors(routing_->actor_keys);
  ++policy_version_;
  counters_.add("policy_reloads_total");
  // An actor the new policy removed receives nothing more, not even what was queued for it.
  for (const auto& actor : removed) {
    const size_t dropped = outbox_->dropUnsent(actor);
    spdlog::info("Policy reload removed actor={} queued_messages_dropped={}", actor, dropped);
  }
  spdlog::info("Policy reloaded version={} routes={} actors={}", policy_version_,
               routing_->policy->policy.routes_size(), routing_->actor_keys.size());
}

void Gateway::requestStop() {
  boost::asio::post(io_, [this] { beginShutdown(); });
}

void Gateway::beginShutdown() {
  if (stopping_) return;
  stopping_ = true;
  if (!dryRun()) ops::notifySystemd("STOPPING=1");
  for (auto& source : sources_) source->stop();
  flushBatches();
  batch_timer_.cancel();
  flushAggregates(/*all=*/true);
  if (sealer_) emitCheckpoints(/*flush=*/true);  // so actors can verify the tail too
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
  if (Status s = sealer_ ? sealer_->close() : okStatus(); !s.ok()) {
    spdlog::error("Stream positions not saved error=\"{}\": the next start counts as unclean",
                  s.message());
  }
  for (const auto& [key, value] : counters_.snapshot()) spdlog::info("Counter {} {}", key, value);
  io_.stop();
}

Status Gateway::accept(const gateway::v1::Reading& reading) {
  if (stopping_) return unavailable("gateway is shutting down");
  if (!outbox_->hasRoom(routing_->max_fan_out)) return resourceExhausted("outbox full");
  counters_.add(counterKey("readings_in_total", {{"source", reading.source_id()}}));
  auto range = routing_->detectors_by_source.equal_range(reading.source_id());
  for (auto it = range.first; it != range.second; ++it) {
    ScopedTimer timer(detectorLatency(it->second->id()));
    it->second->onReading(reading, *this);
  }
  scratch_.clear();
  routing_->router->route(reading, &scratch_);
  deliver(scratch_);
  return okStatus();
}

void Gateway::emit(const gateway::v1::Event& event) {
  recent_events_.record(event);
  counters_.add(
      counterKey("events_total", {{"detector", event.detector_id()}, {"kind", event.kind()}}));
  std::vector<router::RoutedMessage> routed;
  routing_->router->route(event, &routed);
  deliver(routed);
}

void Gateway::deliver(std::vector<router::RoutedMessage>& routed) {
  const int64_t now_ms = nowUnixMs();
  std::vector<router::RoutedMessage> full_batches;
  std::vector<const router::RoutedMessage*> to_keep;
  bool urgent = false;  // an alarm or event went into the outbox
  for (auto& item : routed) {
    const std::string& actor = item.route->to();
    privacy::minimise(&item.message, {item.route->fields().begin(), item.route->fields().end()});
    if (!applyPrivacy(item)) continue;
    if (item.kind == "event") to_keep.push_back(&item);
    if (batcher_.offer(item, std::chrono::steady_clock::now(), &full_batches)) continue;
    if (dryRun()) {
      options_.dry_run_sink(actor, item.kind, item.message);
      continue;
    }
    sealed_scratch_.clear();
    if (Status s = sealer_->seal(actor, item.message, now_ms, &sealed_scratch_); !s.ok()) {
      spdlog::error("Seal failed actor={} error=\"{}\"", actor, s.message());
      counters_.add(counterKey("seal_failed_total", {{"actor", actor}}));
      continue;
    }
    const int64_t expires = expiresUnixMs(*item.route, item.message.produced_unix_ms());
    for (auto& envelope : sealed_scratch_) {
      enqueue(actor, item.kind, item.priority, std::move(envelope), expires);
    }
    urgent = urgent || item.priority != pipeline::Priority::kMeasurement;
  }
  // A batch's body is a MeasurementBatch, which the batcher does not take again.
  if (!full_batches.empty()) deliver(full_batches);
  armBatchTimer();
  if (!dryRun()) {
    if (urgent) {
      publisher_->pump();
    } else {
      pumpSoon();
    }
  }
  // After the pump, so that an alarm is on its way to the broker before the retention store's
  // fsync (0.3 ms typically, up to tens of ms on a busy disk) runs on this thread.
  for (const auto* item : to_keep) keepForRetention(*item);
}

void Gateway::pumpSoon() {
  if (pump_posted_) return;
  pump_posted_ = true;
  boost::asio::post(io_, [this] {
    pump_posted_ = false;
    publisher_->pump();
  });
}

Histogram& Gateway::detectorLatency(const std::string& detector_id) {
  // Called from the pipeline thread only (frame workers get theirs at construction).
  auto& slot = detector_latency_[detector_id];
  if (slot == nullptr) {
    slot = &histograms_.get(counterKey("detector_latency_seconds", {{"detector", detector_id}}));
  }
  return *slot;
}

void Gateway::startOps() {
  const auto& settings = initial_policy_->policy.gateway().ops();
  const std::string listen = options_.ops_listen.empty() ? settings.listen() : options_.ops_listen;
  if (listen == "off") return;
  auto address = parseListenAddress(listen);
  if (!address.ok()) {
    spdlog::error("Ops endpoint disabled error=\"{}\"", address.status().message());
    return;
  }
  ops::OpsServerOptions opts;
  opts.host = address->host;
  opts.port = address->port;
  opts.version = GW_VERSION;
  const auto stall = parseDurationSeconds(settings.stall_after());  // validated; "0s" is off
  opts.stall_after = std::chrono::seconds(stall ? static_cast<int64_t>(*stall) : 0);
  // Counters the exporter should show from the first scrape, not only after the first event.
  for (const char* name : {"policy_reloads_total", "policy_reload_failures_total",
                           "broker_connects_total", "broker_disconnects_total"}) {
    counters_.get(name);
  }
  ops_server_ = std::make_unique<ops::OpsServer>(
      opts, counters_, histograms_, io_.get_executor(), [this] { return opsStatus(); },
      opsWatches());
  if (Status s = ops_server_->start(); !s.ok()) {
    // The endpoint is for watching the gateway; failing to bind it must not stop delivery.
    spdlog::error("Ops endpoint cannot listen error=\"{}\"", s.message());
    counters_.add("ops_listen_failures_total");
    ops_server_.reset();
  }
}

std::vector<ops::Watch> Gateway::opsWatches() const {
  std::vector<ops::Watch> watches;
  for (const auto& source : sources_) {
    const std::string quoted = "=\"" + source->id() + "\"";
    ops::Watch w;
    w.kind = ops::Watch::Kind::kSource;
    w.id = source->id();
    if (dynamic_cast<const sources::CameraSource*>(source.get()) != nullptr) {
      w.progress_prefixes = {"frames_decoded_total{camera" + quoted};
    } else {
      w.progress_prefixes = {"readings_accepted_total{source" + quoted,
                             "readings_dropped_total{source" + quoted};
    }
    watches.push_back(std::move(w));
  }
  for (const auto& config : initial_policy_->policy.detectors()) {
    ops::Watch w;
    w.kind = ops::Watch::Kind::kDetector;
    w.id = config.id();
    for (const auto& source_id : config.sources()) {
      for (const auto& source : sources_) {
        if (source->id() != source_id ||
            dynamic_cast<const sources::CameraSource*>(source.get()) == nullptr) {
          continue;
        }
        w.progress_prefixes.push_back("detector_frames_total{detector=\"" + config.id() +
                                      "\",camera=\"" + source_id + "\"");
        w.input_prefixes.push_back("frames_decoded_total{camera=\"" + source_id + "\"");
      }
    }
    if (!w.progress_prefixes.empty()) watches.push_back(std::move(w));
  }
  return watches;
}

ops::GatewayStatus Gateway::opsStatus() const {
  ops::GatewayStatus s;
  const auto& policy = routing_->policy->policy;
  s.site_id = policy.site().id();
  s.policy_version = policy_version_;
  s.policy_loaded = true;
  s.routes = policy.routes_size();
  for (const auto& [actor, key] : routing_->actor_keys) s.actors.push_back(actor);
  s.broker_connected = publisher_ && publisher_->connected();
  s.outbox_accepting = outbox_->hasRoom(std::max<size_t>(routing_->max_fan_out, 1));
  s.stopping = stopping_;
  s.outbox_messages = outbox_->size();
  s.outbox_in_flight = outbox_->inFlight();
  for (const auto& source : sources_) {
    const bool camera = dynamic_cast<const sources::CameraSource*>(source.get()) != nullptr;
    s.sources.push_back({source->id(), camera ? "camera" : "sensor", source->finished()});
  }
  for (const auto& config : policy.detectors()) {
    s.detectors.push_back({config.id(), {config.sources().begin(), config.sources().end()}});
  }
  const auto now = std::chrono::steady_clock::now();
  std::map<std::string, ops::ActorBacklog> backlog;
  outbox_->forEachEntry([&](const pipeline::Outbox::Entry& entry) {
    auto& b = backlog[entry.message.actor_id];
    b.actor = entry.message.actor_id;
    ++b.messages;
    b.bytes += entry.message.payload.size();
    b.oldest_age_seconds = std::max(b.oldest_age_seconds,
                                    std::chrono::duration<double>(now - entry.appended_at).count());
  });
  for (auto& [actor, b] : backlog) s.backlog.push_back(std::move(b));
  s.recent_events = recent_events_.list();
  return s;
}

void Gateway::armBatchTimer() {
  const auto next = batcher_.nextDeadline();
  if (!next || (batch_timer_at_ && *batch_timer_at_ <= *next)) return;
  batch_timer_at_ = *next;
  batch_timer_.expires_at(*next);
  batch_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed earlier, or shutting down: the newer wait owns the timer
    batch_timer_at_.reset();
    std::vector<router::RoutedMessage> due;
    batcher_.takeDue(std::chrono::steady_clock::now(), &due);
    if (due.empty()) {
      armBatchTimer();
    } else {
      deliver(due);
    }
  });
}

void Gateway::flushBatches() {
  std::vector<router::RoutedMessage> pending;
  batcher_.takeAll(&pending);
  if (!pending.empty()) deliver(pending);
}

}  // namespace gw::app
