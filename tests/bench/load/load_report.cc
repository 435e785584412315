#include "tests/bench/load/load_report.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace gw::load {

Percentiles percentiles(std::vector<int64_t> samples_us) {
  Percentiles p;
  p.count = static_cast<int64_t>(samples_us.size());
  if (samples_us.empty()) return p;
  std::sort(samples_us.begin(), samples_us.end());
  auto at = [&](double q) {
    const size_t i = std::min(samples_us.size() - 1,
                              static_cast<size_t>(q * static_cast<double>(samples_us.size())));
    return static_cast<double>(samples_us[i]) / 1000.0;
  };
  p.p50_ms = at(0.50);
  p.p99_ms = at(0.99);
  p.p999_ms = at(0.999);
  p.max_ms = static_cast<double>(samples_us.back()) / 1000.0;
  return p;
}

namespace {

std::string line(const char* name, const std::string& value) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "  %-34s %s\n", name, value.c_str());
  return buf;
}

std::string num(double v, int decimals = 0) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string latency(const Percentiles& p) {
  if (p.count == 0) return "-";
  return "p50 " + num(p.p50_ms, 2) + " ms, p99 " + num(p.p99_ms, 2) + " ms, p99.9 " +
         num(p.p999_ms, 2) + " ms, max " + num(p.max_ms, 2) + " ms (" + std::to_string(p.count) +
         ")";
}

nlohmann::json latencyJson(const Percentiles& p) {
  return {{"count", p.count},
          {"p50_ms", p.p50_ms},
          {"p99_ms", p.p99_ms},
          {"p999_ms", p.p999_ms},
          {"max_ms", p.max_ms}};
}

}  // namespace

