#include "gateway/fleet/fleet_agent.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "gateway/config/policy_loader.h"
#include "gateway/core/clock.h"
#include "gateway/fleet/bundle_intake.h"
#include "gateway/fleet/fleet_report.h"
#include "gateway/fleet/fleet_topics.h"
#include "gateway/publisher/broker_login.h"

namespace gw::fleet {
namespace {

using gateway::v1::PolicyStatus;

constexpr int kQos = 1;
constexpr auto kTickEvery = std::chrono::seconds(1);
constexpr auto kConnectRetry = std::chrono::seconds(2);

// Paho's answer to a connect attempt, back on the agent's thread.
class ConnectListener : public mqtt::iaction_listener {
 public:
  explicit ConnectListener(std::function<void()> failed) : failed_(std::move(failed)) {}
  void on_success(const mqtt::token&) override {}
  void on_failure(const mqtt::token&) override { failed_(); }

 private:
  std::function<void()> failed_;
};

}  // namespace

FleetAgent::FleetAgent(FleetAgentOptions options, FleetHooks hooks, Counters& counters)
    : options_(std::move(options)),
      hooks_(std::move(hooks)),
      counters_(counters),
      store_(options_.fleet_dir),
      tick_timer_(io_) {}

FleetAgent::~FleetAgent() { stop(); }

Status FleetAgent::start(const StartupPolicy& start) {
  versions_ = start.versions;
  running_ = versions_.running;
  started_unix_ms_ = nowUnixMs();
  for (const char* name : {"fleet_bundles_received_total", "fleet_bundles_applied_total",
                           "fleet_bundles_refused_total", "fleet_rollbacks_total"}) {
    counters_.get(name);
  }
  if (!start.rolled_back.empty()) {
    last_error_ = "bundle version " + std::to_string(start.dropped_version) +
                  " rolled back at start: " + start.rolled_back;
    counters_.add("fleet_rollbacks_total");
    spdlog::error("Fleet {}", last_error_);
    last_policy_status_ =
        statusAbout(PolicyStatus::OUTCOME_ROLLED_BACK, start.dropped_version, start.rolled_back);
  } else if (versions_.running == 0) {
    last_policy_status_ = statusAbout(PolicyStatus::OUTCOME_LOCAL_ONLY, 0, "");
  } else {
    last_policy_status_ = statusAbout(
        versions_.onProbation() ? PolicyStatus::OUTCOME_APPLIED : PolicyStatus::OUTCOME_CONFIRMED,
        versions_.running, "");
  }
  if (versions_.onProbation()) {
    // A restart during a probation starts it over, from a fresh baseline.
    probation_.emplace(
        sampleHealth(hooks_.inspect(), versions_.running, last_error_, started_unix_ms_));
    probation_ends_ = std::chrono::steady_clock::now() + options_.settings.probation;
    probation_ends_unix_ms_ = nowUnixMs() + options_.settings.probation.count();
    last_policy_status_->set_probation_ends_unix_ms(probation_ends_unix_ms_);
  }
  try {
    mqtt::create_options create(MQTTVERSION_3_1_1);
    client_ = std::make_unique<mqtt::async_client>(
        options_.broker.broker_url, options_.broker.client_id + "-fleet", create, nullptr);
  } catch (const mqtt::exception& e) {
    return invalidArgument("fleet: cannot create an MQTT client for " + options_.broker.broker_url +
                           ": " + e.what());
  }
  client_->set_connected_handler(
      [this](const std::string&) { boost::asio::post(io_, [this] { onConnected(); }); });
  client_->set_message_callback([this](const mqtt::const_message_ptr& message) {
    boost::asio::post(io_, [this, topic = message->get_topic(),
                            payload = message->get_payload_str()] { onBundle(topic, payload); });
  });
  auto connect = std::make_shared<std::function<void()>>();
  auto listener = std::make_shared<ConnectListener>([this, connect] {
    // Paho retries by itself only after a first success; until then, we do.
    boost::asio::post(io_, [this, connect] {
      if (stopped_) return;
      auto timer = std::make_shared<boost::asio::steady_timer>(io_, kConnectRetry);
      timer->async_wait([timer, connect](const boost::system::error_code& ec) {
        if (!ec) (*connect)();
      });
    });
  });
  *connect = [this, listener] {
    auto builder = mqtt::connect_options_builder()
                       .mqtt_version(MQTTVERSION_3_1_1)
                       .clean_session(true)
                       .keep_alive_interval(std::chrono::seconds(20))
                       .connect_timeout(std::chrono::seconds(10))
                       .automatic_reconnect(std::chrono::seconds(1), std::chrono::seconds(30));
    publisher::addBrokerLogin(builder, options_.broker);
    try {
      client_->connect(builder.finalize(), nullptr, *listener);
    } catch (const mqtt::exception& e) {
      spdlog::warn("Fleet cannot connect broker={} error=\"{}\"", options_.broker.broker_url,
                   e.what());
    }
  };
  boost::asio::post(io_, [connect] { (*connect)(); });
  tickLater();
  thread_ = std::thread([this] { io_.run(); });
  spdlog::info("Fleet agent started site={} group={} running_version={} operator_keys={}",
               options_.site, options_.settings.group, versions_.running,
               options_.settings.operator_keys.size());
  return okStatus();
}

void FleetAgent::stop() {
  if (!thread_.joinable()) return;
  boost::asio::post(io_, [this] {
    stopped_ = true;
    tick_timer_.cancel();
  });
  if (client_) {
    try {
      client_->disconnect()->wait_for(std::chrono::seconds(2));
    } catch (const mqtt::exception&) {
      // Not connected: nothing to say goodbye to.
    }
    client_->set_message_callback([](const mqtt::const_message_ptr&) {});
    client_->set_connected_handler([](const std::string&) {});
  }
  io_.stop();
  thread_.join();
  client_.reset();
}

void FleetAgent::onConnected() {
  if (stopped_) return;
  std::vector<std::string> topics{siteBundleTopic(options_.site)};
  if (!options_.settings.group.empty()) topics.push_back(groupBundleTopic(options_.settings.group));
  for (const auto& topic : topics) {
    try {
      client_->subscribe(topic, kQos);
    } catch (const mqtt::exception& e) {
      spdlog::warn("Fleet cannot subscribe topic={} error=\"{}\"", topic, e.what());
    }
  }
  spdlog::info("Fleet connected broker={} listening on {}", options_.broker.broker_url,
               topics.size() == 1 ? topics[0] : topics[0] + " and " + topics[1]);
  // The broker may have lost what we retained (no persistence): say it again.
  if (last_policy_status_) reportPolicy(*last_policy_status_);
  last_health_fingerprint_.clear();
}

void FleetAgent::onBundle(const std::string& topic, const std::string& payload) {
  if (stopped_ || payload.empty()) return;  // an empty retained message clears the topic
  counters_.add("fleet_bundles_received_total");
  IntakeRules rules{options_.site, options_.settings.group, options_.settings.operator_keys,
                    options_.local_policy, versions_.floor};
  auto taken = takeBundle(payload, rules, store_);
  if (auto* refusal = std::get_if<Refusal>(&taken)) {
    // The broker hands the running bundle back at every reconnect: that is no news.
    if (refusal->version != 0 && refusal->version == versions_.running) return;
    spdlog::error("Fleet bundle refused topic={} version={} reason=\"{}\"", topic, refusal->version,
                  refusal->reason);
    refuse(refusal->version, refusal->reason);
    return;
  }
  auto& bundle = std::get<AcceptedBundle>(taken);
  const uint64_t version = bundle.manifest.version();
  if (Status applied = hooks_.apply(bundle.policy); !applied.ok()) {
    spdlog::error("Fleet bundle version={} not applied: {}", version, applied.message());
    refuse(version, "the reload failed: " + applied.message());
    return;
  }
  const uint64_t before = versions_.running;
  last_error_.clear();  // the latest error is about an earlier bundle: this one is news
  versions_.floor = version;
  versions_.running = version;
  versions_.probation_starts = 1;
  running_ = version;
  running_operator_ = bundle.manifest.operator_name();
  running_signer_ = bundle.signer_key_id;
  if (Status s = persist(); !s.ok()) spdlog::error("Fleet versions not saved: {}", s.message());
  counters_.add("fleet_bundles_applied_total");
  spdlog::info("Fleet bundle applied version={} (was {}) operator={} probation={}s", version,
               before, running_operator_, options_.settings.probation.count() / 1000);
  probation_.emplace(sampleHealth(hooks_.inspect(), version, last_error_, started_unix_ms_));
  probation_ends_ = std::chrono::steady_clock::now() + options_.settings.probation;
  probation_ends_unix_ms_ = nowUnixMs() + options_.settings.probation.count();
  auto status = statusAbout(PolicyStatus::OUTCOME_APPLIED, version, "");
  status.set_probation_ends_unix_ms(probation_ends_unix_ms_);
  reportPolicy(status);
  last_health_fingerprint_.clear();  // a new policy version is a change
}

void FleetAgent::refuse(uint64_t version, const std::string& reason) {
  counters_.add("fleet_bundles_refused_total");
  last_error_ = "bundle" + (version ? " version " + std::to_string(version) : std::string()) +
                " refused: " + reason;
  store_.prune({versions_.running, versions_.last_good});
  // A retained bundle comes back at every reconnect; report each refusal once per run.
  if (!refusals_reported_.insert(std::to_string(version) + " " + reason).second) return;
  auto status = statusAbout(PolicyStatus::OUTCOME_REFUSED, version, reason);
  reportPolicy(status);
}

void FleetAgent::tickLater() {
  tick_timer_.expires_after(kTickEvery);
  tick_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    tick();
    tickLater();
  });
}

