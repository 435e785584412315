#pragma once
// The actors of a load run: one ActorSubscriber each (the actor library: verify, decrypt,
// de-duplicate), and a tally of what reached them: every reading by source and sequence (so
// loss and duplicates are exact), its latency from the send time it carries to the moment it
// was decrypted, and the alarm events. In the bare-publisher phase the same subscribers count
// the reference messages, which the receiver refuses as not envelopes.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "gateway/actor/actor_subscriber.h"
#include "gateway/core/status.h"

namespace gw::load {

struct ActorCount {
  int64_t messages = 0;  // data messages decrypted (a batch is one)
  int64_t readings = 0;  // distinct readings
  int64_t duplicate_readings = 0;
  int64_t events = 0;        // from the alarm source
  int64_t other_events = 0;  // from the cameras' fall detectors
  int64_t envelope_duplicates = 0, rejected = 0, gaps = 0;
};

struct Timed {
  int64_t send_us;     // wall clock, when the sensor wrote it
  int64_t latency_us;  // from then to decrypted at the actor
};

struct Latencies {
  std::vector<Timed> readings;
  std::vector<Timed> alarms;
  std::vector<Timed> bare;  // the bare reference's messages
};

// What one actor received, however it received it (the actor library in this process, or the
// real lantaarn-actor's webhook): readings by source and sequence, their latency, the events.
struct MessageTally {
  explicit MessageTally(int sources) : seen(static_cast<size_t>(sources)) {}
  // One decrypted message that arrived at `now_us`; returns the new distinct readings and the
  // alarm events it brought.
  std::pair<int64_t, int64_t> add(const gateway::v1::ActorMessage& m, int64_t now_us);
  int64_t distinctReadings(int source) const;

  ActorCount count;
  std::vector<std::vector<uint8_t>> seen;  // [source][sequence] -> times received
  std::vector<Timed> reading_latency;
  std::vector<Timed> alarm_latency;

 private:
  int64_t onReading(const gateway::v1::Reading& reading, int64_t now_us);
};

class ActorTally {
 public:
  // `sources` background sources; the alarm source is counted apart. Subscribes actors
  // `first`..`actors`-1 (with --actor-service, actor 0 is the real lantaarn-actor's).
  ActorTally(int actors, int sources, int first = 0);
  ~ActorTally();

  Status start(const std::string& broker_url, const std::filesystem::path& keys);
  void stop();

  // Totals over all actors (locks; cheap enough to poll).
  int64_t readingsSeen() const { return readings_seen_.load(); }
  int64_t eventsSeen() const { return events_seen_.load(); }
  int64_t bareSeen() const { return bare_seen_.load(); }
  int64_t lastDataUs() const { return last_data_us_.load(); }
  int64_t lastBareUs() const { return last_bare_us_.load(); }

  // After stop().
  std::vector<ActorCount> counts() const;
  Latencies latencies() const;

 private:
  struct PerActor {
    explicit PerActor(int sources) : tally(sources) {}
    std::unique_ptr<actor::ActorSubscriber> subscriber;
    MessageTally tally;
  };
  void onDelivery(PerActor& actor, const actor::Delivery& delivery);

  int first_;
  std::vector<std::unique_ptr<PerActor>> actors_;
  std::vector<Timed> bare_latency_;  // Paho's one receive thread only, read after stop()
  std::atomic<int64_t> readings_seen_{0}, events_seen_{0}, bare_seen_{0};
  std::atomic<int64_t> last_data_us_{0}, last_bare_us_{0};
};

}  // namespace gw::load
