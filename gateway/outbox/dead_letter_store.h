#pragma once
// Where the outbox puts a message the broker refuses for good (not authorised, topic invalid,
// too large, ...) or whose actor a policy reload removed: out of the way of every other stream,
// but kept, with the reason, for the operator to look at and send again once the cause is fixed
// (`gatewayctl outbox dead-letters`, `gatewayctl outbox resend`; decision 1300).
//
// On disk, in <state-dir>/dead-letter/:
//   dead-letters.log   the dead letters, one checksummed record each (record_codec.h, type 4)
//   resend/*.log       the ones the operator asked to send again; gatewayd appends them to its
//                      outbox (as new messages, same topic and payload) and deletes the file
//   .lock              flock(2) taken by gatewayd and gatewayctl around every change
// Without a directory (the memory outbox) the dead letters are kept in memory only.
//
// Not thread-safe: gatewayd uses it on the pipeline strand; gatewayctl's static calls coordinate
// with a running gatewayd through the lock file.
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/outbox/record_codec.h"

namespace gw::outbox {

class DeadLetterStore {
 public:
  static constexpr size_t kMemoryLimit = 10'000;  // without a directory, the newest kept

  // Creates the directory (0700) if needed. An empty path keeps the dead letters in memory.
  static Result<std::unique_ptr<DeadLetterStore>> open(const std::filesystem::path& dir);

  // Stores one, durably (fdatasync) before it returns: the caller releases it from the outbox
  // only after this succeeded.
  Status add(const DeadLetter& letter) { return add(std::vector<DeadLetter>{letter}); }
  // Several in one write and one fdatasync (a refused stream's waiting messages).
  Status add(const std::vector<DeadLetter>& letters);
  // How many are held now (re-read when gatewayctl changed the log).
  size_t held() const;
  // What the operator queued for resending: `requeue` gets each (the outbox appends it), then
  // `commit` (the outbox makes them durable), and only then is the resend file deleted. A failed
  // requeue or commit leaves the file for the next call. Returns how many were requeued.
  Result<size_t> takeResends(const std::function<Status(const DeadLetter&)>& requeue,
                             const std::function<Status()>& commit);

  // gatewayctl's side, safe while gatewayd runs.
  static Result<std::vector<DeadLetter>> list(const std::filesystem::path& dir);
  // Moves the dead letters `match` selects into the resend spool; returns how many.
  static Result<size_t> queueResend(const std::filesystem::path& dir,
                                    const std::function<bool(const DeadLetter&)>& match);

 private:
  explicit DeadLetterStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

  std::filesystem::path dir_;
  std::deque<DeadLetter> memory_;  // without a directory
  mutable size_t held_ = 0;
  mutable uintmax_t counted_size_ = 0;  // the log's size when held_ was counted
};

}  // namespace gw::outbox