std::string renderTable(const LoadReport& r) {
  const auto& o = r.options;
  std::string t = "lantaarn_load: " + std::to_string(o.sensors) + " " + o.transport + " sensors, " +
                  std::to_string(o.actors) + " actors (routing " + o.routing + "), broker " +
                  (o.broker_url.empty() ? o.broker_profile : o.broker_url) + ", batch " +
                  (o.batch > 0 ? std::to_string(o.batch) + "/" + o.linger : "off") +
                  ", backlog batching " + o.backlog_batching + ", outbox " + o.fsync +
                  ", max_inflight " + std::to_string(o.max_inflight) +
                  (o.warmup ? "" : ", no warm-up (the clock starts with gatewayd ready)") + "\n";
  if (o.cameras > 0) {
    t += "  cameras: " + std::to_string(o.cameras) + " x " + o.camera_file + " at " +
         num(o.camera_fps, 1) + " fps with fall detection" +
         (o.camera_masks ? " and two privacy-mask polygons each" : ", no masks") + "\n";
  }
  t += line("readings sent (offered rate)",
            std::to_string(r.readings_sent) + " (" + num(r.offered_readings_per_s) + "/s)");
  t += line("readings accepted / dropped (gw)",
            std::to_string(r.readings_accepted) + " / " + std::to_string(r.readings_dropped));
  t += line("readings delivered / expected",
            std::to_string(r.readings_delivered) + " / " + std::to_string(r.readings_expected));
  t += line("lost / duplicated readings",
            std::to_string(r.readings_lost) + " / " + std::to_string(r.readings_duplicated));
  t += "  where readings were lost, stage by stage:\n";
  if (r.feeder_acked >= 0) {
    t += line("  feeder sent / PUBACKed / failed", std::to_string(r.readings_sent) + " / " +
                                                       std::to_string(r.feeder_acked) + " / " +
                                                       std::to_string(r.feeder_failed));
  }
  if (r.source_received >= 0) {
    t += line("  broker -> gatewayd sources",
              std::to_string(r.source_received) + " received (lost at the broker: " +
                  std::to_string(r.feeder_acked - r.source_received) + ", intake pauses " +
                  std::to_string(r.source_intake_pauses) + ", sessions lost " +
                  std::to_string(r.source_sessions_lost) + ")");
  }
  t += line("  gw accepted / dropped / missing", std::to_string(r.readings_accepted) + " / " +
                                                     std::to_string(r.readings_dropped) + " / " +
                                                     std::to_string(r.readings_missing) + " (of " +
                                                     std::to_string(r.readings_sent) + " sent)");
  t += line("  actors: messages per reading", num(r.fan_out, 2));
  for (const auto& a : r.per_actor) {
    t += line(("  actor " + a.actor + " delivered / due").c_str(),
              std::to_string(a.delivered) + " / " + std::to_string(a.expected) + " (lost " +
                  std::to_string(a.expected - a.delivered) + ")");
  }
  t += line("readings batched under a backlog", std::to_string(r.backlog_batched_readings));
  t += line("delivered readings/s (per actor)",
            num(r.readings_per_s) + " (" + num(r.fan_out > 0 ? r.readings_per_s / r.fan_out : 0) +
                " sensor readings/s)");
  t += line("delivered messages/s", num(r.messages_per_s) + " (" +
                                        std::to_string(r.messages_delivered) + " in " +
                                        num(r.seconds, 2) + " s)");
  t += line("mean envelope size", num(r.mean_payload_bytes) + " B");
  if (r.warmup_connect_ms >= 0) {
    t += line(
        "warm-up: publisher connected",
        num(r.warmup_connect_ms, 1) + " ms after ready" +
            (r.warmup_alarms_ms >= 0 ? ", 2 alarms through in " + num(r.warmup_alarms_ms, 1) + " ms"
                                     : std::string()));
  }
  t += line("reading latency", latency(r.reading_latency));
  t += line("  after the first second", latency(r.reading_latency_steady));
  if (r.alarms_sent > 0) {
    t += line("alarm events / sent",
              std::to_string(r.alarm_events) + " / " + std::to_string(r.alarms_sent));
    t += line("alarm latency", latency(r.alarm_latency));
    t += line("  after the first second", latency(r.alarm_latency_steady));
  }
  t += line("envelope dups / rejected / gaps", std::to_string(r.envelope_duplicates) + " / " +
                                                   std::to_string(r.rejected) + " / " +
                                                   std::to_string(r.gaps));
  t += line("gatewayd CPU (user+sys)",
            num(r.gatewayd_cpu_s, 2) + " s (" + num(r.gatewayd_user_s, 2) + " + " +
                num(r.gatewayd_sys_s, 2) + "), " +
                (r.messages_delivered > 0
                     ? num(r.gatewayd_cpu_s * 1e6 / static_cast<double>(r.messages_delivered), 1)
                     : std::string("-")) +
                " us/message");
  t += line("gatewayd cores used (CPU / wall)",
            num(r.gatewayd_wall_s > 0 ? r.gatewayd_cpu_s / r.gatewayd_wall_s : 0, 3) + " over " +
                num(r.gatewayd_wall_s, 1) + " s");
  if (o.cameras > 0) {
    t += line("frames decoded / kept / detected",
              std::to_string(r.frames_decoded) + " / " + std::to_string(r.frames_kept) + " / " +
                  std::to_string(r.detector_frames) + " (dropped " +
                  std::to_string(r.frames_dropped) + ", fall events " +
                  std::to_string(r.camera_events) + ")");
  }
  t += line("gatewayd peak RSS", num(r.gatewayd_peak_rss_mib, 1) + " MiB");
  if (o.actor_service) {
    t += "  actor a0 through lantaarn-actor -> webhook (sent to request arrived):\n";
    t += line("webhook readings / expected",
              std::to_string(r.webhook_readings) + " / " + std::to_string(r.webhook_expected));
    t += line("webhook requests / duplicate keys",
              std::to_string(r.webhook_requests) + " / " + std::to_string(r.webhook_duplicates));
    t += line("webhook requests/s (first to last)",
              num(r.webhook_messages_per_s) + " over " + num(r.webhook_seconds, 2) + " s");
    t += line("webhook latency", latency(r.webhook_latency));
    t += line("  after the first second", latency(r.webhook_latency_steady));
    t +=
        line("lantaarn-actor CPU (user+sys)",
             num(r.actor_cpu_s, 2) + " s (" + num(r.actor_user_s, 2) + " + " +
                 num(r.actor_sys_s, 2) + "), " +
                 (r.webhook_requests > 0
                      ? num(r.actor_cpu_s * 1e6 / static_cast<double>(r.webhook_requests), 1)
                      : std::string("-")) +
                 " us/message, " + num(r.actor_wall_s > 0 ? r.actor_cpu_s / r.actor_wall_s : 0, 3) +
                 " cores over " + num(r.actor_wall_s, 1) + " s");
    t += line("lantaarn-actor peak RSS", num(r.actor_peak_rss_mib, 1) + " MiB");
    t += line("lantaarn-actor verified / delivered",
              std::to_string(r.actor_verified) + " / " + std::to_string(r.actor_delivered) +
                  " (retries " + std::to_string(r.actor_retries) + ", envelope dups " +
                  std::to_string(r.actor_envelope_duplicates) + ", spool fsyncs " +
                  std::to_string(r.actor_fsyncs) + ")");
  }
  t += line("load tool CPU (actors, feeders)", num(r.load_tool_cpu_s, 2) + " s");
  if (r.bare_run) {
    t += line("bare Paho: messages x size",
              std::to_string(r.bare_messages) + " x " + std::to_string(r.bare_size) + " B");
    t += line("bare Paho offered messages/s", r.bare_offered_messages_per_s > 0
                                                  ? num(r.bare_offered_messages_per_s)
                                                  : std::string("flat out"));
    t += line("bare Paho delivered messages/s", num(r.bare_messages_per_s) + " (" +
                                                    std::to_string(r.bare_delivered) + " in " +
                                                    num(r.bare_seconds, 2) + " s)");
    t += line("bare Paho latency p50 / p99 / max", num(r.bare_latency.p50_ms, 2) + " / " +
                                                       num(r.bare_latency.p99_ms, 2) + " / " +
                                                       num(r.bare_latency.max_ms, 2) + " ms");
    t += line("bare Paho publisher CPU",
              num(r.bare_cpu_s, 2) + " s, " +
                  (r.bare_delivered > 0
                       ? num(r.bare_cpu_s * 1e6 / static_cast<double>(r.bare_delivered), 1)
                       : std::string("-")) +
                  " us/message");
    t += line("gateway / bare ratio (readings)", num(r.ratio, 2));
  }
  for (const auto& p : r.problems) t += "  PROBLEM: " + p + "\n";
  return t;
}