void FleetAgent::tick() {
  HealthSample sample =
      sampleHealth(hooks_.inspect(), versions_.running, last_error_, started_unix_ms_);
  if (probation_) {
    if (auto failure = probation_->judge(sample)) {
      rollBack(*failure);
      sample = sampleHealth(hooks_.inspect(), versions_.running, last_error_, started_unix_ms_);
    } else if (std::chrono::steady_clock::now() >= probation_ends_) {
      confirm();
    }
  }
  const auto now = std::chrono::steady_clock::now();
  const std::string fingerprint = summaryFingerprint(sample.summary);
  if (fingerprint != last_health_fingerprint_ ||
      now - last_health_sent_ >= options_.settings.status_interval) {
    reportHealth(sample);
    last_health_fingerprint_ = fingerprint;
    last_health_sent_ = now;
  }
}

void FleetAgent::rollBack(const std::string& why) {
  const uint64_t failed = versions_.running;
  probation_.reset();
  const uint64_t target = versions_.last_good;
  counters_.add("fleet_rollbacks_total");
  auto loaded = config::loadPolicy(policyPaths(options_.local_policy, store_, target));
  Status applied =
      loaded.ok() ? hooks_.apply(loaded.policy) : invalidArgument(describeErrors(loaded.errors));
  if (!applied.ok()) {
    // Nothing better to go back to: keep running what runs, and say so.
    last_error_ = "bundle version " + std::to_string(failed) + " failed its probation (" + why +
                  ") and version " + std::to_string(target) +
                  " could not be restored: " + applied.message();
    spdlog::critical("Fleet {}", last_error_);
    versions_.probation_starts = 0;
    (void)persist();
    reportPolicy(statusAbout(PolicyStatus::OUTCOME_ROLLED_BACK, failed, last_error_));
    return;
  }
  versions_.running = target;
  versions_.probation_starts = 0;
  running_ = target;
  if (Status s = persist(); !s.ok()) spdlog::error("Fleet versions not saved: {}", s.message());
  store_.prune({versions_.running, versions_.last_good});
  last_error_ = "bundle version " + std::to_string(failed) + " rolled back: " + why;
  spdlog::error("Fleet {}; running version {} again", last_error_, target);
  reportPolicy(statusAbout(PolicyStatus::OUTCOME_ROLLED_BACK, failed, why));
}

