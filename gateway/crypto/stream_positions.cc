#include "gateway/crypto/stream_positions.h"

#include <sstream>

#include "gateway/core/clock.h"
#include "gateway/core/files.h"

namespace gw::crypto {
namespace {

constexpr const char* kMagic = "lantaarn-streams-v1";
constexpr uint64_t kEpochsAhead = 16;

}  // namespace

StreamPositions::StreamPositions(std::filesystem::path file, uint64_t reserve_ahead)
    : file_(std::move(file)), reserve_ahead_(reserve_ahead < 16 ? 16 : reserve_ahead) {}

Result<std::unique_ptr<StreamPositions>> StreamPositions::open(std::filesystem::path file,
                                                               uint64_t reserve_ahead) {
  std::unique_ptr<StreamPositions> positions(new StreamPositions(std::move(file), reserve_ahead));
  if (!positions->durable()) return positions;
  auto text = readFile(positions->file_);
  if (text.ok()) {
    std::istringstream in(*text);
    std::string magic, state;
    in >> magic >> state;
    if (magic != kMagic || (state != "clean" && state != "running")) {
      return dataLoss(positions->file_.string() + ":1: not a stream positions file (expected '" +
                      kMagic + " clean|running'); refusing to guess sequence numbers");
    }
    positions->clean_ = state == "clean";
    std::string actor;
    Position p;
    int line = 1;
    while (in >> actor) {
      ++line;
      if (!(in >> p.sequence >> p.epoch) || p.sequence == 0 || p.epoch == 0) {
        return dataLoss(positions->file_.string() + ":" + std::to_string(line) +
                        ": bad position for actor '" + actor + "'");
      }
      positions->start_[actor] = p;
    }
  } else if (text.status().code() != StatusCode::kNotFound) {
    return text.status();
  }
  for (const auto& [actor, p] : positions->start_) {
    positions->reserved_[actor] = {p.sequence + positions->reserve_ahead_, p.epoch + kEpochsAhead};
  }
  GW_RETURN_IF_ERROR(positions->write(false));
  return positions;
}

StreamStart StreamPositions::startOf(const std::string& actor, bool added) const {
  StreamStart start;
  if (!durable()) {
    const auto now = static_cast<uint64_t>(nowUnixMs());
    start.next_sequence = now * 1000;
    start.next_epoch = now;
    start.reason = gateway::v1::EPOCH_START_NO_STATE;
    return start;
  }
  auto it = start_.find(actor);
  if (it == start_.end()) {
    // No position: this stream's first envelope ever (an empty state directory, or an actor that
    // joined the policy while gatewayd was stopped), not a restart after a clean stop.
    start.reason =
        added ? gateway::v1::EPOCH_START_ACTOR_ADDED : gateway::v1::EPOCH_START_FIRST_START;
    return start;
  }
  start.next_sequence = it->second.sequence;
  start.next_epoch = it->second.epoch;
  start.previous_sequence = it->second.sequence - 1;
  start.reason =
      clean_ ? gateway::v1::EPOCH_START_GATEWAY_START : gateway::v1::EPOCH_START_UNCLEAN_START;
  return start;
}

Status StreamPositions::reserve(const std::string& actor, uint64_t sequence, uint64_t epoch) {
  if (!durable()) return okStatus();
  auto& limit = reserved_[actor];
  if (sequence < limit.sequence && epoch < limit.epoch) return okStatus();
  const Position before = limit;
  limit = {sequence + reserve_ahead_, epoch + kEpochsAhead};
  Status s = write(false);
  if (!s.ok()) limit = before;  // nothing on disk covers the new numbers: they stay unusable
  return s;
}

Status StreamPositions::closeClean(
    const std::map<std::string, std::pair<uint64_t, uint64_t>>& next) {
  if (!durable()) return okStatus();
  for (const auto& [actor, p] : next) reserved_[actor] = {p.first, p.second};
  return write(true);
}

Status StreamPositions::write(bool clean) const {
  std::ostringstream out;
  out << kMagic << ' ' << (clean ? "clean" : "running") << '\n';
  for (const auto& [actor, p] : reserved_)
    out << actor << ' ' << p.sequence << ' ' << p.epoch << '\n';
  using std::filesystem::perms;
  return writeFileAtomic(file_, out.str(), perms::owner_read | perms::owner_write);
}

}  // namespace gw::crypto
