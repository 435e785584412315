#pragma once
// The outbox gatewayd runs with: with a state directory the durable segment log in
// <state_dir>/outbox (recovered at open, DESIGN.md), owned by one site and gateway identity
// (outbox_owner.h), its dead letters in <state_dir>/outbox/dead-letter; without one
// (`--state-dir ""`: tests, demos, dry runs) the bounded in-memory outbox, which a crash loses,
// said so in a warning.
#include <memory>
#include <string>

#include "gateway/core/counters.h"
#include "gateway/outbox/outbox_owner.h"
#include "gateway/outbox/segment_outbox.h"

namespace gw::outbox {

struct OpenOutboxOptions {
  std::string state_dir;  // empty: in memory
  OutboxOwner owner;
  // Another owner's outbox is moved aside (quarantineOutbox) instead of refusing to start.
  bool quarantine_foreign = false;
};

Result<std::unique_ptr<pipeline::Outbox>> openOutbox(SegmentOutboxOptions options,
                                                     const OpenOutboxOptions& how,
                                                     Counters& counters);

}  // namespace gw::outbox
