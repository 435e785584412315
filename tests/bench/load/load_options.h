#pragma once
// What one run of lantaarn_load does: the sensors, rates, actors and gateway settings it drives,
// and the switches for the reference run and the report.
#include <cstdint>
#include <string>

namespace gw::load {

struct LoadOptions {
  int sensors = 4;  // background sensors, each a source of its own with one connection
  // tcp or udp: json_reading lines to a listener per sensor; mqtt: one JSON reading per QoS 1
  // PUBLISH on sensors/<source>/<quantity>, which an MQTT source per sensor subscribes to.
  std::string transport = "tcp";
  double rate = 0;             // background readings/s in total; 0: as fast as TCP accepts
  int64_t readings = 20000;    // background readings in total
  int feed_window = 100;       // mqtt: the feeder's QoS 1 PUBLISHes in flight
  bool feed_no_delay = false;  // mqtt: TCP_NODELAY on the feeder's connection
  // The broker lantaarn_load starts: "tuned" (nodelay, max_queued_messages 0,
  // max_inflight_messages = --max-inflight) or "debian-default" (mosquitto's defaults: Nagle,
  // 1000 queued messages per client, 20 in flight).
  std::string broker_profile = "tuned";
  // Which actors each sensor's readings go to: "single" (source s to actor s % actors) or "city"
  // (six actors, five quantities, 2.8 messages per reading; load_policy.cc).
  std::string routing = "single";
  int actors = 5;               // actors subscribed with the actor library
  int batch = 0;                // route batch.max_readings; 0: one message per reading
  std::string linger = "50ms";  // route batch.linger
  // gateway.backlog_batching: "on" (gatewayd's default: batching switches on by itself while
  // messages wait in the outbox, decision 1350) or "off" (one message per reading, always).
  std::string backlog_batching = "on";
  double alarm_rate = 0;  // alarm readings/s (each raises one event, priority alarm)
  // The alarm detector's `isolation`: "none" (in gatewayd) or "process" (in its own confined
  // process, as a plugin runs by default: issue 21's cost on the alarm path).
  std::string alarm_isolation = "none";
  std::string fsync = "group_commit";  // outbox.fsync; "memory": no --state-dir (memory outbox)
  int max_inflight = 20;  // gateway max_inflight, the bare window, broker Receive Maximum
  std::string mqtt_version = "auto";  // the gateway's broker.mqtt_version; 3.1.1 also for bare
  std::string broker_url;             // empty: start a Mosquitto on a free loopback port
  std::string gatewayd;               // path; empty: the build tree's
  bool bare = true;                   // also run the bare Paho reference
  bool json = false;
  double settle_seconds = 15;  // give up waiting for the rest this long after the last progress
  std::string latency_file;    // every sample as CSV
  // Start the clock only once gatewayd's publisher is connected and, with alarms, a first alarm
  // has gone through (epoch key, retention key): start-up is not steady state (decision 1021).
  bool warmup = true;
  std::string keep_dir;  // keep the run directory (policy, logs) here
  // Cameras: each a file camera (looped, paced at the file's rate) with privacy masks and a fall
  // detector whose events go to the first actor. The run lasts as long as the background feed.
  int cameras = 0;
  std::string camera_file;   // e.g. from make_bench_video: 1280x720 25 fps H.264
  double camera_fps = 10;    // processing rate
  bool camera_masks = true;  // two privacy-mask polygons per camera, applied to every frame
  // The first actor (a0) is received by the real lantaarn-actor binary, whose webhook sink POSTs
  // to an HTTP receiver in this process (issue 19); the others stay in-process. No bare run.
  bool actor_service = false;
  std::string actor_binary;  // path; empty: the build tree's bin/lantaarn-actor
};

}  // namespace gw::load
