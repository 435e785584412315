#pragma once
// The receiver's state on disk, so a restarted actor neither re-accepts a replay nor misreports
// gaps: a snapshot (receiver.state, written atomically) and a journal of every envelope accepted
// since (receiver.journal). The journal is appended with write() and no fsync on the delivery
// path: a crash of this process loses nothing (the kernel has the bytes); a power loss may lose
// the envelopes since the last snapshot, which are then accepted again if the broker or an
// attacker sends them again (the sinks' idempotency keys catch those). Restoring loads the
// snapshot and feeds the journal through the receiver again. Both files are mode 0600: they
// hold epoch keys. Not thread-safe: used on the delivery thread.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>

#include "gateway/actor/envelope_receiver.h"
#include "gateway/core/status.h"

namespace gw::actor_service {

class ReceiverStore {
 public:
  static Result<std::unique_ptr<ReceiverStore>> open(const std::filesystem::path& dir);
  ~ReceiverStore();
  ReceiverStore(const ReceiverStore&) = delete;
  ReceiverStore& operator=(const ReceiverStore&) = delete;

  // Loads the snapshot into `receiver` and replays the journal through it (reports dropped:
  // they were reported before the restart). Returns how many journal records were replayed; a
  // torn or corrupt journal tail is cut off and counted in truncatedBytes().
  Result<size_t> restore(actor::EnvelopeReceiver& receiver);
  // Records an envelope the receiver accepted (not duplicates, not rejections).
  Status journal(std::string_view payload, int64_t now_ms, bool retained);
  // Writes the snapshot (durably) and empties the journal.
  Status snapshot(const actor::EnvelopeReceiver& receiver);

  uint64_t journalRecords() const { return journal_records_; }
  uint64_t truncatedBytes() const { return truncated_bytes_; }

 private:
  explicit ReceiverStore(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Status openJournal();

  std::filesystem::path dir_;
  int journal_fd_ = -1;
  uint64_t journal_records_ = 0;
  uint64_t truncated_bytes_ = 0;
};

}  // namespace gw::actor_service
