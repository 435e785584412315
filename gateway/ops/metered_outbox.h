#pragma once
// Wraps the outbox to count, per actor, the bytes handed to the publisher (`bytes_sent_total`,
// each attempt, retransmissions included) and the bytes the broker acknowledged
// (`bytes_acked_total`). Message counts already come from the publisher and the outbox; bytes
// need the entry, which only exists here between takeNext() and ack(). Everything else is
// forwarded unchanged. Pipeline thread only, like the outbox it wraps.
#include <map>
#include <memory>

#include "gateway/core/counters.h"
#include "gateway/pipeline/stage.h"

namespace gw::ops {

class MeteredOutbox : public pipeline::Outbox {
 public:
  MeteredOutbox(std::unique_ptr<pipeline::Outbox> inner, Counters& counters)
      : inner_(std::move(inner)), counters_(counters) {}

  Status append(pipeline::OutboundMessage message) override {
    return inner_->append(std::move(message));
  }
  bool hasRoom(size_t count) const override { return inner_->hasRoom(count); }
  const Entry* takeNext() override;
  void ack(uint64_t id) override;
  void requeue(uint64_t id) override {
    in_flight_.erase(id);
    inner_->requeue(id);
  }
  void requeueAllInFlight() override {
    in_flight_.clear();
    inner_->requeueAllInFlight();
  }
  size_t deadLetterUnsent(const std::string& actor) override {
    return inner_->deadLetterUnsent(actor);
  }
  void holdStream(const std::string& topic) override { inner_->holdStream(topic); }
  void resumeStream(const std::string& topic) override { inner_->resumeStream(topic); }
  Status deadLetter(uint64_t id, const std::string& reason) override {
    Status s = inner_->deadLetter(id, reason);
    if (s.ok()) in_flight_.erase(id);
    return s;
  }
  Result<size_t> deadLetterStream(const std::string& topic, const std::string& reason) override {
    return inner_->deadLetterStream(topic, reason);
  }
  size_t deadLetters() const override { return inner_->deadLetters(); }
  Result<size_t> requeueResends() override { return inner_->requeueResends(); }
  std::optional<std::chrono::steady_clock::time_point> groupDeadline() const override {
    return inner_->groupDeadline();
  }
  size_t size() const override { return inner_->size(); }
  size_t inFlight() const override { return inner_->inFlight(); }
  const Entry* entry(uint64_t id) const override { return inner_->entry(id); }
  std::optional<uint64_t> oldestInFlight() const override { return inner_->oldestInFlight(); }
  void forEachEntry(const std::function<void(const Entry&)>& visit) const override {
    inner_->forEachEntry(visit);
  }

 private:
  struct Sent {
    std::atomic<uint64_t>* acked_bytes;
    uint64_t bytes;
  };
  std::unique_ptr<pipeline::Outbox> inner_;
  Counters& counters_;
  std::map<uint64_t, Sent> in_flight_;
};

}  // namespace gw::ops
