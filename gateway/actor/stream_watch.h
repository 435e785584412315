#pragma once
// Silence detection, one stream per pinned gateway: the gateway promises a checkpoint at least
// every idle_checkpoint (30 s) even when it has nothing to send, so a stream with no authentic
// envelope for longer than `silence_after` (2x that by default) has stopped, whatever the
// reason. Also keeps each site's retained gateway status ("online"/"offline") to say why.
//
// No threads and no clock: the caller passes the time and serialises the calls
// (ActorSubscriber holds a mutex around it).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gateway/actor/notice.h"

namespace gw::actor {

class StreamWatch {
 public:
  struct Stream {
    std::string site_id;
    std::string gateway_key_id;
  };
  // Every stream starts being watched at `now_ms`: one that never sends goes silent too.
  StreamWatch(std::vector<Stream> streams, std::chrono::milliseconds silence_after, int64_t now_ms);

  // An authentic, live (not retained) envelope of this gateway arrived: kResumed if the stream
  // was silent. Unknown key ids are ignored (the receiver rejects them anyway).
  std::optional<Notice> arrived(const std::string& gateway_key_id, int64_t now_ms);
  // The streams that went silent by `now_ms`, each reported once per silence.
  std::vector<Notice> check(int64_t now_ms);

  // The gateway's retained status on lantaarn/v1/<site>/_gateway/status.
  void setStatus(const std::string& site_id, const std::string& status);
  void setConnected(bool connected) { connected_ = connected; }

  size_t silentCount() const;

 private:
  struct State {
    Stream stream;
    int64_t last_ms = 0;
    bool silent = false;
  };
  std::string reasonFor(const std::string& site_id) const;

  std::chrono::milliseconds silence_after_;
  std::map<std::string, State> streams_;       // by gateway key id
  std::map<std::string, std::string> status_;  // by site
  bool connected_ = true;
};

}  // namespace gw::actor
