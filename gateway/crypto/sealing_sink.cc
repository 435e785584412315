#include "gateway/crypto/sealing_sink.h"

#include <google/protobuf/util/json_util.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "gateway/core/clock.h"
#include "gateway/crypto/gateway_identity.h"
#include "gateway/pipeline/topics.h"

namespace gw::crypto {
namespace {

// A route's ttl as an absolute expiry (MQTT 5 message expiry; dropped if it passes in the
// outbox); 0 when the route has none.
int64_t expiresUnixMs(const pipeline::Route& route, int64_t produced_unix_ms) {
  return route.ttl.count() > 0 ? produced_unix_ms + route.ttl.count() : 0;
}

}  // namespace

SealingSink::SealingSink(std::unique_ptr<GatewaySealer> sealer, std::string site_id,
                         pipeline::Outbox& outbox, pipeline::OutboxDrain& drain, Counters& counters,
                         const boost::asio::any_io_executor& executor)
    : sealer_(std::move(sealer)),
      site_id_(std::move(site_id)),
      outbox_(outbox),
      drain_(drain),
      counters_(counters),
      checkpoint_timer_(executor),
      // A few ticks per interval, so that a checkpoint is never much later than promised.
      checkpoint_tick_(
          std::max(std::chrono::milliseconds(10), sealer_->options().checkpoint_interval / 4)) {}

Result<std::unique_ptr<SealingSink>> SealingSink::open(
    const std::string& identity_key_file, const std::string& site_id, const std::string& state_dir,
    SealerOptions options, pipeline::Outbox& outbox, pipeline::OutboxDrain& drain,
    Counters& counters, const boost::asio::any_io_executor& executor) {
  auto identity = loadGatewayIdentity(identity_key_file, site_id, state_dir);
  if (!identity.ok()) return identity.status();
  if (!state_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    options.positions_file = std::filesystem::path(state_dir) / "streams";
  }
  auto sealer = GatewaySealer::open(std::move(identity).value(), site_id, std::move(options));
  if (!sealer.ok()) return sealer.status();
  spdlog::info("Gateway identity key_id={} signs every epoch key and checkpoint",
               (*sealer)->identity().key_id);
  return std::make_unique<SealingSink>(std::move(sealer).value(), site_id, outbox, drain, counters,
                                       executor);
}

void SealingSink::deliver(std::vector<pipeline::RoutedMessage>& messages) {
  const int64_t now_ms = nowUnixMs();
  bool appended = false;
  bool urgent = false;  // an alarm or event went into the outbox
  for (const auto& item : messages) {
    if (item.kind == pipeline::DataKind::kOpenData) {
      appended = publishOpenData(item) || appended;
      continue;
    }
    const std::string& actor = item.route->actor();
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
    appended = true;
    urgent = urgent || item.priority != pipeline::Priority::kMeasurement;
  }
  if (urgent) {
    drain_.pump();
  } else if (appended) {
    drain_.pumpSoon();
  }
}

bool SealingSink::publishOpenData(const pipeline::RoutedMessage& item) {
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(item.message, &json, print).ok()) return false;
  const auto& route_id = item.route->id();
  pipeline::OutboundMessage out{item.route->actor(), pipeline::openDataTopic(site_id_),
                                std::move(json), pipeline::Priority::kMeasurement};
  if (Status s = outbox_.append(std::move(out)); !s.ok()) {
    spdlog::error("Outbox rejected open data route={} error=\"{}\"", route_id, s.message());
    return false;
  }
  counters_.add(counterKey("open_data_published_total", {{"route", route_id}}));
  return true;
}

void SealingSink::enqueue(const std::string& actor, pipeline::DataKind kind,
                          pipeline::Priority priority, SealedEnvelope envelope,
                          int64_t expires_unix_ms) {
  if (envelope.kind == gateway::v1::ENVELOPE_KIND_KEY) kind = pipeline::DataKind::kKey;
  if (envelope.kind == gateway::v1::ENVELOPE_KIND_CHECKPOINT) {
    kind = pipeline::DataKind::kCheckpoint;
  }
  if (envelope.kind != gateway::v1::ENVELOPE_KIND_DATA) {
    // Without its key nothing of the epoch opens, and checkpoints prove the rest: evict them last.
    priority = pipeline::Priority::kAlarm;
  }
  const std::string topic_kind(pipeline::topicKind(kind));
  counters_.add(counterKey("envelopes_sealed_total", {{"actor", actor}, {"kind", topic_kind}}));
  pipeline::OutboundMessage out{actor, pipeline::actorTopic(site_id_, actor, topic_kind),
                                std::move(envelope.payload), priority};
  // Only DATA ages out with its route's ttl; a KEY or CHECKPOINT is needed as long as anything
  // of its epoch may still be read.
  if (envelope.kind == gateway::v1::ENVELOPE_KIND_DATA) out.expires_unix_ms = expires_unix_ms;
  if (Status s = outbox_.append(std::move(out)); !s.ok()) {
    // Room for the whole fan-out was checked when the reading was accepted: a bug, not load.
    spdlog::error("Outbox rejected message actor={} error=\"{}\"", actor, s.message());
  }
}

void SealingSink::setActors(const std::map<std::string, PublicKey>& keys) {
  sealer_->setActors(keys);
  // At once rather than with the next message: a quiet actor learns of the switch too (its
  // retained KEY is the new one), and the old key's last epoch is proven complete right away.
  std::vector<std::pair<std::string, SealedEnvelope>> begun;
  if (Status s = sealer_->beginRekeyedEpochs(nowUnixMs(), &begun); !s.ok()) {
    // The stream still begins its new epoch with its next message (seal() does it too).
    spdlog::error("New epoch for a changed key deferred error=\"{}\"", s.message());
    counters_.add("checkpoint_failed_total");
  }
  for (auto& [actor, envelope] : begun) {
    enqueue(actor, pipeline::DataKind::kKey, pipeline::Priority::kAlarm, std::move(envelope), 0);
  }
  if (!begun.empty()) drain_.pump();
}

void SealingSink::start() { scheduleCheckpoints(); }

void SealingSink::flush() {
  stopped_ = true;
  checkpoint_timer_.cancel();
  emitCheckpoints(/*flush=*/true);
}

Status SealingSink::close() { return sealer_->close(); }

void SealingSink::scheduleCheckpoints() {
  checkpoint_timer_.expires_after(checkpoint_tick_);
  checkpoint_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    emitCheckpoints(/*flush=*/false);
    scheduleCheckpoints();
  });
}

void SealingSink::emitCheckpoints(bool flush) {
  std::vector<std::pair<std::string, SealedEnvelope>> due;
  if (Status s = sealer_->checkpoints(nowUnixMs(), flush, &due); !s.ok()) {
    spdlog::error("Checkpoints failed error=\"{}\"", s.message());
    counters_.add("checkpoint_failed_total");
  }
  for (auto& [actor, envelope] : due) {
    enqueue(actor, pipeline::DataKind::kCheckpoint, pipeline::Priority::kAlarm, std::move(envelope),
            0);
  }
  if (!due.empty()) drain_.pump();
}

}  // namespace gw::crypto