std::string renderJson(const LoadReport& r) {
  const auto& o = r.options;
  nlohmann::json j = {{"config",
                       {{"sensors", o.sensors},
                        {"transport", o.transport},
                        {"feed_window", o.feed_window},
                        {"broker_profile", o.broker_url.empty() ? o.broker_profile : "external"},
                        {"routing", o.routing},
                        {"mqtt_version", o.mqtt_version},
                        {"rate", o.rate},
                        {"readings", o.readings},
                        {"actors", o.actors},
                        {"batch", o.batch},
                        {"backlog_batching", o.backlog_batching},
                        {"linger", o.linger},
                        {"alarm_rate", o.alarm_rate},
                        {"fsync", o.fsync},
                        {"max_inflight", o.max_inflight},
                        {"warmup", o.warmup},
                        {"warmup_connect_ms", r.warmup_connect_ms},
                        {"warmup_alarms_ms", r.warmup_alarms_ms},
                        {"cameras", o.cameras},
                        {"camera_file", o.camera_file},
                        {"camera_fps", o.camera_fps},
                        {"camera_masks", o.camera_masks}}},
                      {"frames",
                       {{"decoded", r.frames_decoded},
                        {"kept", r.frames_kept},
                        {"detected", r.detector_frames},
                        {"dropped", r.frames_dropped},
                        {"fall_events", r.camera_events}}},
                      {"readings_sent", r.readings_sent},
                      {"offered_readings_per_s", r.offered_readings_per_s},
                      {"readings_accepted", r.readings_accepted},
                      {"readings_dropped", r.readings_dropped},
                      {"readings_expected", r.readings_expected},
                      {"readings_delivered", r.readings_delivered},
                      {"readings_lost", r.readings_lost},
                      {"readings_duplicated", r.readings_duplicated},
                      {"messages_delivered", r.messages_delivered},
                      {"messages_published", r.messages_published},
                      {"backlog_batched_readings", r.backlog_batched_readings},
                      {"seconds", r.seconds},
                      {"readings_per_s", r.readings_per_s},
                      {"messages_per_s", r.messages_per_s},
                      {"mean_payload_bytes", r.mean_payload_bytes},
                      {"reading_latency", latencyJson(r.reading_latency)},
                      {"alarms_sent", r.alarms_sent},
                      {"alarm_events", r.alarm_events},
                      {"alarm_latency", latencyJson(r.alarm_latency)},
                      {"reading_latency_steady", latencyJson(r.reading_latency_steady)},
                      {"alarm_latency_steady", latencyJson(r.alarm_latency_steady)},
                      {"envelope_duplicates", r.envelope_duplicates},
                      {"rejected", r.rejected},
                      {"gaps", r.gaps},
                      {"gatewayd",
                       {{"cpu_s", r.gatewayd_cpu_s},
                        {"user_s", r.gatewayd_user_s},
                        {"sys_s", r.gatewayd_sys_s},
                        {"peak_rss_mib", r.gatewayd_peak_rss_mib},
                        {"wall_s", r.gatewayd_wall_s}}},
                      {"load_tool_cpu_s", r.load_tool_cpu_s},
                      {"actor_service",
                       {{"enabled", o.actor_service},
                        {"webhook_latency", latencyJson(r.webhook_latency)},
                        {"webhook_latency_steady", latencyJson(r.webhook_latency_steady)},
                        {"webhook_requests", r.webhook_requests},
                        {"webhook_duplicates", r.webhook_duplicates},
                        {"webhook_readings", r.webhook_readings},
                        {"webhook_expected", r.webhook_expected},
                        {"webhook_seconds", r.webhook_seconds},
                        {"webhook_messages_per_s", r.webhook_messages_per_s},
                        {"cpu_s", r.actor_cpu_s},
                        {"user_s", r.actor_user_s},
                        {"sys_s", r.actor_sys_s},
                        {"peak_rss_mib", r.actor_peak_rss_mib},
                        {"wall_s", r.actor_wall_s},
                        {"verified", r.actor_verified},
                        {"delivered", r.actor_delivered},
                        {"retries", r.actor_retries},
                        {"spool_fsyncs", r.actor_fsyncs},
                        {"envelope_duplicates", r.actor_envelope_duplicates}}},
                      {"problems", r.problems}};
  nlohmann::json per_actor = nlohmann::json::array();
  for (const auto& a : r.per_actor) {
    per_actor.push_back({{"actor", a.actor},
                         {"expected", a.expected},
                         {"delivered", a.delivered},
                         {"lost", a.expected - a.delivered}});
  }
  j["loss"] = {{"sent", r.readings_sent},
               {"feeder_acked", r.feeder_acked},
               {"feeder_failed", r.feeder_failed},
               {"source_received", r.source_received},
               {"lost_at_broker", r.source_received >= 0 ? r.feeder_acked - r.source_received : 0},
               {"source_intake_pauses", r.source_intake_pauses},
               {"source_sessions_lost", r.source_sessions_lost},
               {"accepted", r.readings_accepted},
               {"dropped", r.readings_dropped},
               {"missing", r.readings_missing},
               {"fan_out", r.fan_out},
               {"per_actor", per_actor}};
  if (r.bare_run) {
    j["bare"] = {{"messages", r.bare_messages},
                 {"size", r.bare_size},
                 {"delivered", r.bare_delivered},
                 {"seconds", r.bare_seconds},
                 {"messages_per_s", r.bare_messages_per_s},
                 {"offered_messages_per_s", r.bare_offered_messages_per_s},
                 {"latency", latencyJson(r.bare_latency)},
                 {"cpu_s", r.bare_cpu_s},
                 {"error", r.bare_error}};
    j["ratio"] = r.ratio;
  }
  return j.dump(2) + "\n";
}

}  // namespace gw::load
