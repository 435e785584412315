#include "gateway/actor_service/sink_spool.h"

namespace gw::actor_service {
namespace {

pipeline::Priority priorityOf(const gateway::v1::ActorMessage& message) {
  if (message.body_case() != gateway::v1::ActorMessage::kEvent) {
    return pipeline::Priority::kMeasurement;
  }
  return message.event().severity() == gateway::v1::SEVERITY_ALARM ? pipeline::Priority::kAlarm
                                                                   : pipeline::Priority::kEvent;
}

}  // namespace

Result<std::unique_ptr<SinkSpool>> SinkSpool::open(const SpoolOptions& options,
                                                   Counters& counters) {
  outbox::SegmentOutboxOptions o;
  o.dir = options.dir;
  o.fsync = outbox::FsyncPolicy::kGroupCommit;
  o.max_total_bytes = options.max_bytes;
  o.max_actor_bytes = options.max_bytes;
  o.max_messages = options.max_messages;
  // One message is handed out at a time, so there is never a PUBACK-like cue to wait for: sync
  // whatever waits when the sink asks.
  o.group_commit_min_messages = 1;
  auto opened = outbox::SegmentOutbox::open(o, counters);
  if (!opened.ok()) return opened.status();
  return std::unique_ptr<SinkSpool>(new SinkSpool(std::move(opened).value(), options.sink));
}

Status SinkSpool::put(const gateway::v1::SpooledMessage& message) {
  pipeline::OutboundMessage m;
  m.actor_id = sink_;  // the outbox's per-actor budget and counters become per sink
  m.topic = message.topic();
  m.priority = priorityOf(message.message());
  message.SerializeToString(&m.payload);
  {
    std::lock_guard lock(mutex_);
    if (Status s = outbox_->append(std::move(m)); !s.ok()) return s;
  }
  ready_.notify_one();
  return okStatus();
}

std::optional<SinkSpool::Item> SinkSpool::next(std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!closed_) {
    if (const auto* entry = outbox_->takeNext(); entry != nullptr) {
      Item item;
      item.id = entry->id;
      if (!item.message.ParseFromString(entry->message.payload)) {
        // Cannot happen for what put() wrote (the records are checksummed); drop it rather than
        // block the sink forever.
        outbox_->ack(entry->id);
        continue;
      }
      return item;
    }
    if (ready_.wait_until(lock, deadline) == std::cv_status::timeout) break;
  }
  return std::nullopt;
}

void SinkSpool::done(uint64_t id) {
  std::lock_guard lock(mutex_);
  outbox_->ack(id);
}

void SinkSpool::retry(uint64_t id) {
  std::lock_guard lock(mutex_);
  outbox_->requeue(id);
}

void SinkSpool::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    (void)outbox_->sync();
  }
  ready_.notify_all();
}

size_t SinkSpool::backlog() const {
  std::lock_guard lock(mutex_);
  return outbox_->size();
}

int64_t SinkSpool::oldestAgeMs() const {
  std::lock_guard lock(mutex_);
  int64_t oldest = 0;
  const auto now = std::chrono::steady_clock::now();
  outbox_->forEachEntry([&](const pipeline::Outbox::Entry& e) {
    oldest = std::max<int64_t>(
        oldest, std::chrono::duration_cast<std::chrono::milliseconds>(now - e.appended_at).count());
  });
  return oldest;
}

}  // namespace gw::actor_service
