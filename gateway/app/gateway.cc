#include "gateway/app/gateway.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <functional>

#include "gateway/app/version.h"
#include "gateway/config/policy_loader.h"
#include "gateway/crypto/gateway_identity.h"
#include "gateway/detectors/factory.h"
#include "gateway/ops/metered_outbox.h"
#include "gateway/ops/status_report.h"
#include "gateway/outbox/open_outbox.h"
#include "gateway/privacy/snapshot_evidence.h"

namespace gw::app {

namespace {
constexpr auto kDrainPoll = std::chrono::milliseconds(20);
}  // namespace

Gateway::Gateway(config::ResolvedPolicyPtr policy, GatewayOptions options)
    : initial_policy_(std::move(policy)), options_(std::move(options)), drain_timer_(io_) {}

Gateway::~Gateway() {
  // The ops thread posts to the pipeline; stop it first, then Paho's threads, before the
  // io_context they post to goes away. The fleet agent asks both: it goes first.
  pipeline_ended_ = true;
  if (fleet_agent_) fleet_agent_->stop();
  if (ops_server_) ops_server_->stop();
  publisher_.reset();
}

Status Gateway::init() {
  GW_RETURN_IF_ERROR(crypto::initSodium());
  GW_RETURN_IF_ERROR(initFleetPolicy());
  GW_RETURN_IF_ERROR(initOutbox());
  auto pub = initial_policy_->publisher;
  if (!options_.broker_url_override.empty()) pub.broker_url = options_.broker_url_override;
  publisher_ =
      std::make_unique<publisher::MqttPublisher>(pub, io_.get_executor(), *outbox_, counters_);
  auto path = DataPath::create(initial_policy_, io_.get_executor(), *outbox_, *publisher_,
                               counters_, histograms_, {options_.state_dir, options_.dry_run_sink});
  if (!path.ok()) return path.status();
  data_path_ = std::move(path).value();
  GW_RETURN_IF_ERROR(initSources());
  return initFrameWorkers();
}

Status Gateway::initOutbox() {
  outbox::OpenOutboxOptions how{options_.state_dir, {}, options_.quarantine_foreign_outbox};
  if (!options_.state_dir.empty()) {
    // The identity the sealer signs with (created here on first start, found again there).
    const auto& policy = initial_policy_->policy;
    auto identity = crypto::loadGatewayIdentity(policy.gateway().identity_key_file(),
                                                policy.site().id(), options_.state_dir);
    if (!identity.ok()) return identity.status();
    how.owner = {policy.site().id(), identity->key_id};
  }
  auto opened = outbox::openOutbox(initial_policy_->outbox, how, counters_);
  if (!opened.ok()) return opened.status();
  // Counts bytes sent and acknowledged per actor for the ops endpoint (gateway/ops).
  outbox_ = std::make_unique<ops::MeteredOutbox>(std::move(opened).value(), counters_);
  return okStatus();
}

Status Gateway::initSources() {
  sources::SourceContext context{
      io_.get_executor(), *data_path_, counters_, [this](const gateway::v1::Event& event) {
        // From a camera's thread: to the pipeline like any event.
        boost::asio::post(io_, [this, event] { data_path_->emit(event); });
      }};
  for (auto settings : initial_policy_->sources) {
    if (dryRun() && !sources::prepareForReplay(&settings, options_.replay_speed)) {
      spdlog::info("Dry run skips live source={}", sources::sourceId(settings));
      continue;
    }
    auto source = sources::createSource(settings, context);
    if (!source.ok()) return source.status();
    sources_.push_back(std::move(source).value());
  }
  return okStatus();
}

Status Gateway::initFrameWorkers() {
  // Every frame-consuming detector gets its own instance and thread on each camera it watches;
  // a reload does not touch them (they change at the next restart).
  const auto& policy = *initial_policy_;
  auto workers = detectors::createFrameWorkers(
      policy.policy.detectors(), sources_,
      [&](const std::string& detector) {
        return privacy::snapshotEvidence(policy.routes, detector);
      },
      io_.get_executor(),
      [this](const gateway::v1::Event& e, const pipeline::CameraEvidencePtr& evidence) {
        data_path_->emitCameraEvent(e, evidence);
      },
      counters_, histograms_);
  if (!workers.ok()) return workers.status();
  frame_workers_ = std::move(workers).value();
  return okStatus();
}

Status Gateway::run() {
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
    return s;
  }
  // SIGHUP re-reads the policy; the handler re-arms itself after each reload.
  boost::asio::signal_set hangup(io_, SIGHUP);
  std::function<void()> await_hangup = [&] {
    hangup.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec || data_path_->stopping()) return;
      reloadPolicy();
      await_hangup();
    });
  };
  await_hangup();
  data_path_->start();
  for (auto& worker : frame_workers_) worker->start();
  for (auto& source : sources_) source->start();
  const auto& policy = initial_policy_->policy;
  spdlog::info("Gateway running site={} sources={} detectors={} routes={} actors={}",
               policy.site().id(), sources_.size(), data_path_->detectors(), policy.routes_size(),
               initial_policy_->actor_keys.size());
  if (!dryRun()) {
    startOps();
    startFleet();
    watchdog_ = std::make_unique<ops::SystemdWatchdog>(io_.get_executor());
    watchdog_->start();
    ops::notifySystemd("READY=1");
  }
  io_.run();  // until drainThenFinish() stops it
  if (fleet_agent_) fleet_agent_->stop();
  if (ops_server_) ops_server_->stop();
  return okStatus();
}

