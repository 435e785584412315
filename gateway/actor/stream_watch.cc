#include "gateway/actor/stream_watch.h"

namespace gw::actor {

const char* noticeName(Notice::Type type) {
  switch (type) {
    case Notice::Type::kSessionLost:
      return "session_lost";
    case Notice::Type::kSilent:
      return "silent";
    case Notice::Type::kResumed:
      return "resumed";
  }
  return "unknown";
}

StreamWatch::StreamWatch(std::vector<Stream> streams, std::chrono::milliseconds silence_after,
                         int64_t now_ms)
    : silence_after_(silence_after) {
  for (auto& s : streams) {
    const std::string key = s.gateway_key_id;
    streams_[key] = State{std::move(s), now_ms, false};
  }
}

std::optional<Notice> StreamWatch::arrived(const std::string& gateway_key_id, int64_t now_ms) {
  auto it = streams_.find(gateway_key_id);
  if (it == streams_.end()) return std::nullopt;
  State& st = it->second;
  const int64_t since = st.last_ms;
  st.last_ms = now_ms;
  if (!st.silent) return std::nullopt;
  st.silent = false;
  return Notice{
      Notice::Type::kResumed, st.stream.site_id, st.stream.gateway_key_id, now_ms, since, ""};
}

std::vector<Notice> StreamWatch::check(int64_t now_ms) {
  std::vector<Notice> out;
  for (auto& [key, st] : streams_) {
    if (st.silent || now_ms - st.last_ms < silence_after_.count()) continue;
    st.silent = true;
    out.push_back(Notice{Notice::Type::kSilent, st.stream.site_id, st.stream.gateway_key_id, now_ms,
                         st.last_ms, reasonFor(st.stream.site_id)});
  }
  return out;
}

void StreamWatch::setStatus(const std::string& site_id, const std::string& status) {
  status_[site_id] = status;
}

size_t StreamWatch::silentCount() const {
  size_t n = 0;
  for (const auto& [key, st] : streams_) n += st.silent ? 1 : 0;
  return n;
}

std::string StreamWatch::reasonFor(const std::string& site_id) const {
  // Our own connection first: while it is down we cannot know what the gateway does.
  if (!connected_) return "no broker connection";
  auto it = status_.find(site_id);
  if (it == status_.end()) return "unknown";
  if (it->second == "offline") return "gateway offline";
  if (it->second == "online") return "gateway online";
  return "unknown";
}

}  // namespace gw::actor
