#include "gateway/actor_service/receiver_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "gateway/core/files.h"
#include "gateway/outbox/record_codec.h"

namespace gw::actor_service {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSnapshotFile = "receiver.state";
constexpr const char* kJournalFile = "receiver.journal";
// A record: [u32 length of the rest][u32 CRC32C of the rest][i64 now_ms][u8 retained][payload],
// little-endian.
constexpr size_t kRecordHeader = 8;
constexpr size_t kRecordMeta = 9;
constexpr uint32_t kMaxPayload = 16u << 20;

void putLe(std::string* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t getLe(const char* p, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return value;
}

Status osError(const std::string& what, const fs::path& path) {
  return unavailable(what + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<ReceiverStore>> ReceiverStore::open(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return unavailable("cannot create state directory " + dir.string() + ": " + ec.message());
  std::unique_ptr<ReceiverStore> store(new ReceiverStore(dir));
  if (Status s = store->openJournal(); !s.ok()) return s;
  return store;
}

ReceiverStore::~ReceiverStore() {
  if (journal_fd_ >= 0) ::close(journal_fd_);
}

Status ReceiverStore::openJournal() {
  const fs::path path = dir_ / kJournalFile;
  journal_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (journal_fd_ < 0) return osError("cannot open", path);
  return okStatus();
}

Result<size_t> ReceiverStore::restore(actor::EnvelopeReceiver& receiver) {
  const fs::path snapshot_path = dir_ / kSnapshotFile;
  std::error_code ec;
  if (fs::exists(snapshot_path, ec)) {
    auto bytes = readFile(snapshot_path);
    if (!bytes.ok()) return bytes.status();
    gateway::v1::ReceiverState state;
    if (!state.ParseFromString(*bytes)) {
      return invalidArgument(snapshot_path.string() + " is not a receiver state");
    }
    if (Status s = receiver.restoreState(state); !s.ok()) {
      return invalidArgument(snapshot_path.string() + ": " + s.message());
    }
  }
  const fs::path journal_path = dir_ / kJournalFile;
  auto journal = readFile(journal_path);
  if (!journal.ok()) return journal.status();
  const std::string& data = *journal;
  size_t offset = 0;
  size_t replayed = 0;
  while (data.size() - offset >= kRecordHeader) {
    const auto length = static_cast<uint32_t>(getLe(data.data() + offset, 4));
    const auto crc = static_cast<uint32_t>(getLe(data.data() + offset + 4, 4));
    if (length < kRecordMeta || length > kMaxPayload + kRecordMeta ||
        data.size() - offset - kRecordHeader < length) {
      break;
    }
    const std::string_view rest(data.data() + offset + kRecordHeader, length);
    if (outbox::crc32c(rest) != crc) break;
    const auto now_ms = static_cast<int64_t>(getLe(rest.data(), 8));
    const bool retained = rest[8] != 0;
    (void)receiver.receive(rest.substr(kRecordMeta), now_ms, retained);
    ++replayed;
    offset += kRecordHeader + length;
  }
  if (offset < data.size()) {
    // A torn or corrupt tail (a crash mid-write on a file system without atomic appends, or
    // damage): cut it so new records follow the last good one.
    truncated_bytes_ += data.size() - offset;
    if (::ftruncate(journal_fd_, static_cast<off_t>(offset)) != 0) {
      return osError("cannot truncate", journal_path);
    }
  }
  journal_records_ = replayed;
  return replayed;
}

Status ReceiverStore::journal(std::string_view payload, int64_t now_ms, bool retained) {
  if (payload.size() > kMaxPayload) return invalidArgument("envelope too large to journal");
  std::string record;
  record.reserve(kRecordHeader + kRecordMeta + payload.size());
  std::string rest;
  rest.reserve(kRecordMeta + payload.size());
  putLe(&rest, static_cast<uint64_t>(now_ms), 8);
  rest.push_back(retained ? 1 : 0);
  rest.append(payload);
  putLe(&record, rest.size(), 4);
  putLe(&record, outbox::crc32c(rest), 4);
  record += rest;
  // One write(): with O_APPEND the record lands whole or (on a crash inside the call) not at all
  // on the local file systems the service runs on; restore() cuts a torn tail anyway.
  const ssize_t written = ::write(journal_fd_, record.data(), record.size());
  if (written != static_cast<ssize_t>(record.size())) {
    return osError("cannot append to", dir_ / kJournalFile);
  }
  ++journal_records_;
  return okStatus();
}

Status ReceiverStore::snapshot(const actor::EnvelopeReceiver& receiver) {
  std::string bytes;
  receiver.saveState().SerializeToString(&bytes);
  if (Status s = writeFileAtomic(dir_ / kSnapshotFile, bytes,
                                 fs::perms::owner_read | fs::perms::owner_write);
      !s.ok()) {
    return s;
  }
  // Only once the snapshot is durable: a crash in between replays the journal over the new
  // snapshot, which the receiver's windows turn into duplicates.
  if (::ftruncate(journal_fd_, 0) != 0) return osError("cannot truncate", dir_ / kJournalFile);
  journal_records_ = 0;
  return okStatus();
}

}  // namespace gw::actor_service