void Gateway::startOps() {
  if (!initial_policy_->ops || options_.ops_listen == "off") return;
  ops::OpsServerOptions opts = *initial_policy_->ops;
  opts.version = GW_VERSION;
  // Counters the exporter should show from the first scrape, not only after the first reload.
  counters_.get("policy_reloads_total");
  counters_.get("policy_reload_failures_total");
  std::vector<ops::FrameFeed> feeds;
  for (const auto& w : frame_workers_) {
    feeds.push_back({w->detectorId(), w->progressCounter(), w->inputCounter()});
  }
  auto collect = [this] { return collectStatus(); };
  ops_server_ =
      ops::OpsServer::startOrLog(opts, options_.ops_listen, counters_, histograms_,
                                 io_.get_executor(), collect, ops::watchesFor(sources_, feeds));
}

ops::GatewayStatus Gateway::collectStatus() {
  const auto& policy = data_path_->policy();
  ops::PipelineView view{policy.policy.site().id(),
                         policy_version_,
                         policy.policy.routes_size(),
                         {},
                         {},
                         publisher_->connected(),
                         data_path_->stopping(),
                         data_path_->fanOut(),
                         outbox_.get(),
                         &sources_,
                         &data_path_->recentEvents()};
  for (const auto& [actor, key] : policy.actor_keys) view.actors.push_back(actor);
  for (const auto& d : policy.policy.detectors()) {
    view.detectors.push_back({d.id(),
                              {d.sources().begin(), d.sources().end()},
                              detectors::runsInOwnProcess(d) ? "process" : "none"});
  }
  return ops::reportStatus(view);
}

void Gateway::stopWhenSourcesFinish() {
  drain_timer_.expires_after(std::chrono::milliseconds(100));
  drain_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || data_path_->stopping()) return;
    for (const auto& source : sources_) {
      if (!source->finished()) return stopWhenSourcesFinish();
    }
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
  auto loaded = config::loadPolicy(policyPaths());
  for (const auto& e : loaded.errors) spdlog::error("Policy error: {}", e.toString());
  Status s = loaded.ok() ? swapPolicy(loaded.policy)
                         : invalidArgument(std::to_string(loaded.errors.size()) + " error(s)");
  if (!s.ok()) {
    counters_.add("policy_reload_failures_total");
    spdlog::error("Policy reload rejected, the running policy (version {}) stays: {}",
                  policy_version_, s.message());
  }
}

Status Gateway::swapPolicy(const config::ResolvedPolicyPtr& policy) {
  const auto& running = data_path_->policy().policy;
  if (policy->policy.site().id() != running.site().id() ||
      policy->policy.sources().size() != running.sources().size()) {
    // Topics and sockets hang off these; changing them needs a restart, not a reload.
    spdlog::warn("Policy reload: site or sources changed; they take effect at the next restart");
  }
  // On the pipeline thread and between two readings: nothing is in flight inside the router.
  GW_RETURN_IF_ERROR(data_path_->reload(policy));
  ++policy_version_;
  counters_.add("policy_reloads_total");
  spdlog::info("Policy reloaded version={} routes={} actors={}", policy_version_,
               policy->policy.routes_size(), policy->actor_keys.size());
  return okStatus();
}

void Gateway::requestStop() {
  boost::asio::post(io_, [this] { beginShutdown(); });
}

void Gateway::beginShutdown() {
  if (data_path_->stopping()) return;
  pipeline_ended_ = true;
  ops::notifySystemd("STOPPING=1");
  for (auto& source : sources_) source->stop();
  data_path_->stop();
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
  if (Status s = data_path_->close(); !s.ok()) {
    spdlog::error("Stream positions not saved error=\"{}\": the next start counts as unclean",
                  s.message());
  }
  for (const auto& [key, value] : counters_.snapshot()) spdlog::info("Counter {} {}", key, value);
  io_.stop();
}

}  // namespace gw::app
