#include "gateway/outbox/open_outbox.h"

#include <spdlog/spdlog.h>

#include "gateway/outbox/memory_outbox.h"

namespace gw::outbox {

Result<std::unique_ptr<pipeline::Outbox>> openOutbox(SegmentOutboxOptions options,
                                                     const std::string& state_dir,
                                                     Counters& counters) {
  if (state_dir.empty()) {
    spdlog::warn("Gateway has no --state-dir: the outbox is in memory and a crash loses it");
    return std::unique_ptr<pipeline::Outbox>(
        std::make_unique<MemoryOutbox>(options.max_messages, counters));
  }
  options.dir = std::filesystem::path(state_dir) / "outbox";
  auto opened = SegmentOutbox::open(std::move(options), counters);
  if (!opened.ok()) return opened.status();
  return std::unique_ptr<pipeline::Outbox>(std::move(opened).value());
}

}  // namespace gw::outbox
