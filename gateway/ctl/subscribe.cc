#include <algorithm>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "gateway/actor/actor_subscriber.h"
#include "gateway/actor/pinned_gateways.h"
#include "gateway/core/files.h"
#include "gateway/ctl/commands.h"

namespace gw::ctl {
namespace {

std::atomic<bool> g_interrupted{false};
void onSignal(int) { g_interrupted = true; }

// One JSON line on stderr per thing the actor should know beyond the messages themselves.
void printReport(const actor::Report& report) {
  nlohmann::ordered_json line{{"report", actor::reportName(report.type)},
                              {"epoch", report.epoch},
                              {"from", report.from},
                              {"to", report.to}};
  if (report.type != actor::Report::Type::kLate &&
      report.type != actor::Report::Type::kCheckpointVerified) {
    line["missing"] = report.missing;
  }
  std::fprintf(stderr, "%s\n", line.dump().c_str());
}

// session_lost, silent, resumed: a stream or the connection, not a single envelope.
void printNotice(const actor::Notice& n) {
  nlohmann::ordered_json line{{"report", actor::noticeName(n.type)}, {"site", n.site_id}};
  if (!n.gateway_key_id.empty()) line["gateway"] = n.gateway_key_id;
  line["at_unix_ms"] = n.at_unix_ms;
  line["since_unix_ms"] = n.since_unix_ms;
  if (!n.reason.empty()) line["reason"] = n.reason;
  std::fprintf(stderr, "%s\n", line.dump().c_str());
}

}  // namespace

int runSubscribe(const SubscribeArgs& args) {
  // The first --key is the actor's key, any more its other keys during a rotation: which one an
  // epoch opens with is named in its KEY envelope, so the order does not matter.
  std::vector<crypto::SecretKey> keys;
  for (const auto& file : args.key_files) {
    auto key = crypto::readSecretKeyFile(file);
    if (!key.ok()) {
      std::fprintf(stderr, "gatewayctl subscribe: %s\n", key.status().message().c_str());
      return 2;
    }
    keys.push_back(std::move(key).value());
  }
  if (keys.empty()) {
    std::fprintf(stderr, "gatewayctl subscribe: --key is required\n");
    return 2;
  }
  auto pinned_keys = actor::readPinnedGateways(args.gateway_key_files);
  if (!pinned_keys.ok()) {
    std::fprintf(stderr, "gatewayctl subscribe: %s\n", pinned_keys.status().message().c_str());
    return 2;
  }
  for (const auto& note : pinned_keys->skipped) {
    std::fprintf(stderr, "gatewayctl subscribe: %s\n", note.c_str());
  }
  std::string pinned;
  for (const auto& g : pinned_keys->keys)
    pinned += (pinned.empty() ? "" : ",") + g.owner + ":" + g.key_id;
  for (const auto& key : keys) {
    if (key.actor != args.actor) {
      std::fprintf(
          stderr,
          "gatewayctl subscribe: note: key %s belongs to actor '%s', reading topics of '%s'\n",
          key.key_id.c_str(), key.actor.c_str(), args.actor.c_str());
    }
  }
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);

