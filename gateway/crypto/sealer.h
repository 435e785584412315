#pragma once
// Per-actor sealing of the foundation: an anonymous libsodium sealed box to the actor's X25519
// key, wrapped in SealedMessage. Only the holder of the actor's secret key can open it.
// (Issue 4 replaces this with amortised epoch keys, signatures and sequence numbers.)
#include <string>

#include "gateway/core/status.h"
#include "gateway/crypto/key_file.h"
#include "gateway/v1/data.pb.h"

namespace gw::crypto {

// Returns the serialized SealedMessage carrying `message` for `recipient`.
Result<std::string> seal(const gateway::v1::ActorMessage& message, const PublicKey& recipient);

// Opens a serialized SealedMessage with `key`. InvalidArgument for malformed input,
// PermissionDenied when it is addressed to another key or fails authentication.
Result<gateway::v1::ActorMessage> open(const std::string& sealed, const SecretKey& key);

}  // namespace gw::crypto
