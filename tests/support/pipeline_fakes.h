#pragma once
// Fakes for the edges between stages (gateway/pipeline/), for the stage tests: a recording
// reading sink, a recording outbox, a drain that counts what it was asked, a recording routed
// sink and a recording retention store. Each also writes to an optional shared log, so a test can
// check the order in which a stage used them (e.g. that retention runs after the messages were
// handed on).
#include <map>
#include <string>
#include <vector>

#include "gateway/pipeline/routed_message.h"
#include "gateway/pipeline/stage.h"

namespace gw::testing {

using CallLog = std::vector<std::string>;

// Takes every reading and keeps it, in order (a source's sink in the source tests).
class RecordingReadingSink : public pipeline::ReadingSink {
 public:
  Status accept(const gateway::v1::Reading& reading) override {
    readings.push_back(reading);
    return okStatus();
  }
  std::vector<gateway::v1::Reading> readings;
};

// Keeps every event a detector emits, in order.
class RecordingEventSink : public pipeline::EventSink {
 public:
  void emit(const gateway::v1::Event& event) override { events.push_back(event); }
  std::vector<gateway::v1::Event> events;
};

// Keeps every appended message; never full unless `capacity` says so. Hands nothing out (no
// publisher runs in these tests) but answers the calls a drain and the ops report make.
class RecordingOutbox : public pipeline::Outbox {
 public:
  explicit RecordingOutbox(CallLog* log = nullptr, size_t capacity = SIZE_MAX)
      : log_(log), capacity_(capacity) {}

  Status append(pipeline::OutboundMessage message) override {
    if (log_) log_->push_back("outbox:" + message.topic);
    appended.push_back(std::move(message));
    return okStatus();
  }
  bool hasRoom(size_t count) const override { return held() + count <= capacity_; }
  const Entry* takeNext() override { return nullptr; }
  void ack(uint64_t) override {}
  void requeue(uint64_t) override {}
  void requeueAllInFlight() override {}
  void holdStream(const std::string&) override {}
  void resumeStream(const std::string&) override {}
  Status deadLetter(uint64_t, const std::string&) override { return okStatus(); }
  size_t deadLetters() const override { return 0; }
  Result<size_t> deadLetterStream(const std::string&, const std::string&) override {
    return size_t{0};
  }
  Result<size_t> requeueResends() override { return size_t{0}; }
  size_t deadLetterUnsent(const std::string& actor) override {
    dropped_for[actor] += 1;
    size_t n = 0;
    for (auto& m : appended) {
      if (m.actor_id == actor && !m.topic.empty()) {
        m.topic.clear();  // marks it dropped; `appended` keeps the history
        ++n;
      }
    }
    return n;
  }
  size_t size() const override { return held(); }
  size_t inFlight() const override { return 0; }
  const Entry* entry(uint64_t) const override { return nullptr; }
  std::optional<uint64_t> oldestInFlight() const override { return std::nullopt; }
  void forEachEntry(const std::function<void(const Entry&)>&) const override {}

  // Every message appended, in order; a message set aside by deadLetterUnsent() has an empty topic.
  std::vector<pipeline::OutboundMessage> appended;
  std::map<std::string, int> dropped_for;

 private:
  size_t held() const {
    size_t n = 0;
    for (const auto& m : appended) n += m.topic.empty() ? 0 : 1;
    return n;
  }
  CallLog* log_;
  size_t capacity_;
};

class CountingDrain : public pipeline::OutboxDrain {
 public:
  explicit CountingDrain(CallLog* log = nullptr) : log_(log) {}
  void pump() override {
    ++pumps;
    if (log_) log_->push_back("pump");
  }
  void pumpSoon() override {
    ++pumps_soon;
    if (log_) log_->push_back("pump_soon");
  }
  int pumps = 0;
  int pumps_soon = 0;

 private:
  CallLog* log_;
};

// Keeps a copy of every message delivered to it.
class RecordingSink : public pipeline::RoutedSink {
 public:
  explicit RecordingSink(CallLog* log = nullptr) : log_(log) {}
  void deliver(std::vector<pipeline::RoutedMessage>& messages) override {
    for (auto& m : messages) {
      if (log_) log_->push_back("deliver:" + m.route->id());
      delivered.push_back(m);
    }
  }
  std::vector<pipeline::RoutedMessage> delivered;

 private:
  CallLog* log_;
};

class RecordingRetention : public pipeline::RetentionSink {
 public:
  struct Kept {
    std::string route;
    int64_t retention_ms;
    std::string plaintext;
  };
  explicit RecordingRetention(CallLog* log = nullptr) : log_(log) {}
  Status put(const std::string& route_id, int64_t retention_ms,
             const std::string& plaintext) override {
    if (log_) log_->push_back("retention:" + route_id);
    kept.push_back({route_id, retention_ms, plaintext});
    return okStatus();
  }
  Result<size_t> purgeExpired() override {
    ++purges;
    return size_t{0};
  }
  std::vector<Kept> kept;
  int purges = 0;

 private:
  CallLog* log_;
};

// A source that produces nothing by itself: an id, a kind, its progress counters.
class FakeSource : public pipeline::Source {
 public:
  FakeSource(std::string id, pipeline::SourceKind kind, std::vector<std::string> progress)
      : id_(std::move(id)), kind_(kind), progress_(std::move(progress)) {}
  const std::string& id() const override { return id_; }
  pipeline::SourceKind kind() const override { return kind_; }
  std::vector<std::string> progressCounters() const override { return progress_; }
  void start() override {}
  void stop() override {}
  bool finished() const override { return finished_; }
  bool finished_ = false;

 private:
  std::string id_;
  pipeline::SourceKind kind_;
  std::vector<std::string> progress_;
};

}  // namespace gw::testing