  std::mutex mutex;
  std::condition_variable done_cv;
  long received = 0;
  if (args.persistent_session && args.client_id.empty()) {
    std::fprintf(stderr, "gatewayctl subscribe: --persistent-session needs a stable --client-id\n");
    return 2;
  }
  actor::SubscriberConfig config;
  config.broker_url = args.broker;
  config.client_id = args.client_id;
  config.username = args.username;
  if (!args.password_file.empty()) {
    auto password = readPasswordFile(args.password_file);
    if (!password.ok()) {
      std::fprintf(stderr, "gatewayctl subscribe: %s\n", password.status().message().c_str());
      return 2;
    }
    config.password = std::move(password).value();
  }
  if (!args.tls_ca.empty() || !args.tls_cert.empty() || !args.tls_key.empty()) {
    config.tls = actor::TlsSettings{args.tls_ca, args.tls_cert, args.tls_key, true};
  }
  if (args.silence_after_s <= 0) {
    std::fprintf(stderr, "gatewayctl subscribe: --silence-after must be positive\n");
    return 2;
  }
  config.silence_after =
      std::chrono::milliseconds(static_cast<int64_t>(args.silence_after_s * 1000));
  config.identity = {args.site, args.actor, keys.front(), std::move(pinned_keys->keys),
                     std::vector<crypto::SecretKey>(keys.begin() + 1, keys.end())};
  config.options.max_age_ms = static_cast<int64_t>(args.max_age_s * 1000);
  config.persistent_session = args.persistent_session;
  // Both checked by CLI11 (IsMember, Range) before we get here.
  config.protocol = actor::parseMqttProtocol(args.mqtt).value_or(actor::MqttProtocol::kAuto);
  config.receive_maximum = static_cast<uint16_t>(args.receive_maximum);
  std::map<std::string, uint64_t> notices;  // by name, for the summary
  auto on_notice = [&](const actor::Notice& n) {
    std::lock_guard lock(mutex);
    ++notices[actor::noticeName(n.type)];
    printNotice(n);
  };
  actor::ActorSubscriber subscriber(
      config,
      [&](const actor::Delivery& d) {
        std::lock_guard lock(mutex);
        for (const auto& report : d.received.reports) printReport(report);
        if (d.received.verdict == actor::Verdict::kRejected) {
          const std::string& reason = d.received.reason;
          nlohmann::ordered_json line{{"rejected", reason.substr(0, reason.find(':'))},
                                      {"reason", reason},
                                      {"topic", d.topic}};
          if (d.received.header.sequence() != 0) line["sequence"] = d.received.header.sequence();
          std::fprintf(stderr, "%s\n", line.dump().c_str());
          return;
        }
        if (d.received.verdict != actor::Verdict::kMessage) return;
        if (args.count > 0 && received >= args.count) return;
        ++received;
        const std::string json = actor::toJson(d.received.message);
        const auto& h = d.received.header;
        if (args.envelope) {
          std::printf(
              "{\"gateway\":\"%s\",\"epoch\":%llu,\"sequence\":%llu,\"sent_unix_ms\":%lld,"
              "\"message\":%s}\n",
              h.gateway_key_id().c_str(), static_cast<unsigned long long>(h.epoch()),
              static_cast<unsigned long long>(h.sequence()),
              static_cast<long long>(h.sent_unix_ms()), json.c_str());
        } else if (args.json) {
          std::printf("%s\n", json.c_str());
        } else {
          const std::string kind = d.topic.substr(d.topic.find_last_of('/') + 1);
          std::printf("%-15s %-11s %s\n", args.actor.c_str(), kind.c_str(), json.c_str());
        }
        std::fflush(stdout);
        done_cv.notify_all();
      },
      on_notice);
  if (Status s = subscriber.start(std::chrono::seconds(10)); !s.ok()) {
    std::fprintf(stderr, "gatewayctl subscribe: %s\n", s.message().c_str());
    return 2;
  }
  std::string key_ids;
  for (const auto& key : keys) key_ids += (key_ids.empty() ? "" : ",") + key.key_id;
  std::fprintf(stderr, "subscribed actor=%s site=%s broker=%s gateways=%s keys=%s\n",
               args.actor.c_str(), args.site.c_str(), args.broker.c_str(), pinned.c_str(),
               key_ids.c_str());

  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(args.timeout_s * 1000));
  bool timed_out = false;
  {
    std::unique_lock lock(mutex);
    while (!g_interrupted) {
      if (args.count > 0 && received >= args.count) break;
      if (args.timeout_s > 0 && std::chrono::steady_clock::now() >= deadline) {
        timed_out = true;
        break;
      }
      // Short waits so a signal is noticed promptly.
      done_cv.wait_for(lock, std::chrono::milliseconds(100));
    }
  }
  subscriber.stop();
  std::lock_guard lock(mutex);
  const auto& st = subscriber.stats();
  // One JSON line like every other line on stderr, so a program can read it (issue 19).
  nlohmann::ordered_json summary{{"report", "summary"},
                                 {"actor", args.actor},
                                 {"received", received},
                                 {"rejected", st.rejected},
                                 {"duplicates", st.duplicates},
                                 {"gaps", st.gaps},
                                 {"missing", st.missing},
                                 {"late", st.late},
                                 {"unaccounted", st.unaccounted},
                                 {"stream_restarts", st.stream_restarts},
                                 {"checkpoints_verified", st.checkpoints_verified},
                                 {"checkpoints_incomplete", st.checkpoints_incomplete},
                                 {"checkpoints_mismatched", st.checkpoints_mismatched},
                                 {"sessions_lost", notices["session_lost"]},
                                 {"silences", notices["silent"]}};
  if (!st.rejected_by_code.empty()) summary["rejected_by_code"] = st.rejected_by_code;
  std::fprintf(stderr, "%s\n", summary.dump().c_str());
  if (args.count > 0 && received < args.count && timed_out) {
    std::fprintf(stderr, "gatewayctl subscribe: timed out after %ld of %ld messages\n", received,
                 args.count);
    return 1;
  }
  return 0;
}

}  // namespace gw::ctl
