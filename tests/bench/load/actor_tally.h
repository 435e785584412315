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
};

class ActorTally {
 public:
  // `sources` background sources; the alarm source is counted apart.
  ActorTally(int actors, int sources);
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
  // Readings of `source` that actor `actor` received at least once.
  int64_t distinctReadings(int actor, int source) const;

 private:
  struct PerActor {
    std::unique_ptr<actor::ActorSubscriber> subscriber;
    ActorCount count;
    std::vector<std::vector<uint8_t>> seen;  // [source][sequence] -> times received
    std::vector<Timed> reading_latency;
    std::vector<Timed> alarm_latency;
  };
  void onDelivery(PerActor& actor, const actor::Delivery& delivery);
  void onReading(PerActor& actor, const gateway::v1::Reading& reading, int64_t now_us);

  int sources_;
  std::vector<std::unique_ptr<PerActor>> actors_;
  std::atomic<int64_t> readings_seen_{0}, events_seen_{0}, bare_seen_{0};
  std::atomic<int64_t> last_data_us_{0}, last_bare_us_{0};
};

}  // namespace gw::load
