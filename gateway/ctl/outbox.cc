// gatewayctl outbox dead-letters | resend: what the broker refused for good (or what a policy
// reload set aside), and sending it again once the cause is fixed. Works on the state dir while
// gatewayd runs: the dead-letter store's lock keeps the two apart, and gatewayd takes the resend
// spool within seconds (outbox/dead_letter_store.h).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>

#include "gateway/ctl/commands.h"
#include "gateway/outbox/dead_letter_store.h"

namespace gw::ctl {
namespace {

std::filesystem::path deadLetterDir(const std::string& state_dir) {
  return std::filesystem::path(state_dir) / "outbox" / "dead-letter";
}

bool matches(const OutboxArgs& args, const outbox::DeadLetter& letter) {
  return (args.actor.empty() || letter.message.actor_id == args.actor) &&
         (args.reason.empty() || letter.reason == args.reason);
}

const char* priorityName(pipeline::Priority p) {
  switch (p) {
    case pipeline::Priority::kAlarm:
      return "alarm";
    case pipeline::Priority::kEvent:
      return "event";
    case pipeline::Priority::kMeasurement:
      return "measurement";
  }
  return "?";
}

}  // namespace

int runOutboxDeadLetters(const OutboxArgs& args) {
  auto letters = outbox::DeadLetterStore::list(deadLetterDir(args.state_dir));
  if (!letters.ok()) {
    std::fprintf(stderr, "gatewayctl outbox dead-letters: %s\n",
                 letters.status().message().c_str());
    return 1;
  }
  if (args.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& l : *letters) {
      if (!matches(args, l)) continue;
      out.push_back({{"actor", l.message.actor_id},
                     {"topic", l.message.topic},
                     {"reason", l.reason},
                     {"priority", priorityName(l.message.priority)},
                     {"bytes", l.message.payload.size()},
                     {"dead_lettered_unix_ms", l.dead_unix_ms},
                     {"outbox_id", l.id}});
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  // Operators want the shape first: how many, for whom, why.
  std::map<std::tuple<std::string, std::string, std::string>, std::pair<size_t, size_t>> groups;
  size_t total = 0;
  for (const auto& l : *letters) {
    if (!matches(args, l)) continue;
    auto& [count, bytes] = groups[{l.message.actor_id, l.message.topic, l.reason}];
    ++count;
    bytes += l.message.payload.size();
    ++total;
  }
  if (total == 0) {
    std::printf("no dead letters\n");
    return 0;
  }
  std::printf("%-16s %-22s %8s %10s  %s\n", "ACTOR", "REASON", "MESSAGES", "BYTES", "TOPIC");
  for (const auto& [key, value] : groups) {
    const auto& [actor, topic, reason] = key;
    std::printf("%-16s %-22s %8zu %10zu  %s\n", actor.c_str(), reason.c_str(), value.first,
                value.second, topic.c_str());
  }
  std::printf("%zu dead letter(s)\n", total);
  return 0;
}

int runOutboxResend(const OutboxArgs& args) {
  auto queued = outbox::DeadLetterStore::queueResend(
      deadLetterDir(args.state_dir),
      [&](const outbox::DeadLetter& letter) { return matches(args, letter); });
  if (!queued.ok()) {
    std::fprintf(stderr, "gatewayctl outbox resend: %s\n", queued.status().message().c_str());
    return 1;
  }
  std::printf(
      "queued %zu message(s) for resending; a running gatewayd sends them within seconds, "
      "a stopped one at its next start\n",
      *queued);
  return 0;
}

}  // namespace gw::ctl
