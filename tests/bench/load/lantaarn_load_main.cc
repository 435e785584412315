// lantaarn_load: drives a real gatewayd through a real Mosquitto with N sensors and M actors
// (the actor library verifies and decrypts), and measures delivered readings and messages per
// second, latency from reading sent to message decrypted, loss and duplicates, and gatewayd's CPU
// and peak memory; then, against the same broker and subscribers, a bare Paho publisher sending
// as many pre-built messages of the same size (docs/BENCHMARKS.md). Exits 1 when anything was
// lost, duplicated or refused, so a short run is a correctness smoke test (ctest label bench).
// --actor-service: the first actor is the real lantaarn-actor, timed to its webhook's requests.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "gateway/crypto/key_file.h"
#include "gateway/pipeline/topics.h"
#include "tests/bench/load/actor_tally.h"
#include "tests/bench/load/bare_publisher.h"
#include "tests/bench/load/load_policy.h"
#include "tests/bench/load/load_report.h"
#include "tests/bench/load/mqtt_feeder.h"
#include "tests/bench/load/process_usage.h"
#include "tests/bench/load/sensor_feeder.h"
#include "tests/bench/load/webhook_tally.h"
#include "tests/support/child_process.h"
#include "tests/support/http_get.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/temp_dir.h"

namespace gw::load {
namespace {

using gw::testing::ChildProcess;

// Sums every sample of a Prometheus counter (all label sets).
int64_t metric(const std::string& text, const std::string& name) {
  int64_t sum = 0;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l.rfind(name, 0) != 0) continue;
    const char next = l.size() > name.size() ? l[name.size()] : '\0';
    if (next != ' ' && next != '{') continue;
    sum += std::llround(std::stod(l.substr(l.rfind(' ') + 1)));
  }
  return sum;
}

// One labelled sample of a Prometheus counter: `name{...label="value"...}`.
int64_t metricFor(const std::string& text, const std::string& name, const std::string& label,
                  const std::string& value) {
  int64_t sum = 0;
  const std::string want = label + "=\"" + value + "\"";
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l.rfind(name + "{", 0) != 0) continue;
    const auto close = l.find('}');
    if (close == std::string::npos || l.substr(0, close).find(want) == std::string::npos) continue;
    sum += std::llround(std::stod(l.substr(l.rfind(' ') + 1)));
  }
  return sum;
}

// The gatewayd counters of the loss breakdown, read together.
struct IngestCounters {
  int64_t received = 0, accepted = 0, dropped = 0, missing = 0, pauses = 0, sessions_lost = 0;
  IngestCounters operator-(const IngestCounters& b) const {
    return {received - b.received, accepted - b.accepted, dropped - b.dropped,
            missing - b.missing,   pauses - b.pauses,     sessions_lost - b.sessions_lost};
  }
};

IngestCounters ingestCounters(const std::string& metrics) {
  return {metric(metrics, "lantaarn_source_intake_enqueued_total"),
          metric(metrics, "lantaarn_readings_accepted_total"),
          metric(metrics, "lantaarn_readings_dropped_total"),
          metric(metrics, "lantaarn_readings_missing_total"),
          metric(metrics, "lantaarn_source_intake_pauses_total"),
          metric(metrics, "lantaarn_source_sessions_lost_total")};
}

