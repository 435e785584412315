#include "gateway/outbox/outbox_owner.h"

#include <chrono>
#include <sstream>

#include "gateway/core/files.h"

namespace gw::outbox {
namespace fs = std::filesystem;

namespace {

std::string ownerText(const OutboxOwner& owner) {
  return "site: " + owner.site + "\ngateway_key_id: " + owner.gateway_key_id + "\n";
}

OutboxOwner parseOwner(const std::string& text) {
  OutboxOwner owner;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto colon = line.find(": ");
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon);
    const std::string value = line.substr(colon + 2);
    if (key == "site") owner.site = value;
    if (key == "gateway_key_id") owner.gateway_key_id = value;
  }
  return owner;
}

}  // namespace

Status claimOutbox(const fs::path& dir, const OutboxOwner& owner) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return unavailable("cannot create outbox dir " + dir.string() + ": " + ec.message());
  const fs::path file = dir / kOwnerFileName;
  if (!fs::exists(file, ec)) {
    return writeFileAtomic(file, ownerText(owner), fs::perms::owner_read | fs::perms::owner_write);
  }
  auto text = readFile(file);
  if (!text.ok()) return text.status();
  const OutboxOwner found = parseOwner(*text);
  if (found.site == owner.site && found.gateway_key_id == owner.gateway_key_id) return okStatus();
  return failedPrecondition(
      "the outbox in " + dir.string() + " belongs to site '" + found.site + "' gateway key " +
      found.gateway_key_id + ", not to this gatewayd (site '" + owner.site + "' gateway key " +
      owner.gateway_key_id +
      "): its messages are never published under another identity. Start with the --state-dir "
      "of this site, or with --quarantine-foreign-outbox to move it aside and start empty");
}

Result<fs::path> quarantineOutbox(const fs::path& dir) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  fs::path aside = dir;
  aside += ".quarantine-" + std::to_string(seconds);
  std::error_code ec;
  fs::rename(dir, aside, ec);
  if (ec) return unavailable("cannot move " + dir.string() + " aside: " + ec.message());
  return aside;
}

}  // namespace gw::outbox
