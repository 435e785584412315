#include "gateway/ops/status_report.h"

#include <algorithm>
#include <map>

namespace gw::ops {

GatewayStatus reportStatus(const PipelineView& view) {
  GatewayStatus s;
  s.site_id = view.site_id;
  s.policy_version = view.policy_version;
  s.policy_loaded = true;
  s.routes = view.routes;
  s.actors = view.actors;
  s.detectors = view.detectors;
  s.broker_connected = view.broker_connected;
  s.stopping = view.stopping;
  const auto& outbox = *view.outbox;
  s.outbox_accepting = outbox.hasRoom(std::max<size_t>(view.fan_out, 1));
  s.outbox_messages = outbox.size();
  s.outbox_in_flight = outbox.inFlight();
  s.outbox_dead_letters = outbox.deadLetters();
  for (const auto& source : *view.sources) {
    const bool camera = source->kind() == pipeline::SourceKind::kCamera;
    s.sources.push_back({source->id(), camera ? "camera" : "sensor", source->finished()});
  }
  const auto now = std::chrono::steady_clock::now();
  std::map<std::string, ActorBacklog> backlog;
  outbox.forEachEntry([&](const pipeline::Outbox::Entry& entry) {
    auto& b = backlog[entry.message.actor_id];
    b.actor = entry.message.actor_id;
    ++b.messages;
    b.bytes += entry.message.payload.size();
    b.oldest_age_seconds = std::max(b.oldest_age_seconds,
                                    std::chrono::duration<double>(now - entry.appended_at).count());
  });
  for (auto& [actor, b] : backlog) s.backlog.push_back(std::move(b));
  s.recent_events = view.recent_events->list();
  return s;
}

std::vector<Watch> watchesFor(const std::vector<pipeline::SourcePtr>& sources,
                              const std::vector<FrameFeed>& feeds) {
  std::vector<Watch> watches;
  watches.reserve(sources.size() + feeds.size());
  for (const auto& source : sources) {
    watches.push_back({Watch::Kind::kSource, source->id(), source->progressCounters(), {}});
  }
  // In the order the detectors first appear; each detector's cameras in theirs.
  for (const auto& feed : feeds) {
    auto it = std::find_if(watches.begin(), watches.end(), [&](const Watch& w) {
      return w.kind == Watch::Kind::kDetector && w.id == feed.detector;
    });
    if (it == watches.end()) {
      watches.push_back({Watch::Kind::kDetector, feed.detector, {}, {}});
      it = std::prev(watches.end());
    }
    it->progress_prefixes.push_back(feed.progress);
    it->input_prefixes.push_back(feed.input);
  }
  return watches;
}

}  // namespace gw::ops
