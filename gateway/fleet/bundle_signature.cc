#include "gateway/fleet/bundle_signature.h"

#include <sodium.h>

namespace gw::fleet {
namespace {

constexpr char kDomain[] = "lantaarn-policy-bundle-v1";  // and its terminating 0x00

std::string signedBytes(const std::string& manifest) {
  std::string message(kDomain, sizeof kDomain);  // includes the 0x00
  message += manifest;
  return message;
}

}  // namespace

gateway::v1::PolicyBundle signBundle(const gateway::v1::BundleManifest& manifest,
                                     const crypto::IdentityKey& key) {
  gateway::v1::PolicyBundle bundle;
  bundle.set_manifest(manifest.SerializeAsString());
  const std::string message = signedBytes(bundle.manifest());
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       key.secret.data());
  bundle.set_signature(signature);
  bundle.set_signer_key_id(key.key_id);
  return bundle;
}

Result<gateway::v1::BundleManifest> checkBundleSignature(
    const gateway::v1::PolicyBundle& bundle,
    const std::vector<crypto::IdentityPublicKey>& operators) {
  const crypto::IdentityPublicKey* signer = nullptr;
  for (const auto& key : operators) {
    if (key.key_id == bundle.signer_key_id()) signer = &key;
  }
  if (signer == nullptr) {
    return permissionDenied("signed by key " + bundle.signer_key_id() +
                            ", which is not an operator key of this gateway");
  }
  if (bundle.signature().size() != crypto_sign_BYTES) {
    return permissionDenied("the signature is " + std::to_string(bundle.signature().size()) +
                            " bytes, not " + std::to_string(crypto_sign_BYTES));
  }
  const std::string message = signedBytes(bundle.manifest());
  if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(bundle.signature().data()),
                                  reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size(), signer->bytes.data()) != 0) {
    return permissionDenied("the signature does not hold for operator key " + signer->key_id +
                            " (" + signer->owner + ")");
  }
  gateway::v1::BundleManifest manifest;
  if (!manifest.ParseFromString(bundle.manifest())) {
    return invalidArgument("signed, but the manifest is not a manifest");
  }
  return manifest;
}

Result<std::vector<crypto::IdentityPublicKey>> readOperatorKeys(
    const std::vector<std::string>& files) {
  std::vector<crypto::IdentityPublicKey> keys;
  for (const auto& file : files) {
    auto key = crypto::readIdentityPublicKeyFile(file, crypto::KeyRole::kOperator);
    if (!key.ok()) return key.status();
    keys.push_back(std::move(key).value());
  }
  return keys;
}

}  // namespace gw::fleet
