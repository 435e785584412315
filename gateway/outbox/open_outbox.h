#pragma once
// The outbox gatewayd runs with: with a state directory the durable segment log in
// <state_dir>/outbox (recovered at open, DESIGN.md); without one (`--state-dir ""`: tests,
// demos, dry runs) the bounded in-memory outbox, which a crash loses, said so in a warning.
#include <memory>
#include <string>

#include "gateway/core/counters.h"
#include "gateway/outbox/segment_outbox.h"

namespace gw::outbox {

Result<std::unique_ptr<pipeline::Outbox>> openOutbox(SegmentOutboxOptions options,
                                                     const std::string& state_dir,
                                                     Counters& counters);

}  // namespace gw::outbox