// Waits until `seen()` reaches `target`, or nothing moved for `settle` seconds.
template <typename Seen>
void waitForAll(Seen seen, int64_t target, double settle) {
  int64_t last = -1;
  auto last_progress = std::chrono::steady_clock::now();
  while (true) {
    const int64_t now = seen();
    if (now >= target) return;
    if (now != last) {
      last = now;
      last_progress = std::chrono::steady_clock::now();
    } else if (std::chrono::duration<double>(std::chrono::steady_clock::now() - last_progress)
                   .count() > settle) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string selfPath() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

// lantaarn-actor's configuration for actor a0 (docs/ACTORS.md section 7): its key, the pinned
// gateway key, a persistent session, its state in the run directory, one webhook sink.
std::string actorServiceYaml(const std::filesystem::path& run_dir, const std::string& broker_url,
                             int listen_port, const std::string& webhook_url) {
  const auto keys = run_dir / "keys";
  std::string y = "actor: " + actorId(0) + "\nsite: " + kSite + "\n";
  y += "key_file: " + (keys / (actorId(0) + ".key")).string() + "\n";
  y += "gateway_keys: [" + (keys / "gateway.pub").string() + "]\n";
  y += "broker:\n  url: " + broker_url + "\n  client_id: lantaarn-load-" + actorId(0) + "\n";
  y += "state_dir: " + (run_dir / "actor-state").string() + "\n";
  y += "listen: 127.0.0.1:" + std::to_string(listen_port) + "\n";
  y += "sinks:\n  - name: webhook\n    webhook: {url: \"" + webhook_url + "\", timeout: 10s}\n";
  return y;
}

int runBareChild(int argc, char** argv) {
  CLI::App cli{"bare Paho reference publisher (internal)"};
  BarePlan plan;
  cli.add_option("--broker", plan.broker_url)->required();
  cli.add_option("--topic", plan.topics)->required();
  cli.add_option("--count", plan.count)->required();
  cli.add_option("--size", plan.size)->required();
  cli.add_option("--window", plan.window);
  cli.add_option("--rate", plan.rate);
  bool v311 = false;
  cli.add_flag("--v311", v311);
  CLI11_PARSE(cli, argc, argv);
  plan.mqtt5 = !v311;
  const BareResult r = runBarePublisher(plan);
  std::cout << r.first_publish_us << " " << r.last_ack_us << " " << r.acked << " "
            << selfUsage().cpu_seconds << "\n";
  if (!r.error.empty()) std::cerr << r.error << "\n";
  return r.error.empty() ? 0 : 1;
}

int run(const LoadOptions& o) {
  if (o.sensors < 1 || o.actors < 1 || o.readings < 1) {
    std::cerr << "--sensors, --actors and --readings must be at least 1\n";
    return 2;
  }
  if (o.transport != "tcp" && o.transport != "udp" && o.transport != "mqtt") {
    std::cerr << "--transport must be tcp, udp or mqtt\n";
    return 2;
  }
  if (o.broker_profile != "tuned" && o.broker_profile != "debian-default") {
    std::cerr << "--broker-profile must be tuned or debian-default\n";
    return 2;
  }
  if (o.routing != "single" && o.routing != "city") {
    std::cerr << "--routing must be single or city\n";
    return 2;
  }
  if (o.routing == "city" && o.actors != kCityActors) {
    std::cerr << "--routing city needs --actors " << kCityActors << "\n";
    return 2;
  }
  if (o.feed_window < 1) {
    std::cerr << "--feed-window must be at least 1\n";
    return 2;
  }
  if (o.transport == "udp" && o.rate <= 0) {
    std::cerr << "--transport udp needs --rate (UDP has no backpressure)\n";
    return 2;
  }
  if (o.cameras > 0 && !std::filesystem::exists(o.camera_file)) {
    std::cerr << "--cameras needs --camera-file (make one with make_bench_video)\n";
    return 2;
  }
  if (o.actor_service && o.bare) {
    std::cerr << "--actor-service needs --no-bare (lantaarn-actor would refuse the bare "
                 "reference's messages as not envelopes)\n";
    return 2;
  }
  if (auto st = crypto::initSodium(); !st.ok()) return 2;
  gw::testing::TempDir dir;
  const auto run_dir = o.keep_dir.empty() ? dir.path() : std::filesystem::path(o.keep_dir);
  std::filesystem::create_directories(run_dir);
  const auto keys = run_dir / "keys";
  if (!crypto::writeIdentityKeyPair(crypto::generateIdentityKey(kSite), keys, "gateway").ok())
    return 2;
  for (int a = 0; a < o.actors; ++a) {
    if (!crypto::writeKeyPair(crypto::generateKeyPair(actorId(a)), keys).ok()) return 2;
  }

  std::unique_ptr<gw::testing::MosquittoBroker> broker;
  std::string broker_url = o.broker_url;
  if (broker_url.empty()) {
    gw::testing::BrokerOptions bo;
    if (o.broker_profile == "debian-default") {
      // As Debian installs it: no tuning lines, so mosquitto's defaults (Nagle on,
      // max_queued_messages 1000, max_inflight_messages 20).
      bo.debian_defaults = true;
    } else {
      // Receive Maximum = the window (mosquitto's default is 20), so neither side queues in Paho.
      bo.extra_config.push_back("max_inflight_messages " + std::to_string(o.max_inflight));
    }
    broker = std::make_unique<gw::testing::MosquittoBroker>(bo);
    broker_url = broker->url();
  }

  const bool mqtt_ingest = o.transport == "mqtt";
  std::vector<int> ports;
  std::vector<std::string> topics, quantities;
  for (int s = 0; s < o.sensors; ++s) {
    if (!mqtt_ingest) ports.push_back(gw::testing::freeLoopbackPort());
    quantities.push_back(quantityOfSource(o, s));
    topics.push_back(sensorTopic(sourceId(s), quantities.back()));
  }
  const int alarm_port = o.alarm_rate > 0 ? gw::testing::freeLoopbackPort() : 0;
  const int ops_port = gw::testing::freeLoopbackPort();
  std::ofstream(run_dir / "policy.yaml") << loadPolicy(o, keys, ports, alarm_port, broker_url);

  // --actor-service: a0 is the real lantaarn-actor's, subscribed (its first session) before
  // gatewayd publishes anything.
  std::unique_ptr<WebhookTally> webhook;
  std::unique_ptr<ChildProcess> actor_service;
  std::chrono::steady_clock::time_point actor_started;
  const int actor_port = o.actor_service ? gw::testing::freeLoopbackPort() : 0;
  if (o.actor_service) {
    webhook = std::make_unique<WebhookTally>(o.sensors);
    std::ofstream(run_dir / "actor.yaml")
        << actorServiceYaml(run_dir, broker_url, actor_port, webhook->url());
    actor_started = std::chrono::steady_clock::now();
    actor_service = std::make_unique<ChildProcess>(ChildProcess::Options{
        {o.actor_binary.empty() ? (gw::testing::binaryDir() / "bin/lantaarn-actor").string()
                                : o.actor_binary,
         "--config", (run_dir / "actor.yaml").string(), "--log-level", "warn"},
        {},
        run_dir / "actor.out",
        run_dir / "actor.err"});
    if (!gw::testing::waitUntil(
            [&] {
              auto reply = gw::testing::httpGet(actor_port, "/healthz");
              return reply && reply->status == 200;
            },
            std::chrono::seconds(30))) {
      std::cerr << "lantaarn-actor did not become healthy:\n" << actor_service->readStderr();
      return 2;
    }
  }
  auto drainWebhook = [&] {
    if (webhook) webhook->drain();
  };
  auto webhookReadings = [&] { return webhook ? webhook->readingsSeen() : 0; };
  auto webhookEvents = [&] { return webhook ? webhook->eventsSeen() : 0; };

  ActorTally tally(o.actors, o.sensors, o.actor_service ? 1 : 0);
  if (auto st = tally.start(broker_url, keys); !st.ok()) {
    std::cerr << "actors: " << st.message() << "\n";
    return 2;
  }

  std::vector<std::string> argv = {
      o.gatewayd.empty() ? (gw::testing::binaryDir() / "bin/gatewayd").string() : o.gatewayd,
      "--policy",
      (run_dir / "policy.yaml").string(),
      "--broker",
      broker_url,
      "--ops-listen",
      "127.0.0.1:" + std::to_string(ops_port),
      "--log-level",
      "warn"};
  // `--state-dir ""` is gatewayd's in-memory outbox; leaving the option out would mean the
  // default /var/lib/lantaarn with group commit.
  argv.push_back("--state-dir");
  argv.push_back(o.fsync == "memory" ? std::string() : (run_dir / "state").string());
  const auto gatewayd_started = std::chrono::steady_clock::now();
  ChildProcess gatewayd({argv, {}, run_dir / "gatewayd.out", run_dir / "gatewayd.err"});
  const bool ready = gw::testing::waitUntil(
      [&] {
        auto reply = gw::testing::httpGet(ops_port, "/readyz");
        return reply && reply->status == 200;
      },
      std::chrono::seconds(30));
  if (!ready) {
    std::cerr << "gatewayd did not become ready:\n" << gatewayd.readStderr();
    return 2;
  }
  if (o.transport == "tcp") {
    for (int port : ports) {
      if (!gw::testing::waitUntil([&] { return gw::testing::acceptsConnections(port); },
                                  std::chrono::seconds(10))) {
        std::cerr << "gatewayd does not listen on " << port << "\n" << gatewayd.readStderr();
        return 2;
      }
    }
  }

  LoadReport report;
  report.options = o;
  // mqtt: gatewayd is ready before its MQTT sources have subscribed, and the broker drops what
  // is published to a topic nobody subscribes to. A probe reading per source (a quantity no
  // route takes) until each source has received one; the counters then are the baseline.
  IngestCounters ingest_before;
  if (mqtt_ingest) {
    MqttFeed probe(
        MqttFeedConfig{broker_url, "lantaarn-load-probe", 10, o.mqtt_version != "3.1.1"});
    if (auto error = probe.connect(); !error.empty()) {
      std::cerr << error << "\n";
      return 2;
    }
    std::vector<char> subscribed(static_cast<size_t>(o.sensors), 0);
    int64_t probes = 0;
    const bool all = gw::testing::waitUntil(
        [&] {
          auto reply = gw::testing::httpGet(ops_port, "/metrics");
          bool done = true;
          for (int s = 0; s < o.sensors; ++s) {
            auto& ok = subscribed[static_cast<size_t>(s)];
            if (!ok && reply) {
              ok = metricFor(reply->body, "lantaarn_source_intake_enqueued_total", "source",
                             sourceId(s)) > 0;
            }
            if (ok) continue;
            done = false;
            std::string line = readingLine("temperature", 0, stampFor(wallMicros(), 10));
            line.pop_back();
            probe.publish(topics[static_cast<size_t>(s)], std::move(line));
          }
          if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(100));
          probes = reply ? ingestCounters(reply->body).received : 0;
          return done;
        },
        std::chrono::seconds(30));
    probe.finish();
    if (!all) {
      std::cerr << "gatewayd's MQTT sources did not subscribe:\n" << gatewayd.readStderr();
      return 2;
    }
    // Every probe through the source (accepted or dropped as unrouted) before the baseline.
    gw::testing::waitUntil(
        [&] {
          auto reply = gw::testing::httpGet(ops_port, "/metrics");
          if (!reply) return false;
          ingest_before = ingestCounters(reply->body);
          return ingest_before.received >= probes &&
                 ingest_before.accepted + ingest_before.dropped >= ingest_before.received;
        },
        std::chrono::seconds(10));
  }
  int64_t warmup_events = 0;
  if (o.warmup) {
    const auto ready_at = std::chrono::steady_clock::now();
    auto since = [](std::chrono::steady_clock::time_point t) {
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t)
          .count();
    };
    // gatewayd is ready before its publisher has connected (readiness is about the pipeline, and
    // a gateway buffers through an outage): readings sent earlier would measure the connect.
    if (!gw::testing::waitUntil(
            [&] {
              auto reply = gw::testing::httpGet(ops_port, "/metrics");
              return reply && metric(reply->body, "lantaarn_broker_connects_total") > 0;
            },
            std::chrono::seconds(30))) {
      std::cerr << "gatewayd's publisher did not connect:\n" << gatewayd.readStderr();
      return 2;
    }
    report.warmup_connect_ms = since(ready_at);
    if (alarm_port > 0) {
      // Two alarm readings (exceeded, cleared), so the threshold detector is back below and the
      // feed's first reading raises an event as every later one does. Their events make the
      // first epoch key of the alarm actor and the first retention period of the route.
      const auto warm_at = std::chrono::steady_clock::now();
      SensorFeeder warm(socketPlan("tcp", {alarm_port}, "water_level", 2000, 0, 20, 2));
      warm.start();
      warm.join();
      if (!gw::testing::waitUntil(
              [&] {
                drainWebhook();
                return tally.eventsSeen() + webhookEvents() >= 2;
              },
              std::chrono::seconds(30))) {
        std::cerr << "the warm-up alarms did not arrive:\n" << gatewayd.readStderr();
        return 2;
      }
      warmup_events = tally.eventsSeen() + webhookEvents();
      report.warmup_alarms_ms = since(warm_at);
    }
  }
  const int64_t clock_start_us = wallMicros();

  std::unique_ptr<SensorFeeder> alarms;
  if (alarm_port > 0) {
    // Alternating 2000 and 0 cm around the 1000 cm threshold: every reading crosses it, so every
    // one raises an event (exceeded, cleared, ...).
    alarms = std::make_unique<SensorFeeder>(
        socketPlan("tcp", {alarm_port}, "water_level", 2000, 0, o.alarm_rate, 0));
    alarms->start();
  }
  FeedPlan plan = socketPlan(o.transport, ports, "pm10", 10, -1, o.rate, o.readings);
  plan.broker_url = broker_url;
  plan.topics = topics;
  plan.window = o.feed_window;
  plan.no_delay = o.feed_no_delay;
  plan.mqtt5 = o.mqtt_version != "3.1.1";
  plan.quantities = quantities;
  SensorFeeder feeder(std::move(plan));
  const auto self_before = selfUsage();
  feeder.start();
  feeder.join();
  if (alarms) alarms->stopAndJoin();
  if (!feeder.error().empty()) report.problems.push_back("feeder: " + feeder.error());
  if (alarms && !alarms->error().empty()) report.problems.push_back("alarms: " + alarms->error());

  const auto sent = feeder.sentPerSensor();
  for (int s = 0; s < o.sensors; ++s) {
    report.readings_sent += sent[static_cast<size_t>(s)];
    report.readings_expected +=
        sent[static_cast<size_t>(s)] * static_cast<int64_t>(actorsOfSource(o, s).size());
  }
  if (report.readings_sent > 0) {
    report.fan_out =
        static_cast<double>(report.readings_expected) / static_cast<double>(report.readings_sent);
  }
  report.alarms_sent = alarms ? alarms->sentPerSensor()[0] : 0;
  const double feed_seconds = static_cast<double>(feeder.lastSendUs() - feeder.firstSendUs()) / 1e6;
  report.offered_readings_per_s =
      feed_seconds > 0 ? static_cast<double>(report.readings_sent) / feed_seconds : 0;
  waitForAll(
      [&] {
        drainWebhook();
        return tally.readingsSeen() + tally.eventsSeen() + webhookReadings() + webhookEvents();
      },
      report.readings_expected + report.alarms_sent + warmup_events, o.settle_seconds);

  report.gatewayd_wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - gatewayd_started).count();
  if (auto usage = readProcessUsage(gatewayd.pid())) {
    report.gatewayd_cpu_s = usage->cpu_seconds;
    report.gatewayd_user_s = usage->user_seconds;
    report.gatewayd_sys_s = usage->system_seconds;
    report.gatewayd_peak_rss_mib = static_cast<double>(usage->peak_rss_kib) / 1024.0;
  }
  if (auto metrics = gw::testing::httpGet(ops_port, "/metrics")) {
    const IngestCounters ingest = ingestCounters(metrics->body) - ingest_before;
    report.readings_accepted = ingest.accepted;
    report.readings_dropped = ingest.dropped;
    report.readings_missing = ingest.missing;
    report.source_intake_pauses = ingest.pauses;
    report.source_sessions_lost = ingest.sessions_lost;
    if (mqtt_ingest) {
      report.source_received = ingest.received;
      report.feeder_acked = feeder.acked();
      report.feeder_failed = feeder.failed();
    }
    report.messages_published = metric(metrics->body, "lantaarn_messages_published_total");
    report.backlog_batched_readings =
        metric(metrics->body, "lantaarn_backlog_batched_readings_total");
    const int64_t bytes = metric(metrics->body, "lantaarn_bytes_sent_total");
    report.frames_decoded = metric(metrics->body, "lantaarn_frames_decoded_total");
    report.frames_kept = metric(metrics->body, "lantaarn_frames_kept_total");
    report.detector_frames = metric(metrics->body, "lantaarn_detector_frames_total");
    report.frames_dropped = metric(metrics->body, "lantaarn_frames_dropped_total");
    if (report.messages_published > 0) {
      report.mean_payload_bytes =
          static_cast<double>(bytes) / static_cast<double>(report.messages_published);
    }
  }
  if (actor_service) {
    report.actor_wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - actor_started).count();
    if (auto usage = readProcessUsage(actor_service->pid())) {
      report.actor_cpu_s = usage->cpu_seconds;
      report.actor_user_s = usage->user_seconds;
      report.actor_sys_s = usage->system_seconds;
      report.actor_peak_rss_mib = static_cast<double>(usage->peak_rss_kib) / 1024.0;
    }
    if (auto metrics = gw::testing::httpGet(actor_port, "/metrics")) {
      report.actor_verified = metric(metrics->body, "lantaarn_actor_messages_verified_total");
      report.actor_delivered = metric(metrics->body, "lantaarn_actor_sink_delivered_total");
      report.actor_retries = metric(metrics->body, "lantaarn_actor_sink_retries_total");
      report.actor_fsyncs = metric(metrics->body, "lantaarn_actor_spool_fsyncs_total");
      report.actor_envelope_duplicates =
          metric(metrics->body, "lantaarn_actor_envelopes_duplicate_total");
    }
  }
  gatewayd.signal(SIGTERM);
  if (!gatewayd.wait(std::chrono::seconds(30))) {
    report.problems.push_back("gatewayd did not stop within 30 s of SIGTERM");
  }
  if (actor_service) {
    actor_service->signal(SIGTERM);
    auto status = actor_service->wait(std::chrono::seconds(30));
    if (!status || ChildProcess::exitCode(*status) != 0) {
      report.problems.push_back("lantaarn-actor did not stop cleanly on SIGTERM");
    }
    // Anything delivered while it stopped (nothing should be: every expected reading is in).
    drainWebhook();
  }

  const int64_t last_data_us = std::max(tally.lastDataUs(), webhook ? webhook->lastDataUs() : 0);
  report.seconds = static_cast<double>(last_data_us - feeder.firstSendUs()) / 1e6;

  // The reference: the same per-actor messages (one per reading and actor, however gatewayd
  // batched them), of the gateway's mean size, published directly.
  if (o.bare) {
    const int64_t messages = report.readings_expected;
    report.bare_run = true;
    report.bare_messages = messages;
    report.bare_size = static_cast<size_t>(std::lround(report.mean_payload_bytes));
    std::vector<std::string> bare_argv = {selfPath(), "bare-publish",
                                          "--broker", broker_url,
                                          "--count",  std::to_string(messages),
                                          "--size",   std::to_string(report.bare_size),
                                          "--window", std::to_string(o.max_inflight)};
    if (o.mqtt_version == "3.1.1") bare_argv.push_back("--v311");
    if (o.rate > 0) {
      // Paced as the gateway's actors were fed: the offered readings/s times the messages each
      // reading became, so both figures are at the same per-actor message rate.
      report.bare_offered_messages_per_s = o.rate * report.fan_out;
      bare_argv.push_back("--rate");
      bare_argv.push_back(std::to_string(report.bare_offered_messages_per_s));
    }
    for (int a = 0; a < o.actors; ++a) {
      bare_argv.push_back("--topic");
      bare_argv.push_back(pipeline::actorTopic(kSite, actorId(a), "bench"));
    }
    const int64_t bare_before = tally.bareSeen();
    ChildProcess bare({bare_argv, {}, run_dir / "bare.out", run_dir / "bare.err"});
    auto status = bare.wait(std::chrono::seconds(600));
    waitForAll([&] { return tally.bareSeen() - bare_before; }, messages, o.settle_seconds);
    report.bare_delivered = tally.bareSeen() - bare_before;
    std::istringstream out(bare.readStdout());
    int64_t first_us = 0, last_ack_us = 0, acked = 0;
    out >> first_us >> last_ack_us >> acked >> report.bare_cpu_s;
    if (!status || ChildProcess::exitCode(*status) != 0 || first_us == 0) {
      report.bare_error = "bare publisher failed: " + bare.readStderr();
      report.problems.push_back(report.bare_error);
    } else {
      report.bare_seconds = static_cast<double>(tally.lastBareUs() - first_us) / 1e6;
      if (report.bare_seconds > 0) {
        report.bare_messages_per_s =
            static_cast<double>(report.bare_delivered) / report.bare_seconds;
      }
    }
    if (report.bare_delivered != messages) {
      report.problems.push_back("bare reference: " + std::to_string(report.bare_delivered) +
                                " of " + std::to_string(messages) + " delivered");
    }
  }
  tally.stop();
  const auto self_after = selfUsage();
  report.load_tool_cpu_s = self_after.cpu_seconds - self_before.cpu_seconds;

  auto counts = tally.counts();
  if (webhook) counts.push_back(webhook->tally().count);
  for (const auto& c : counts) {
    report.messages_delivered += c.messages;
    report.readings_delivered += c.readings;
    report.readings_duplicated += c.duplicate_readings;
    report.alarm_events += c.events;  // the warm-up's are taken off below
    report.camera_events += c.other_events;
    report.envelope_duplicates += c.envelope_duplicates;
    report.rejected += c.rejected;
    report.gaps += c.gaps;
  }
  report.alarm_events -= warmup_events;
  report.readings_lost = report.readings_expected - report.readings_delivered;
  {
    // Per actor: tally.counts() holds actors first..actors-1, then (--actor-service) a0's webhook.
    const auto actor_counts = tally.counts();
    for (int a = 0; a < o.actors; ++a) {
      ActorLoss loss{actorId(a), 0, 0};
      for (int s = 0; s < o.sensors; ++s) {
        const auto actors = actorsOfSource(o, s);
        if (std::find(actors.begin(), actors.end(), a) != actors.end())
          loss.expected += sent[static_cast<size_t>(s)];
      }
      const int first = o.actor_service ? 1 : 0;
      if (a >= first) {
        loss.delivered = actor_counts[static_cast<size_t>(a - first)].readings;
      } else if (webhook) {
        loss.delivered = webhook->tally().count.readings;
      }
      report.per_actor.push_back(loss);
    }
  }
  if (report.seconds > 0) {
    report.readings_per_s = static_cast<double>(report.readings_delivered) / report.seconds;
    report.messages_per_s = static_cast<double>(report.messages_delivered) / report.seconds;
  }
  if (report.bare_messages_per_s > 0)
    // Per-actor readings, as the bare publisher sends one message per reading and actor: the
    // same figure whether gatewayd batched them or not.
    report.ratio = report.readings_per_s / report.bare_messages_per_s;
  const auto lat = tally.latencies();
  const int64_t warm_until_us = feeder.firstSendUs() + 1'000'000;
  auto split = [&](const std::vector<Timed>& timed, Percentiles* all, Percentiles* steady) {
    std::vector<int64_t> every, later;
    for (const auto& t : timed) {
      if (t.send_us < clock_start_us) continue;  // the warm-up
      every.push_back(t.latency_us);
      if (t.send_us >= warm_until_us) later.push_back(t.latency_us);
    }
    *all = percentiles(std::move(every));
    *steady = percentiles(std::move(later));
  };
  split(lat.readings, &report.reading_latency, &report.reading_latency_steady);
  split(lat.alarms, &report.alarm_latency, &report.alarm_latency_steady);
  {
    std::vector<int64_t> bare;
    for (const auto& t : lat.bare) bare.push_back(t.latency_us);
    report.bare_latency = percentiles(std::move(bare));
  }
  if (webhook) {
    const auto& w = webhook->tally();
    split(w.reading_latency, &report.webhook_latency, &report.webhook_latency_steady);
    std::vector<Timed> both = lat.readings;
    both.insert(both.end(), w.reading_latency.begin(), w.reading_latency.end());
    split(both, &report.reading_latency, &report.reading_latency_steady);
    std::vector<Timed> alarm_times = lat.alarms;
    alarm_times.insert(alarm_times.end(), w.alarm_latency.begin(), w.alarm_latency.end());
    split(alarm_times, &report.alarm_latency, &report.alarm_latency_steady);
    report.webhook_requests = webhook->requests();
    report.webhook_duplicates = webhook->duplicateRequests();
    report.webhook_readings = w.count.readings;
    for (int s = 0; s < o.sensors; ++s) {
      const auto actors = actorsOfSource(o, s);
      if (std::find(actors.begin(), actors.end(), 0) != actors.end()) {
        report.webhook_expected += sent[static_cast<size_t>(s)];
      }
    }
    report.webhook_seconds =
        static_cast<double>(webhook->lastDataUs() - webhook->firstDataUs()) / 1e6;
    if (report.webhook_seconds > 0) {
      report.webhook_messages_per_s =
          static_cast<double>(webhook->requests() - 1) / report.webhook_seconds;
    }
    if (report.webhook_duplicates != 0) {
      report.problems.push_back(std::to_string(report.webhook_duplicates) +
                                " webhook requests repeated an Idempotency-Key");
    }
    if (webhook->unparsable() != 0) {
      report.problems.push_back(std::to_string(webhook->unparsable()) +
                                " webhook bodies were not an ActorMessage");
    }
  }
  if (!o.latency_file.empty()) {
    std::ofstream out(o.latency_file);
    out << "kind,send_us,latency_us\n";
    for (const auto& t : lat.readings)
      out << "reading," << t.send_us << "," << t.latency_us << "\n";
    for (const auto& t : lat.alarms) out << "alarm," << t.send_us << "," << t.latency_us << "\n";
    if (webhook) {  // actor a0 through lantaarn-actor: to the webhook request's arrival
      for (const auto& t : webhook->tally().reading_latency)
        out << "webhook_reading," << t.send_us << "," << t.latency_us << "\n";
      for (const auto& t : webhook->tally().alarm_latency)
        out << "webhook_alarm," << t.send_us << "," << t.latency_us << "\n";
    }
  }

  if (report.readings_lost != 0) {
    report.problems.push_back(std::to_string(report.readings_lost) + " readings lost");
  }
  if (report.readings_duplicated != 0) {
    report.problems.push_back(std::to_string(report.readings_duplicated) +
                              " readings delivered twice");
  }
  if (report.alarm_events != report.alarms_sent) {
    report.problems.push_back(std::to_string(report.alarms_sent - report.alarm_events) +
                              " alarm events missing");
  }
  if (report.rejected != 0) {
    report.problems.push_back(std::to_string(report.rejected) + " envelopes refused by actors");
  }
  if (!report.problems.empty()) {
    std::cerr << "gatewayd stderr (tail):\n";
    const std::string err = gatewayd.readStderr();
    std::cerr << err.substr(err.size() > 4000 ? err.size() - 4000 : 0);
    if (actor_service) {
      std::cerr << "lantaarn-actor stderr (tail):\n";
      const std::string aerr = actor_service->readStderr();
      std::cerr << aerr.substr(aerr.size() > 4000 ? aerr.size() - 4000 : 0);
    }
  }
  std::cout << (o.json ? renderJson(report) : renderTable(report));
  return report.problems.empty() ? 0 : 1;
}

}  // namespace
}  // namespace gw::load

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "bare-publish") {
    return gw::load::runBareChild(argc - 1, argv + 1);
  }
  gw::load::LoadOptions o;
  CLI::App cli{"Load test of gatewayd through a real Mosquitto (docs/BENCHMARKS.md)"};
  cli.add_option("--sensors", o.sensors, "Background sensors, one source and connection each");
  cli.add_option("--transport", o.transport,
                 "tcp or udp (json_reading lines to a listener per sensor), or mqtt (one JSON "
                 "reading per QoS 1 PUBLISH on sensors/<source>/<quantity>, an MQTT source per "
                 "sensor in gatewayd)");
  cli.add_option("--rate", o.rate,
                 "Background readings/s in total (0: as fast as TCP or the MQTT window accepts)");
  cli.add_option("--readings", o.readings, "Background readings in total");
  int64_t burst = 0;
  cli.add_option("--burst", burst,
                 "N readings flat out: shorthand for --readings N --rate 0 (mqtt or tcp)");
  cli.add_option("--feed-window", o.feed_window,
                 "mqtt: the feeder's QoS 1 PUBLISHes awaiting a PUBACK");
  cli.add_option("--broker-profile", o.broker_profile,
                 "The broker started here: tuned (nodelay, max_queued_messages 0, "
                 "max_inflight_messages = --max-inflight) or debian-default (mosquitto's "
                 "defaults: Nagle, 1000 queued, 20 in flight)");
  cli.add_option("--routing", o.routing,
                 "single (source s to actor s % actors) or city (6 actors, 5 quantities, 2.8 "
                 "messages per reading with sensors a multiple of 5; needs --actors 6)");
  cli.add_option("--actors", o.actors, "Actors, subscribed with the actor library");
  cli.add_option("--batch", o.batch, "Route batch max_readings (0: no batching)");
  cli.add_option("--linger", o.linger, "Route batch linger");
  cli.add_flag("--feed-nodelay", o.feed_no_delay,
               "mqtt: TCP_NODELAY on the feeder's connection too (gatewayd always sets it)");
  cli.add_option("--backlog-batching", o.backlog_batching,
                 "gatewayd's batching under a backlog: on (its default) or off")
      ->check(CLI::IsMember({"on", "off"}));
  cli.add_option("--alarm-rate", o.alarm_rate, "Alarm readings/s, each raising an event (0: none)");
  cli.add_option("--alarm-isolation", o.alarm_isolation,
                 "The alarm detector in gatewayd (none) or in its own process (process)")
      ->check(CLI::IsMember({"none", "process"}));
  cli.add_option("--fsync", o.fsync,
                 "Outbox fsync: group_commit, every_record, interval or memory");
  cli.add_option("--max-inflight", o.max_inflight,
                 "Gateway max_inflight = bare window = broker max_inflight_messages");
  cli.add_option("--mqtt", o.mqtt_version, "auto, 5 or 3.1.1 (3.1.1: no MQTT 5 properties)");
  cli.add_option("--broker", o.broker_url, "Use this broker instead of starting one");
  cli.add_option("--gatewayd", o.gatewayd, "gatewayd binary (default: the build tree's)");
  cli.add_flag("!--no-bare", o.bare, "Skip the bare Paho reference");
  cli.add_flag("--json", o.json, "Print JSON");
  cli.add_option("--settle", o.settle_seconds, "Seconds without progress before giving up");
  cli.add_option("--cameras", o.cameras, "File cameras, each with a fall detector");
  cli.add_option("--camera-file", o.camera_file, "Video for the cameras (make_bench_video)");
  cli.add_option("--camera-fps", o.camera_fps, "Camera processing rate");
  cli.add_flag("!--no-warmup", o.warmup,
               "Start the clock at once, without waiting for the publisher and a first alarm");
  cli.add_flag("!--no-camera-masks", o.camera_masks,
               "Cameras without their two privacy-mask polygons (for comparison)");
  cli.add_option("--latency-file", o.latency_file, "Write every latency sample here (CSV)");
  cli.add_option("--keep-dir", o.keep_dir, "Keep the run's policy, keys and logs here");
  cli.add_flag("--actor-service", o.actor_service,
               "Actor a0 through the real lantaarn-actor and its webhook sink (needs --no-bare)");
  cli.add_option("--actor-binary", o.actor_binary,
                 "lantaarn-actor binary (default: the build tree's)");
  CLI11_PARSE(cli, argc, argv);
  if (burst > 0) {
    o.readings = burst;
    o.rate = 0;
  }
  return gw::load::run(o);
}
