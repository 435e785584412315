#pragma once
// The interfaces where pipeline stages meet. Stages never include each other; they only see these.
//
//   Source --Reading--> ReadingSink (detectors + router)
//   Detector --Event--> EventSink (router)
//   Router --RoutedMessage--> RoutedSink (privacy, batching, sealing: routed_message.h)
//   SealingSink --OutboundMessage--> Outbox, sealed per actor --> publisher (OutboxDrain)
//   PrivacyStage --sent events--> RetentionSink
//
// All calls happen on the pipeline's Asio strand (docs/ARCHITECTURE.md), so implementations need
// no locks of their own.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/v1/data.pb.h"

namespace gw::pipeline {

class ReadingSink {
 public:
  virtual ~ReadingSink() = default;
  // ResourceExhausted: the pipeline is full; the source keeps the reading and offers it again.
  virtual Status accept(const gateway::v1::Reading& reading) = 0;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void emit(const gateway::v1::Event& event) = 0;
};

// Lower values are more urgent; a full outbox evicts the least urgent first. The publisher sends
// in append order.
enum class Priority : uint8_t { kAlarm = 0, kEvent = 1, kMeasurement = 2 };

// A sealed message ready to be published: ciphertext only, never plaintext.
struct OutboundMessage {
  std::string actor_id;
  std::string topic;
  std::string payload;
  Priority priority = Priority::kMeasurement;
  // When the message stops being useful (the route's ttl), unix ms; 0: never. The publisher
  // sends the time left as the MQTT 5 message expiry and drops what expired while queued.
  int64_t expires_unix_ms = 0;
};

class MessageSink {
 public:
  virtual ~MessageSink() = default;
  // ResourceExhausted when full: the caller applies backpressure upstream.
  virtual Status append(OutboundMessage message) = 0;
  virtual bool hasRoom(size_t count) const = 0;
};

// The outbox as the publisher sees it: entries wait until the broker acknowledges them.
// Entry life cycle:  append -> unsent -> takeNext (in flight) -> ack (gone)
//                                ^----- requeue (publish failed, connection lost) --'
class Outbox : public MessageSink {
 public:
  struct Entry {
    uint64_t id;
    OutboundMessage message;
    // When this process appended it (or recovered it from disk): the ops endpoint reports the
    // age of the oldest undelivered message per actor from it.
    std::chrono::steady_clock::time_point appended_at;
  };
  // The oldest unsent entry, now marked in flight; null when nothing waits.
  virtual const Entry* takeNext() = 0;
  virtual void ack(uint64_t id) = 0;
  virtual void requeue(uint64_t id) = 0;
  virtual void requeueAllInFlight() = 0;
  // Moves every entry of `actor` not yet handed to the broker to the dead-letter area, reason
  // `actor_removed` (an actor removed by a policy reload must not receive what was still queued,
  // but the operator may send it after all: decision 1300); returns how many.
  virtual size_t deadLetterUnsent(const std::string& actor) = 0;
  // Holds back every waiting entry of one stream (an MQTT topic) until resumeStream():
  // takeNext() passes over them, so a stream the broker refuses for now never blocks the others.
  virtual void holdStream(const std::string& topic) = 0;
  virtual void resumeStream(const std::string& topic) = 0;
  // Moves one entry (in flight or waiting) to the dead-letter area with `reason`, durably,
  // counted as `outbox_dead_lettered_total{actor,reason}`; on error it stays where it was.
  virtual Status deadLetter(uint64_t id, const std::string& reason) = 0;
  // The same for every entry of one stream, waiting or in flight, in one durable write: a topic
  // the broker refuses for good (not authorised) refuses all of them, and an acknowledgement of
  // one in flight then finds nothing to release. Returns how many.
  virtual Result<size_t> deadLetterStream(const std::string& topic, const std::string& reason) = 0;
  // Dead letters held now: the status page and /healthz show them.
  virtual size_t deadLetters() const = 0;
  // Appends what the operator queued with `gatewayctl outbox resend`; returns how many.
  virtual Result<size_t> requeueResends() = 0;
  // When takeNext() returned null while entries wait unheld (a group commit letting its group
  // grow), the time by which it hands them out without a PUBACK asking again.
  virtual std::optional<std::chrono::steady_clock::time_point> groupDeadline() const {
    return std::nullopt;
  }
  virtual size_t size() const = 0;
  virtual size_t inFlight() const = 0;
  // The held entry `id` (in flight or waiting), or null.
  virtual const Entry* entry(uint64_t id) const = 0;
  // The oldest entry in flight: after a lost connection, the one the broker may have choked on.
  virtual std::optional<uint64_t> oldestInFlight() const = 0;
  // Visits every held entry (unsent and in flight), oldest first. For the ops endpoint's
  // per-actor depth and age, at scrape time: O(entries), never on the per-message path.
  virtual void forEachEntry(const std::function<void(const Entry&)>& visit) const = 0;
  bool empty() const { return size() == 0; }
};

// Who takes entries out of the outbox (the publisher), told when there is something to take.
class OutboxDrain {
 public:
  virtual ~OutboxDrain() = default;
  // Hand waiting entries to the broker now: alarms and events (decision 1020).
  virtual void pump() = 0;
  // Once the pipeline thread has worked off what is already queued, so that a burst of
  // measurements shares one group commit instead of an fdatasync each.
  virtual void pumpSoon() = 0;
};

// Where the privacy stage keeps each sent event for its route's retention period.
class RetentionSink {
 public:
  virtual ~RetentionSink() = default;
  virtual Status put(const std::string& route_id, int64_t retention_ms,
                     const std::string& plaintext) = 0;
  // Destroys every period whose retention has passed; returns how many.
  virtual Result<size_t> purgeExpired() = 0;
};

enum class SourceKind { kSensor, kCamera };

class FrameSource;

class Source {
 public:
  virtual ~Source() = default;
  virtual const std::string& id() const = 0;
  virtual SourceKind kind() const = 0;
  // Counter-key prefixes whose sum grows while the source takes data in: the ops endpoint's
  // stall check watches them.
  virtual std::vector<std::string> progressCounters() const = 0;
  // The source's frames, for frame detectors; null for sources without frames (sensors).
  virtual FrameSource* frames() { return nullptr; }
  virtual void start() = 0;
  // Stops producing; readings already accepted downstream are not affected.
  virtual void stop() = 0;
  // True once a finite source (a replay without loop) has delivered everything.
  virtual bool finished() const = 0;
};

using SourcePtr = std::unique_ptr<Source>;

}  // namespace gw::pipeline
