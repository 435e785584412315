#pragma once
// Durable stream positions: the sequence and epoch numbers each actor's stream may use next.
// A (gateway, actor, sequence) identifies a message for the actor's de-duplication, so a number
// must never be used twice, also across a crash. Numbers are therefore reserved ahead on disk
// before they are used (a hi/lo allocator): one small fsynced write per `reserve_ahead` numbers.
// A clean stop records the exact next numbers; after a crash the stream resumes above the
// reservation and its KEY envelope says so (EPOCH_START_UNCLEAN_START).
//
// File (<state-dir>/streams), text:
//   lantaarn-streams-v1 clean|running
//   <actor> <next sequence> <next epoch>      one line per actor ever seen
// In a "running" file the numbers are reservation limits: none at or above them was used.
//
// Without a file (no --state-dir) positions come from the clock (Unix ms x 1000 for sequences,
// Unix ms for epochs), which keeps them increasing across restarts as long as the clock does; the
// KEY says EPOCH_START_NO_STATE so the actor reports a restarted stream, not a gap of 10^15
// (decision 1200). An actor without a position in the file starts at 1 (EPOCH_START_FIRST_START).
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "gateway/core/status.h"
#include "gateway/crypto/envelope_format.h"
#include "gateway/crypto/stream_sealer.h"

namespace gw::crypto {

class StreamPositions {
 public:
  // Reads the file if there is one, then marks it running with fresh reservations.
  static Result<std::unique_ptr<StreamPositions>> open(
      std::filesystem::path file, uint64_t reserve_ahead = kSequenceReservation);

  // Where `actor`'s stream starts in this run; `added` marks an actor a reload added.
  StreamStart startOf(const std::string& actor, bool added) const;

  // Makes sure numbers below `sequence` and `epoch` are reserved for `actor`, extending the
  // reservation on disk when they are not. Unavailable when the file cannot be written: the
  // caller must not use the numbers then.
  Status reserve(const std::string& actor, uint64_t sequence, uint64_t epoch);

  // A clean stop: records exactly where each stream goes on.
  Status closeClean(const std::map<std::string, std::pair<uint64_t, uint64_t>>& next);

  bool durable() const { return !file_.empty(); }
  bool lastStopWasClean() const { return clean_; }

 private:
  struct Position {
    uint64_t sequence = 1;
    uint64_t epoch = 1;
  };
  StreamPositions(std::filesystem::path file, uint64_t reserve_ahead);
  Status write(bool clean) const;

  std::filesystem::path file_;
  uint64_t reserve_ahead_;
  bool clean_ = true;
  std::map<std::string, Position> start_;     // as found at open()
  std::map<std::string, Position> reserved_;  // limits on disk now
};

}  // namespace gw::crypto
