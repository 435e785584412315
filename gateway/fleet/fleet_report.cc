#include "gateway/fleet/fleet_report.h"

#include <sodium.h>

namespace gw::fleet {
namespace {

constexpr char kDomain[] = "lantaarn-fleet-report-v1";  // and its terminating 0x00

std::string signedBytes(const std::string& report) {
  std::string message(kDomain, sizeof kDomain);  // includes the 0x00
  message += report;
  return message;
}

const unsigned char* bytesOf(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

gateway::v1::SignedFleetReport signFleetReport(const gateway::v1::FleetReport& report,
                                               const crypto::IdentityKey& identity) {
  gateway::v1::SignedFleetReport signed_report;
  signed_report.set_report(report.SerializeAsString());
  const std::string message = signedBytes(signed_report.report());
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                       bytesOf(message), message.size(), identity.secret.data());
  signed_report.set_signature(signature);
  signed_report.set_signer_key_id(identity.key_id);
  signed_report.set_signer_public_key(
      std::string(identity.public_key.begin(), identity.public_key.end()));
  return signed_report;
}

Result<CheckedReport> checkFleetReport(const std::string& bytes,
                                       const std::vector<crypto::IdentityPublicKey>& pinned) {
  gateway::v1::SignedFleetReport signed_report;
  if (!signed_report.ParseFromString(bytes)) return invalidArgument("not a signed fleet report");
  if (signed_report.signature().size() != crypto_sign_BYTES ||
      signed_report.signer_public_key().size() != crypto_sign_PUBLICKEYBYTES) {
    return invalidArgument("the signature or the signer's key has the wrong size");
  }
  const std::string message = signedBytes(signed_report.report());
  if (crypto_sign_verify_detached(bytesOf(signed_report.signature()), bytesOf(message),
                                  message.size(),
                                  bytesOf(signed_report.signer_public_key())) != 0) {
    return permissionDenied("the signature does not hold");
  }
  CheckedReport checked;
  if (!checked.report.ParseFromString(signed_report.report())) {
    return invalidArgument("signed, but the report is not a report");
  }
  crypto::KeyBytes carried{};
  std::copy(signed_report.signer_public_key().begin(), signed_report.signer_public_key().end(),
            carried.begin());
  checked.signer_key_id = crypto::keyIdOf(carried);
  bool site_pinned = false;
  for (const auto& key : pinned) {
    if (key.owner != checked.report.site()) continue;
    site_pinned = true;
    if (key.bytes == carried) checked.pinned = true;
  }
  if (site_pinned && !checked.pinned) {
    return permissionDenied("site " + checked.report.site() + " reported with key " +
                            checked.signer_key_id + ", which is not its pinned key");
  }
  return checked;
}

}  // namespace gw::fleet
