#pragma once
// Everything the child sends to gatewayd goes through here, one framed FromHost message at a time
// (the framing of HostChannel: a little-endian uint32 byte count, then the bytes). A plugin may
// log from its own threads, and a fault is sent from a signal handler, so writes are serialised
// by a lock that needs neither malloc nor a mutex: a message's bytes never interleave with
// another's, not even with a fault raised while a reply is half written.
#include <cstddef>

#include "gateway/v1/detector_host.pb.h"

namespace gw::detectors::host_output {

// The socket (kHostChannelFd). Called once, before any other function here.
void init(int fd);

// Serialises and sends one message; false when the parent is gone.
bool send(const gateway::v1::FromHost& message);

// Sends FromHost{fault{reason, detail}} and ends the process with `exit_code`, skipping atexit
// handlers and destructors (a plugin's state is not to be trusted any more). Async-signal-safe:
// the message is encoded into a stack buffer; `detail` is cut at 1 KiB.
[[noreturn]] void faultExit(const char* reason, const char* detail, int exit_code);

// Appends `text` to the NUL-terminated `buffer` of `capacity` bytes, cutting it to fit.
// Async-signal-safe, for building a fault's detail in a handler.
void appendText(char* buffer, size_t capacity, const char* text);

}  // namespace gw::detectors::host_output
