// `gatewayctl policy bundle` and `policy verify`: the operator's end of signed policy bundles
// (gateway/fleet/, docs/decisions/1500).
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <fstream>

#include "gateway/core/files.h"
#include "gateway/crypto/key_file.h"
#include "gateway/ctl/commands.h"
#include "gateway/fleet/bundle_builder.h"
#include "gateway/fleet/bundle_reader.h"
#include "gateway/fleet/bundle_signature.h"

namespace gw::ctl {

int runPolicyBundle(const PolicyBundleArgs& args) {
  auto key = crypto::readIdentityKeyFile(args.key_file, crypto::KeyRole::kOperator);
  if (!key.ok()) {
    std::fprintf(stderr, "gatewayctl policy bundle: %s\n", key.status().message().c_str());
    return 1;
  }
  fleet::BundleRequest request;
  request.policy = args.policy;
  request.version = args.version;
  request.sites = args.sites;
  request.group = args.group;
  request.created_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
  auto bundle = fleet::buildBundle(request, *key);
  if (!bundle.ok()) {
    std::fprintf(stderr, "gatewayctl policy bundle: %s\n", bundle.status().message().c_str());
    return 1;
  }
  const std::string bytes = bundle->SerializeAsString();
  std::ofstream out(args.out, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.good()) {
    std::fprintf(stderr, "gatewayctl policy bundle: cannot write %s\n", args.out.c_str());
    return 1;
  }
  std::printf("bundle version %llu signed by %s (key_id %s): %zu bytes in %s\n",
              static_cast<unsigned long long>(args.version), key->owner.c_str(),
              key->key_id.c_str(), bytes.size(), args.out.c_str());
  return 0;
}

int runPolicyVerify(const PolicyVerifyArgs& args) {
  auto operators = fleet::readOperatorKeys(args.operator_key_files);
  if (!operators.ok()) {
    std::fprintf(stderr, "gatewayctl policy verify: %s\n", operators.status().message().c_str());
    return 2;
  }
  auto bytes = readFile(args.bundle);
  if (!bytes.ok()) {
    std::fprintf(stderr, "gatewayctl policy verify: %s\n", bytes.status().message().c_str());
    return 2;
  }
  auto manifest = fleet::readBundle(*bytes, *operators);
  if (!manifest.ok()) {
    std::printf("REFUSED %s: %s\n", args.bundle.c_str(), manifest.status().message().c_str());
    return 1;
  }
  std::string target;
  for (const auto& site : manifest->sites()) target += (target.empty() ? "" : ",") + site;
  std::printf("OK %s\n  operator %s, version %llu, for %s %s, created %lld ms\n",
              args.bundle.c_str(), manifest->operator_name().c_str(),
              static_cast<unsigned long long>(manifest->version()),
              manifest->group().empty() ? "sites" : "group",
              manifest->group().empty() ? target.c_str() : manifest->group().c_str(),
              static_cast<long long>(manifest->created_unix_ms()));
  for (const auto& file : manifest->files()) {
    std::printf("  %-28s %9zu bytes  sha256 %s\n", file.path().c_str(), file.content().size(),
                fleet::sha256Hex(file.content()).c_str());
  }
  return 0;
}

}  // namespace gw::ctl
