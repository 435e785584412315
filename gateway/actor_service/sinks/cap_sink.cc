#include "gateway/actor_service/sinks/cap_sink.h"

#include <spdlog/spdlog.h>

#include <sstream>

#include "gateway/actor_service/service_config.h"
#include "gateway/core/files.h"

namespace gw::actor_service {

CapSink::CapSink(CapSinkOptions options) : options_(std::move(options)) {
  if (options_.url) client_ = std::make_unique<HttpClient>(*options_.url);
  loadIncidents();
}

void CapSink::loadIncidents() {
  std::error_code ec;
  if (options_.state_file.empty() || !std::filesystem::exists(options_.state_file, ec)) return;
  auto text = readFile(options_.state_file);
  if (!text.ok()) {
    spdlog::warn("CAP sink: {}; open incidents start empty", text.status().message());
    return;
  }
  // One incident a line: key \t sender \t identifier \t sent (none of them holds a tab).
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string key;
    CapReference ref;
    if (std::getline(fields, key, '\t') && std::getline(fields, ref.sender, '\t') &&
        std::getline(fields, ref.identifier, '\t') && std::getline(fields, ref.sent)) {
      open_[key] = ref;
    }
  }
}

void CapSink::saveIncidents() const {
  if (options_.state_file.empty()) return;
  std::string text;
  for (const auto& [key, ref] : open_) {
    text += key + "\t" + ref.sender + "\t" + ref.identifier + "\t" + ref.sent + "\n";
  }
  if (Status s =
          writeFileAtomic(options_.state_file, text,
                          std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
      !s.ok()) {
    spdlog::warn("CAP sink: cannot save open incidents: {}", s.message());
  }
}

DeliveryOutcome CapSink::send(const CapAlert& alert) {
  if (client_) {
    auto response = client_->post({{"Idempotency-Key", alert.identifier}}, "application/cap+xml",
                                  alert.xml, options_.timeout);
    if (!response.ok()) return {DeliveryOutcome::Result::kRetry, response.status().message()};
    return outcomeOfHttpStatus(response->status, response->body);
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.directory, ec);
  if (Status s =
          writeFileAtomic(options_.directory / (alert.identifier + ".xml"), alert.xml,
                          std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                              std::filesystem::perms::group_read);
      !s.ok()) {
    return {DeliveryOutcome::Result::kRetry, s.message()};
  }
  return {};
}

DeliveryOutcome CapSink::deliver(const gateway::v1::SpooledMessage& m) {
  if (messageKind(m.message()) != "event") return {};
  const std::string key = incidentKey(m);
  const std::string sender =
      options_.sender.empty() ? "lantaarn@" + m.message().site_id() : options_.sender;
  const auto open = open_.find(key);
  const bool all_clear = isAllClear(m.message().event().kind());
  if (all_clear && open == open_.end()) {
    return {};  // nothing running to cancel (its alert predates this service, or went unsent)
  }
  const CapMessageType type = all_clear             ? CapMessageType::kCancel
                              : open != open_.end() ? CapMessageType::kUpdate
                                                    : CapMessageType::kAlert;
  const CapAlert alert =
      renderCapAlert(m, sender, type, open != open_.end() ? &open->second : nullptr);
  DeliveryOutcome outcome = send(alert);
  if (outcome.result != DeliveryOutcome::Result::kDelivered) return outcome;
  if (type == CapMessageType::kCancel) {
    open_.erase(key);
  } else if (type == CapMessageType::kAlert) {
    open_[key] = CapReference{alert.sender, alert.identifier, alert.sent};
  }
  if (type != CapMessageType::kUpdate) saveIncidents();
  return outcome;
}

}  // namespace gw::actor_service
