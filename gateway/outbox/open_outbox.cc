#include "gateway/outbox/open_outbox.h"

#include <spdlog/spdlog.h>

#include "gateway/outbox/memory_outbox.h"

namespace gw::outbox {

Result<std::unique_ptr<pipeline::Outbox>> openOutbox(SegmentOutboxOptions options,
                                                     const OpenOutboxOptions& how,
                                                     Counters& counters) {
  if (how.state_dir.empty()) {
    spdlog::warn("Gateway has no --state-dir: the outbox is in memory and a crash loses it");
    return std::unique_ptr<pipeline::Outbox>(
        std::make_unique<MemoryOutbox>(options.max_messages, counters));
  }
  options.dir = std::filesystem::path(how.state_dir) / "outbox";
  options.dead_letter_dir = options.dir / "dead-letter";
  if (Status s = claimOutbox(options.dir, how.owner); !s.ok()) {
    if (s.code() != StatusCode::kFailedPrecondition || !how.quarantine_foreign) return s;
    auto aside = quarantineOutbox(options.dir);
    if (!aside.ok()) return aside.status();
    spdlog::warn("Outbox of another owner moved aside to {} (kept, never published): {}",
                 aside->string(), s.message());
    counters.add("outbox_quarantined_total");
    GW_RETURN_IF_ERROR(claimOutbox(options.dir, how.owner));
  }
  auto opened = SegmentOutbox::open(std::move(options), counters);
  if (!opened.ok()) return opened.status();
  return std::unique_ptr<pipeline::Outbox>(std::move(opened).value());
}

}  // namespace gw::outbox
