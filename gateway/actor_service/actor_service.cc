#include "gateway/actor_service/actor_service.h"

#include <spdlog/spdlog.h>

#include "gateway/actor/pinned_gateways.h"
#include "gateway/actor_service/sinks/cap_sink.h"
#include "gateway/actor_service/sinks/json_lines_sink.h"
#include "gateway/actor_service/sinks/mqtt_republish_sink.h"
#include "gateway/actor_service/sinks/postgres_sink.h"
#include "gateway/actor_service/sinks/webhook_sink.h"
#include "gateway/core/clock.h"
#include "gateway/core/files.h"

namespace gw::actor_service {
namespace {

namespace fs = std::filesystem;

// The receiver's state is snapshotted at most this often on the delivery path (and at stop);
// between snapshots the journal holds what was accepted.
constexpr int64_t kSnapshotEveryMs = 1000;

Result<std::unique_ptr<Sink>> makeSink(const SinkSettings& s, const fs::path& state_dir) {
  switch (s.type) {
    case SinkType::kJsonLines:
      return std::unique_ptr<Sink>(std::make_unique<JsonLinesSink>(s.path));
    case SinkType::kWebhook: {
      auto url = parseHttpUrl(s.url);
      if (!url.ok()) return url.status();
      return std::unique_ptr<Sink>(std::make_unique<WebhookSink>(*url, s.timeout));
    }
    case SinkType::kCap: {
      CapSinkOptions o;
      if (!s.url.empty()) {
        auto url = parseHttpUrl(s.url);
        if (!url.ok()) return url.status();
        o.url = *url;
      }
      o.directory = s.directory;
      o.sender = s.sender;
      o.timeout = s.timeout;
      o.state_file = state_dir / "cap" / (s.name + ".incidents");
      std::error_code ec;
      fs::create_directories(o.state_file.parent_path(), ec);
      return std::unique_ptr<Sink>(std::make_unique<CapSink>(std::move(o)));
    }
    case SinkType::kMqtt: {
      std::string password;
      if (!s.broker.password_file.empty()) {
        auto read = readPasswordFile(s.broker.password_file);
        if (!read.ok()) return read.status();
        password = std::move(read).value();
      }
      return std::unique_ptr<Sink>(std::make_unique<MqttRepublishSink>(
          s.broker, s.topic_prefix, std::move(password), s.timeout));
    }
    case SinkType::kPostgres: {
      PostgresSinkOptions o;
      o.conninfo = s.conninfo;
      o.table_prefix = s.table_prefix;
      if (!s.password_file.empty()) {
        auto read = readSecretFile(s.password_file);
        if (!read.ok()) return read.status();
        o.password = std::move(read).value();
      }
      return std::unique_ptr<Sink>(std::make_unique<PostgresSink>(std::move(o)));
    }
  }
  return invalidArgument("unknown sink type");
}

// gw::Counters names to Prometheus: the spool is the gateway's outbox underneath, so its
// counters are renamed to what they mean here (outbox_* -> spool_*, actor= -> sink=).
std::string metricName(std::string key) {
  if (key.rfind("outbox_", 0) == 0) key.replace(0, 7, "spool_");
  if (const auto at = key.find("{actor="); at != std::string::npos) key.replace(at, 7, "{sink=");
  return "lantaarn_actor_" + key;
}

}  // namespace

Result<std::unique_ptr<ActorService>> ActorService::create(ServiceConfig config) {
  std::unique_ptr<ActorService> service(new ActorService(std::move(config)));
  if (Status s = service->build(); !s.ok()) return s;
  return service;
}

ActorService::~ActorService() { stop(); }

Status ActorService::build() {
  if (Status s = crypto::initSodium(); !s.ok()) return s;
  auto key = crypto::readSecretKeyFile(config_.key_file);
  if (!key.ok()) return key.status();
  std::vector<crypto::SecretKey> previous_keys;
  for (const auto& file : config_.previous_key_files) {
    auto previous = crypto::readSecretKeyFile(file);
    if (!previous.ok()) return previous.status();
    // Two names for one key would hide that the rotation's other key is missing.
    if (previous->key_id == key->key_id) {
      return invalidArgument(file + " holds the same key as " + config_.key_file + " (key_id " +
                             key->key_id + ")");
    }
    for (const auto& held : previous_keys) {
      if (held.key_id == previous->key_id) {
        return invalidArgument(file + " holds a key already listed (key_id " + held.key_id + ")");
      }
    }
    previous_keys.push_back(std::move(previous).value());
  }
  if (!previous_keys.empty()) {
    std::string ids;
    for (const auto& held : previous_keys) ids += (ids.empty() ? "" : ",") + held.key_id;
    spdlog::info("actor keys: key_id={} previous_key_ids={} (a key rotation: docs/KEYS.md)",
                 key->key_id, ids);
  }
  auto pinned = actor::readPinnedGateways(config_.gateway_keys);
  if (!pinned.ok()) return pinned.status();
  for (const auto& skipped : pinned->skipped) {
    spdlog::info("{} (not pinned)", skipped);
  }
  std::string password;
  if (!config_.broker.password_file.empty()) {
    auto read = readPasswordFile(config_.broker.password_file);
    if (!read.ok()) return read.status();
    password = std::move(read).value();
  }

  actor::SubscriberConfig sub;
  sub.broker_url = config_.broker.url;
  sub.client_id = config_.broker.client_id;
  sub.username = config_.broker.username;
  sub.password = std::move(password);
  if (config_.broker.tls) {
    const auto& t = *config_.broker.tls;
    sub.tls = actor::TlsSettings{t.ca_file, t.cert_file, t.key_file, t.verify_hostname};
  }
  sub.identity = {config_.site, config_.actor, std::move(key).value(), std::move(pinned->keys),
                  std::move(previous_keys)};
  sub.options.max_age_ms = config_.max_age_ms;
  sub.options.max_future_ms = config_.max_future_ms;
  sub.persistent_session = true;
  sub.protocol = config_.broker.protocol;
  sub.receive_maximum = config_.broker.receive_maximum;
  sub.silence_after = config_.broker.silence_after;
  subscriber_ = std::make_unique<actor::ActorSubscriber>(
      std::move(sub), [this](const actor::Delivery& d) { onDelivery(d); },
      [this](const actor::Notice& n) { onNotice(n); });

  had_earlier_run_ = std::filesystem::exists(config_.state_dir / "receiver.state");
  auto store = ReceiverStore::open(config_.state_dir);
  if (!store.ok()) return store.status();
  store_ = std::move(store).value();
  auto replayed = store_->restore(subscriber_->receiver());
  if (!replayed.ok()) return replayed.status();
  if (*replayed > 0 || store_->truncatedBytes() > 0) {
    spdlog::info(
        "receiver state restored: {} envelopes replayed from the journal, {} bytes of "
        "a torn tail cut",
        *replayed, store_->truncatedBytes());
  }
  // The restored state is the baseline: snapshot it so the journal starts empty.
  if (Status s = store_->snapshot(subscriber_->receiver()); !s.ok()) return s;
  subscriber_->receiver().resetStats();

  for (const auto& settings : config_.sinks) {
    SinkSlot slot;
    slot.settings = settings;
    auto spool = SinkSpool::open({config_.state_dir / "spool" / settings.name, settings.name,
                                  config_.spool_max_bytes, config_.spool_max_messages},
                                 counters_);
    if (!spool.ok()) return spool.status();
    slot.spool = std::move(spool).value();
    auto sink = makeSink(settings, config_.state_dir);
    if (!sink.ok()) return sink.status();
    slot.worker = std::make_unique<SinkWorker>(
        SinkWorkerOptions{settings.name, settings.retry_min, settings.retry_max,
                          config_.state_dir / "dead-letter" / (settings.name + ".jsonl")},
        std::move(sink).value(), *slot.spool, counters_);
    if (slot.spool->backlog() > 0) {
      spdlog::info("sink {}: {} messages waiting from before the restart", settings.name,
                   slot.spool->backlog());
    }
    sinks_.push_back(std::move(slot));
  }
  return okStatus();
}

Status ActorService::start() {
  for (auto& slot : sinks_) slot.worker->start();
  if (Status s = subscriber_->start(std::chrono::seconds(10)); !s.ok()) return s;
  if (had_earlier_run_ && !subscriber_->sessionPresentAtStart()) {
    // The subscriber can only tell a lost session on a reconnect; across our own restart, the
    // state directory says whether there was a session to lose.
    onNotice(actor::Notice{actor::Notice::Type::kSessionLost, config_.site, "", nowUnixMs(), 0,
                           "the broker had no session for this client id at start: what it "
                           "queued while the service was down is lost"});
  }
  health_ = std::make_unique<HealthEndpoint>(
      config_.listen_host, config_.listen_port,
      [this](const std::string& target) { return respond(target); });
  if (Status s = health_->start(); !s.ok()) return s;
  spdlog::info("lantaarn-actor: actor={} site={} broker={} sinks={} health=http://{}:{}/healthz",
               config_.actor, config_.site, config_.broker.url, sinks_.size(), config_.listen_host,
               health_->port());
  return okStatus();
}

void ActorService::stop() {
  if (health_) health_->stop();
  if (subscriber_) subscriber_->stop();
  if (store_ && subscriber_) {
    if (Status s = store_->snapshot(subscriber_->receiver()); !s.ok()) {
      spdlog::warn("cannot save the receiver state: {} (the journal still holds it)", s.message());
    }
  }
  for (auto& slot : sinks_) {
    slot.spool->close();
    slot.worker->stop();
  }
}

void ActorService::onDelivery(const actor::Delivery& d) {
  const auto& r = d.received;
  received_.fetch_add(1, std::memory_order_relaxed);
  for (const auto& report : r.reports) {
    counters_.add(counterKey("reports_total", {{"type", actor::reportName(report.type)}}));
    if (report.type == actor::Report::Type::kGap ||
        report.type == actor::Report::Type::kCheckpointIncomplete) {
      counters_.add(
          counterKey("missing_sequences_total", {{"report", actor::reportName(report.type)}}),
          report.missing);
    }
    spdlog::log(report.type == actor::Report::Type::kCheckpointVerified ? spdlog::level::debug
                                                                        : spdlog::level::warn,
                "stream {}: {} epoch={} from={} to={} missing={}", r.header.gateway_key_id(),
                actor::reportName(report.type), report.epoch, report.from, report.to,
                report.missing);
  }
  switch (r.verdict) {
    case actor::Verdict::kRejected:
      counters_.add(counterKey("envelopes_rejected_total",
                               {{"code", r.reason.substr(0, r.reason.find(':'))}}));
      spdlog::warn("rejected on {}: {}", d.topic, r.reason);
      return;
    case actor::Verdict::kDuplicate:
      duplicates_.fetch_add(1, std::memory_order_relaxed);
      return;
    case actor::Verdict::kMessage:
      verified_.fetch_add(1, std::memory_order_relaxed);
      spool(d);  // before the journal: see ReceiverStore
      break;
    case actor::Verdict::kKey:
      keys_.fetch_add(1, std::memory_order_relaxed);
      break;
    case actor::Verdict::kCheckpoint:
      checkpoints_.fetch_add(1, std::memory_order_relaxed);
      break;
  }
  if (Status s = store_->journal(d.payload, d.now_ms, d.retained); !s.ok()) {
    counters_.add("state_write_errors_total");
    spdlog::error("cannot journal the receiver state: {}", s.message());
  }
  if (d.now_ms - last_snapshot_ms_ >= kSnapshotEveryMs) {
    last_snapshot_ms_ = d.now_ms;
    if (Status s = store_->snapshot(subscriber_->receiver()); !s.ok()) {
      counters_.add("state_write_errors_total");
      spdlog::error("cannot save the receiver state: {}", s.message());
    }
  }
}

void ActorService::spool(const actor::Delivery& d) {
  const auto& r = d.received;
  gateway::v1::SpooledMessage m;
  bool built = false;
  for (auto& slot : sinks_) {
    if (!slot.settings.filter.accepts(r.message)) continue;
    if (!built) {
      m.set_gateway_key_id(r.header.gateway_key_id());
      m.set_epoch(r.header.epoch());
      m.set_sequence(r.header.sequence());
      m.set_topic(d.topic);
      m.set_sent_unix_ms(r.header.sent_unix_ms());
      m.set_received_unix_ms(d.now_ms);
      *m.mutable_message() = r.message;
      built = true;
    }
    if (Status s = slot.spool->put(m); !s.ok()) {
      counters_.add(counterKey("spool_dropped_total", {{"sink", slot.settings.name}}));
      spdlog::error("sink {}: message {} not spooled: {}", slot.settings.name, idempotencyKey(m),
                    s.message());
    }
  }
}

void ActorService::onNotice(const actor::Notice& n) {
  counters_.add(counterKey("notices_total", {{"type", actor::noticeName(n.type)}}));
  const std::string stream = n.site_id + (n.gateway_key_id.empty() ? "" : "/" + n.gateway_key_id);
  {
    std::lock_guard lock(notices_mutex_);
    if (n.type == actor::Notice::Type::kSilent) silent_.insert(stream);
    if (n.type == actor::Notice::Type::kResumed) silent_.erase(stream);
  }
  spdlog::warn("stream {}: {} since_unix_ms={} reason=\"{}\"", stream, actor::noticeName(n.type),
               n.since_unix_ms, n.reason);
}

HttpAnswer ActorService::respond(const std::string& target) const {
  if (target == "/metrics") {
    return {200, "text/plain; version=0.0.4; charset=utf-8", renderMetrics()};
  }
  if (target != "/healthz") return {404, "text/plain; charset=utf-8", "not found\n"};
  std::string problems;
  if (!subscriber_ || !subscriber_->connected()) problems += "no broker connection\n";
  for (const auto& slot : sinks_) {
    if (!slot.worker->up()) {
      problems += "sink " + slot.settings.name + " down: " + slot.worker->lastError() + " (" +
                  std::to_string(slot.spool->backlog()) + " waiting)\n";
    }
  }
  std::string warnings;
  {
    std::lock_guard lock(notices_mutex_);
    for (const auto& stream : silent_) warnings += "stream " + stream + " silent\n";
  }
  if (!problems.empty()) return {503, "text/plain; charset=utf-8", problems + warnings};
  return {200, "text/plain; charset=utf-8", "ok\n" + warnings};
}

std::string ActorService::renderMetrics() const {
  std::string out;
  std::string last_name;
  for (const auto& [key, value] : counters_.snapshot()) {
    const std::string name = metricName(key);
    const std::string base = name.substr(0, name.find('{'));
    if (base != last_name) {
      out += "# TYPE " + base + " counter\n";
      last_name = base;
    }
    out += name + " " + std::to_string(value) + "\n";
  }
  auto gauge = [&out](const std::string& name, const std::string& labels, double value) {
    out += "lantaarn_actor_" + name + (labels.empty() ? "" : "{" + labels + "}") + " " +
           std::to_string(value) + "\n";
  };
  out += "# TYPE lantaarn_actor_broker_connected gauge\n";
  gauge("broker_connected", "", subscriber_ && subscriber_->connected() ? 1 : 0);
  {
    std::lock_guard lock(notices_mutex_);
    out += "# TYPE lantaarn_actor_streams_silent gauge\n";
    gauge("streams_silent", "", static_cast<double>(silent_.size()));
  }
  out += "# TYPE lantaarn_actor_sink_up gauge\n";
  for (const auto& slot : sinks_) {
    gauge("sink_up", "sink=\"" + slot.settings.name + "\"", slot.worker->up() ? 1 : 0);
  }
  out += "# TYPE lantaarn_actor_sink_backlog gauge\n";
  for (const auto& slot : sinks_) {
    gauge("sink_backlog", "sink=\"" + slot.settings.name + "\"",
          static_cast<double>(slot.spool->backlog()));
  }
  out += "# TYPE lantaarn_actor_sink_oldest_age_seconds gauge\n";
  for (const auto& slot : sinks_) {
    gauge("sink_oldest_age_seconds", "sink=\"" + slot.settings.name + "\"",
          static_cast<double>(slot.spool->oldestAgeMs()) / 1000.0);
  }
  out += "# TYPE lantaarn_actor_sink_lag_seconds gauge\n";
  for (const auto& slot : sinks_) {
    gauge("sink_lag_seconds", "sink=\"" + slot.settings.name + "\"",
          static_cast<double>(slot.worker->lastLagMs()) / 1000.0);
  }
  return out;
}

}  // namespace gw::actor_service
