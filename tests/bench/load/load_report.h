#pragma once
// The figures of one load run, printed as a table for people or as JSON for scripts.
#include <cstdint>
#include <string>
#include <vector>

#include "tests/bench/load/load_options.h"

namespace gw::load {

struct Percentiles {
  int64_t count = 0;
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
};
Percentiles percentiles(std::vector<int64_t> samples_us);

// What one actor was due and what it decrypted (distinct readings).
struct ActorLoss {
  std::string actor;
  int64_t expected = 0, delivered = 0;
};

struct LoadReport {
  LoadOptions options;
  // Offered and delivered.
  int64_t readings_sent = 0;
  double offered_readings_per_s = 0;
  int64_t readings_expected = 0;  // sent, times the actors each source goes to
  int64_t readings_delivered = 0;
  int64_t readings_lost = 0, readings_duplicated = 0;
  int64_t messages_delivered = 0;  // data messages decrypted by the actors
  int64_t alarms_sent = 0, alarm_events = 0;
  int64_t envelope_duplicates = 0, rejected = 0, gaps = 0;
  double seconds = 0;  // first reading sent to last message decrypted
  double readings_per_s = 0, messages_per_s = 0;
  Percentiles reading_latency, alarm_latency;
  // The same without what was sent in the first second (connections warming up, the first epoch
  // keys), as shared/measurements.md 2c reports steady state.
  Percentiles reading_latency_steady, alarm_latency_steady;
  // The warm-up (--no-warmup: not run, -1): from gatewayd ready to its publisher connected, and
  // the two warm-up alarms from sent to decrypted (first epoch key, first retention period).
  double warmup_connect_ms = -1, warmup_alarms_ms = -1;
  // gatewayd, from /proc, just before it is stopped.
  double gatewayd_cpu_s = 0, gatewayd_user_s = 0, gatewayd_sys_s = 0;
  double gatewayd_peak_rss_mib = 0;
  double gatewayd_wall_s = 0;  // from start to the reading of its usage
  double load_tool_cpu_s = 0;
  int64_t frames_decoded = 0, frames_kept = 0, detector_frames = 0, frames_dropped = 0;
  int64_t camera_events = 0;
  // From gatewayd's own metrics.
  int64_t readings_accepted = 0, readings_dropped = 0, messages_published = 0;
  // Readings gatewayd batched because messages waited in its outbox (decision 1350).
  int64_t backlog_batched_readings = 0;
  // Where readings went missing, stage by stage. mqtt: the feed's PUBACKs (-1 otherwise) and
  // what gatewayd's MQTT sources took from the broker (source_intake_enqueued_total; -1
  // otherwise). A warm-up probe per source (mqtt) is taken off all gatewayd counters.
  int64_t feeder_acked = -1, feeder_failed = 0, source_received = -1;
  int64_t readings_missing = 0;  // readings_missing_total (sequence gaps the sources saw)
  int64_t source_intake_pauses = 0, source_sessions_lost = 0;
  double fan_out = 0;  // per-actor readings expected per reading sent
  std::vector<ActorLoss> per_actor;
  double mean_payload_bytes = 0;
  // --actor-service: actor a0 through lantaarn-actor and its webhook, from the reading's send
  // time to the webhook request's arrival.
  Percentiles webhook_latency, webhook_latency_steady;
  int64_t webhook_requests = 0, webhook_duplicates = 0;  // duplicates: by Idempotency-Key
  int64_t webhook_readings = 0, webhook_expected = 0;
  double webhook_seconds = 0, webhook_messages_per_s = 0;  // first to last request
  double actor_cpu_s = 0, actor_user_s = 0, actor_sys_s = 0, actor_peak_rss_mib = 0;
  double actor_wall_s = 0;
  // From lantaarn-actor's /metrics.
  int64_t actor_verified = 0, actor_delivered = 0, actor_retries = 0, actor_fsyncs = 0;
  int64_t actor_envelope_duplicates = 0;
  // The bare Paho reference.
  bool bare_run = false;
  int64_t bare_messages = 0, bare_delivered = 0;
  size_t bare_size = 0;
  double bare_seconds = 0, bare_messages_per_s = 0;
  double bare_offered_messages_per_s = 0;  // paced at the run's rate; 0: flat out
  Percentiles bare_latency;                // publish to subscriber, per message
  double bare_cpu_s = 0;                   // the bare publisher process, user + system
  double ratio = 0;                        // gateway messages/s over bare messages/s
  std::string bare_error;
  std::vector<std::string> problems;  // loss, duplicates, errors: anything that fails the run
};

std::string renderTable(const LoadReport& r);
std::string renderJson(const LoadReport& r);

}  // namespace gw::load