void FleetAgent::confirm() {
  probation_.reset();
  versions_.last_good = versions_.running;
  versions_.probation_starts = 0;
  if (Status s = persist(); !s.ok()) spdlog::error("Fleet versions not saved: {}", s.message());
  store_.prune({versions_.running});
  spdlog::info("Fleet bundle version={} passed its probation", versions_.running);
  reportPolicy(statusAbout(PolicyStatus::OUTCOME_CONFIRMED, versions_.running, ""));
}

Status FleetAgent::persist() { return writeFleetVersions(options_.fleet_dir, versions_); }

PolicyStatus FleetAgent::statusAbout(PolicyStatus::Outcome outcome, uint64_t version,
                                     const std::string& reason) const {
  PolicyStatus status;
  status.set_outcome(outcome);
  status.set_bundle_version(version);
  status.set_running_version(versions_.running);
  status.set_reason(reason);
  if (version != 0 && version == versions_.running) {
    status.set_operator_name(running_operator_);
    status.set_signer_key_id(running_signer_);
  }
  status.set_at_unix_ms(nowUnixMs());
  return status;
}

void FleetAgent::reportPolicy(gateway::v1::PolicyStatus status) {
  last_policy_status_ = status;
  gateway::v1::FleetReport report;
  report.set_site(options_.site);
  report.set_group(options_.settings.group);
  report.set_sent_unix_ms(nowUnixMs());
  *report.mutable_policy() = std::move(status);
  publishRetained(policyStatusTopic(options_.site),
                  signFleetReport(report, options_.identity).SerializeAsString());
}

void FleetAgent::reportHealth(const HealthSample& sample) {
  gateway::v1::FleetReport report;
  report.set_site(options_.site);
  report.set_group(options_.settings.group);
  report.set_sent_unix_ms(nowUnixMs());
  *report.mutable_health() = sample.summary;
  report.mutable_health()->set_gateway_version(options_.gateway_version);
  publishRetained(healthTopic(options_.site),
                  signFleetReport(report, options_.identity).SerializeAsString());
}

void FleetAgent::publishRetained(const std::string& topic, const std::string& payload) {
  if (!client_ || !client_->is_connected()) return;  // said again at the next connect
  try {
    client_->publish(mqtt::make_message(topic, payload, kQos, true));
    counters_.add("fleet_reports_published_total");
  } catch (const mqtt::exception& e) {
    spdlog::warn("Fleet report not published topic={} error=\"{}\"", topic, e.what());
  }
}

}  // namespace gw::fleet
