#include "gateway/crypto/sealer.h"

#include <sodium.h>

#include "gateway/v1/sealed.pb.h"

namespace gw::crypto {

Result<std::string> seal(const gateway::v1::ActorMessage& message, const PublicKey& recipient) {
  std::string plain;
  if (!message.SerializeToString(&plain)) return internalError("cannot serialize ActorMessage");
  gateway::v1::SealedMessage sealed;
  sealed.set_version(1);
  sealed.set_recipient_key_id(recipient.key_id);
  std::string box(plain.size() + crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal(reinterpret_cast<unsigned char*>(box.data()),
                      reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
                      recipient.bytes.data()) != 0) {
    return internalError("crypto_box_seal failed");
  }
  sealed.set_sealed_box(std::move(box));
  return sealed.SerializeAsString();
}

Result<gateway::v1::ActorMessage> open(const std::string& bytes, const SecretKey& key) {
  gateway::v1::SealedMessage sealed;
  if (!sealed.ParseFromString(bytes)) return invalidArgument("not a SealedMessage");
  if (sealed.version() != 1) {
    return invalidArgument("unsupported SealedMessage version " + std::to_string(sealed.version()));
  }
  if (sealed.recipient_key_id() != key.key_id) {
    return permissionDenied("sealed for key " + sealed.recipient_key_id() + ", not for " +
                            key.key_id);
  }
  const std::string& box = sealed.sealed_box();
  if (box.size() < crypto_box_SEALBYTES) return invalidArgument("sealed box too short");
  std::string plain(box.size() - crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal_open(reinterpret_cast<unsigned char*>(plain.data()),
                           reinterpret_cast<const unsigned char*>(box.data()), box.size(),
                           key.public_key.data(), key.secret.data()) != 0) {
    return permissionDenied("authentication failed: tampered, or not sealed for this key");
  }
  gateway::v1::ActorMessage message;
  if (!message.ParseFromString(plain))
    return invalidArgument("decrypted payload is not an ActorMessage");
  return message;
}

}  // namespace gw::crypto
