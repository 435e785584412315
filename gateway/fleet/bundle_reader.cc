#include "gateway/fleet/bundle_reader.h"

#include <sodium.h>

#include <algorithm>
#include <set>

#include "gateway/fleet/bundle_signature.h"

namespace gw::fleet {
namespace {

bool safeName(const std::string& name) {
  if (name.empty() || name.size() > 128 || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

// policy/<name>.yaml, keys/<name>.pub, plugins/<sha256 of the content>.so, and nothing else:
// the bundle is unpacked into a directory, and no path may leave it.
Status checkFile(const gateway::v1::BundleFile& file) {
  const std::string& path = file.path();
  const auto slash = path.find('/');
  if (slash == std::string::npos || path.find('/', slash + 1) != std::string::npos) {
    return invalidArgument("file '" + path + "' is not <folder>/<name>");
  }
  const std::string folder = path.substr(0, slash);
  const std::string name = path.substr(slash + 1);
  auto endsWith = [&](const char* suffix) {
    const std::string s(suffix);
    return name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  if (!safeName(name)) return invalidArgument("file '" + path + "' has an unsafe name");
  if (sha256Digest(file.content()) != file.sha256()) {
    return dataLoss("file '" + path + "' does not match its hash");
  }
  if (folder == "policy" && endsWith(".yaml")) return okStatus();
  if (folder == "keys" && endsWith(".pub")) return okStatus();
  if (folder == "plugins" && name == sha256Hex(file.content()) + ".so") return okStatus();
  return invalidArgument("file '" + path +
                         "' is none of policy/<name>.yaml, keys/<name>.pub, plugins/<sha256>.so");
}

}  // namespace

std::string sha256Digest(const std::string& bytes) {
  std::string digest(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(digest.data()),
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return digest;
}

std::string sha256Hex(const std::string& bytes) {
  const std::string digest = sha256Digest(bytes);
  std::string hex(digest.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(digest.data()),
                 digest.size());
  hex.pop_back();
  return hex;
}

Result<gateway::v1::BundleManifest> readBundle(
    const std::string& bytes, const std::vector<crypto::IdentityPublicKey>& operators,
    size_t max_bytes) {
  if (bytes.size() > max_bytes) {
    return resourceExhausted("the bundle is " + std::to_string(bytes.size()) +
                             " bytes, the limit is " + std::to_string(max_bytes));
  }
  gateway::v1::PolicyBundle bundle;
  if (bytes.empty() || !bundle.ParseFromString(bytes)) {
    return invalidArgument("not a policy bundle (" + std::to_string(bytes.size()) + " bytes)");
  }
  auto manifest = checkBundleSignature(bundle, operators);
  if (!manifest.ok()) return manifest.status();
  if (manifest->format() != kBundleFormat) {
    return invalidArgument("bundle format " + std::to_string(manifest->format()) +
                           " is not this gateway's " + std::to_string(kBundleFormat));
  }
  if (manifest->version() == 0) return invalidArgument("the bundle has no version");
  if ((manifest->sites_size() > 0) == !manifest->group().empty()) {
    return invalidArgument("the bundle must name either sites or a group");
  }
  std::set<std::string> paths;
  bool has_policy = false;
  for (const auto& file : manifest->files()) {
    if (Status s = checkFile(file); !s.ok()) return s;
    if (!paths.insert(file.path()).second) {
      return invalidArgument("file '" + file.path() + "' is in the bundle twice");
    }
    has_policy = has_policy || file.path().rfind("policy/", 0) == 0;
  }
  if (!has_policy) return invalidArgument("the bundle holds no policy file");
  return manifest;
}

Status checkBundleTarget(const gateway::v1::BundleManifest& manifest, const std::string& site,
                         const std::string& group) {
  if (!manifest.group().empty()) {
    if (manifest.group() == group) return okStatus();
    return failedPrecondition("the bundle is for group '" + manifest.group() + "', this site (" +
                              site + ") is in " +
                              (group.empty() ? std::string("no group") : "'" + group + "'"));
  }
  for (const auto& s : manifest.sites()) {
    if (s == site) return okStatus();
  }
  return failedPrecondition("the bundle is not for site '" + site + "'");
}

}  // namespace gw::fleet
