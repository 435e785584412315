#include "gateway/outbox/dead_letter_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "gateway/core/files.h"

namespace gw::outbox {
namespace fs = std::filesystem;

namespace {

constexpr const char* kLogName = "dead-letters.log";
constexpr const char* kResendDir = "resend";
constexpr const char* kLockName = ".lock";

std::string osError(const std::string& what, const fs::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

// flock(2) on the directory's lock file for as long as it lives: gatewayd appending and
// gatewayctl rewriting the log never interleave.
class DirLock {
 public:
  static Result<DirLock> take(const fs::path& dir) {
    const fs::path path = dir / kLockName;
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return unavailable(osError("cannot open", path));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      const Status s = unavailable(osError("cannot lock", path));
      ::close(fd);
      return s;
    }
    return DirLock(fd);
  }
  DirLock(DirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DirLock& operator=(DirLock&&) = delete;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // closing drops the lock
  }

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

// Every whole record of a log; a torn tail (a crash mid-append) ends it.
Result<std::vector<DeadLetter>> readLog(const fs::path& path) {
  std::vector<DeadLetter> out;
  std::error_code ec;
  if (!fs::exists(path, ec)) return out;
  auto bytes = readFile(path);
  if (!bytes.ok()) return bytes.status();
  std::string_view rest = *bytes;
  while (!rest.empty()) {
    DeadLetter letter;
    const size_t used = decodeDeadLetterRecord(rest, letter);
    if (used == 0) break;
    out.push_back(std::move(letter));
    rest.remove_prefix(used);
  }
  return out;
}

std::string encodeAll(const std::vector<DeadLetter>& letters) {
  std::string out;
  for (const auto& letter : letters) out += encodeDeadLetterRecord(letter);
  return out;
}

Status syncDir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return unavailable(osError("cannot open", dir));
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? okStatus() : unavailable(osError("cannot sync", dir));
}

Status appendDurably(const fs::path& path, const std::string& bytes) {
  const bool fresh = !fs::exists(path);
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return unavailable(osError("cannot open", path));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status s = errno == ENOSPC ? resourceExhausted(osError("disk full writing", path))
                                 : unavailable(osError("cannot write", path));
      ::close(fd);
      return s;
    }
    done += static_cast<size_t>(n);
  }
  const int rc = ::fdatasync(fd);
  ::close(fd);
  if (rc != 0) return unavailable(osError("cannot sync", path));
  return fresh ? syncDir(path.parent_path()) : okStatus();
}

Status ensureDirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir / kResendDir, ec);
  if (ec) return unavailable("cannot create " + (dir / kResendDir).string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, ec);
  return okStatus();
}

}  // namespace

Result<std::unique_ptr<DeadLetterStore>> DeadLetterStore::open(const fs::path& dir) {
  std::unique_ptr<DeadLetterStore> store(new DeadLetterStore(dir));
  if (dir.empty()) return store;
  GW_RETURN_IF_ERROR(ensureDirs(dir));
  store->held();
  return store;
}

Status DeadLetterStore::add(const std::vector<DeadLetter>& letters) {
  if (letters.empty()) return okStatus();
  if (dir_.empty()) {
    for (const auto& letter : letters) memory_.push_back(letter);
    while (memory_.size() > kMemoryLimit) memory_.pop_front();
    return okStatus();
  }
  auto lock = DirLock::take(dir_);
  if (!lock.ok()) return lock.status();
  const std::string record = encodeAll(letters);
  GW_RETURN_IF_ERROR(appendDurably(dir_ / kLogName, record));
  // Counted as what this process added to what it had seen; a change by gatewayctl shows up as
  // a size other than the one counted, and held() reads the log again.
  std::error_code ec;
  const uintmax_t size = fs::file_size(dir_ / kLogName, ec);
  if (!ec && counted_size_ + record.size() == size) {
    held_ += letters.size();
    counted_size_ = size;
  }
  return okStatus();
}

size_t DeadLetterStore::held() const {
  if (dir_.empty()) return memory_.size();
  std::error_code ec;
  const fs::path log = dir_ / kLogName;
  const uintmax_t size = fs::exists(log, ec) ? fs::file_size(log, ec) : 0;
  if (ec || size == counted_size_) return held_;
  auto lock = DirLock::take(dir_);
  if (!lock.ok()) return held_;
  auto letters = readLog(log);
  if (!letters.ok()) return held_;
  held_ = letters->size();
  counted_size_ = fs::exists(log, ec) ? fs::file_size(log, ec) : 0;
  return held_;
}

Result<size_t> DeadLetterStore::takeResends(const std::function<Status(const DeadLetter&)>& requeue,
                                            const std::function<Status()>& commit) {
  if (dir_.empty()) return size_t{0};
  const fs::path spool = dir_ / kResendDir;
  std::error_code ec;
  if (!fs::exists(spool, ec) || fs::is_empty(spool, ec)) return size_t{0};
  auto lock = DirLock::take(dir_);
  if (!lock.ok()) return lock.status();
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(spool, ec)) {
    if (entry.path().extension() == ".log") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());  // named by time: the oldest request first
  size_t requeued = 0;
  for (const auto& file : files) {
    auto letters = readLog(file);
    if (!letters.ok()) return letters.status();
    for (const auto& letter : *letters) {
      GW_RETURN_IF_ERROR(requeue(letter));
      ++requeued;
    }
    GW_RETURN_IF_ERROR(commit());
    fs::remove(file, ec);
    if (ec) return unavailable("cannot remove " + file.string() + ": " + ec.message());
  }
  return requeued;
}

Result<std::vector<DeadLetter>> DeadLetterStore::list(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return std::vector<DeadLetter>{};
  auto lock = DirLock::take(dir);
  if (!lock.ok()) return lock.status();
  return readLog(dir / kLogName);
}

Result<size_t> DeadLetterStore::queueResend(const fs::path& dir,
                                            const std::function<bool(const DeadLetter&)>& match) {
  std::error_code ec;
  if (!fs::exists(dir / kLogName, ec)) return size_t{0};
  GW_RETURN_IF_ERROR(ensureDirs(dir));
  auto lock = DirLock::take(dir);
  if (!lock.ok()) return lock.status();
  auto letters = readLog(dir / kLogName);
  if (!letters.ok()) return letters.status();
  std::vector<DeadLetter> chosen;
  std::vector<DeadLetter> kept;
  for (auto& letter : *letters) (match(letter) ? chosen : kept).push_back(std::move(letter));
  if (chosen.empty()) return size_t{0};
  // The resend file first, then the shortened log: a crash in between sends a message again
  // and keeps it dead-lettered too (a duplicate the actor drops), never loses one.
  const auto stamp = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const fs::path request = dir / kResendDir / ("resend-" + std::to_string(stamp) + ".log");
  GW_RETURN_IF_ERROR(
      writeFileAtomic(request, encodeAll(chosen), fs::perms::owner_read | fs::perms::owner_write));
  GW_RETURN_IF_ERROR(writeFileAtomic(dir / kLogName, encodeAll(kept),
                                     fs::perms::owner_read | fs::perms::owner_write));
  return chosen.size();
}

}  // namespace gw::outbox
