#include "gateway/fleet/bundle_intake.h"

#include "gateway/config/policy_loader.h"
#include "gateway/fleet/bundle_reader.h"

namespace gw::fleet {
namespace {

constexpr size_t kErrorsInReason = 3;

}  // namespace

std::vector<std::filesystem::path> policyPaths(const std::filesystem::path& local_policy,
                                               const BundleStore& store, uint64_t version) {
  if (version == 0) return {local_policy};
  return {local_policy, store.policyFolder(version)};
}

std::string describeErrors(const config::ConfigErrors& errors) {
  std::string out;
  for (size_t i = 0; i < errors.size() && i < kErrorsInReason; ++i) {
    if (!out.empty()) out += "; ";
    out += errors[i].toString();
  }
  if (errors.size() > kErrorsInReason) {
    out += "; and " + std::to_string(errors.size() - kErrorsInReason) + " more";
  }
  return out;
}

std::variant<AcceptedBundle, Refusal> takeBundle(const std::string& bytes, const IntakeRules& rules,
                                                 BundleStore& store) {
  auto manifest = readBundle(bytes, rules.operators);
  if (!manifest.ok()) return Refusal{manifest.status().message(), 0};
  const uint64_t version = manifest->version();
  if (Status target = checkBundleTarget(*manifest, rules.site, rules.group); !target.ok()) {
    return Refusal{target.message(), version};
  }
  if (version <= rules.floor) {
    return Refusal{"version " + std::to_string(version) + " is not above " +
                       std::to_string(rules.floor) + ", the highest this site has applied",
                   version};
  }
  auto folder = store.unpack(*manifest);
  if (!folder.ok()) return Refusal{folder.status().message(), version};
  auto loaded = config::loadPolicy(policyPaths(rules.local_policy, store, version));
  if (!loaded.ok()) {
    return Refusal{"the merged policy does not validate: " + describeErrors(loaded.errors),
                   version};
  }
  gateway::v1::PolicyBundle envelope;
  envelope.ParseFromString(bytes);  // readBundle() parsed it already
  return AcceptedBundle{std::move(manifest).value(), envelope.signer_key_id(),
                        std::move(loaded.policy)};
}

}  // namespace gw::fleet
