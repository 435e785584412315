#include "gateway/fleet/bundle_builder.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "gateway/core/files.h"
#include "gateway/fleet/bundle_reader.h"
#include "gateway/fleet/bundle_signature.h"

namespace gw::fleet {
namespace {

namespace fs = std::filesystem;

Result<std::vector<fs::path>> policyFiles(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    if (!fs::is_regular_file(path, ec)) return notFound("no such policy: " + path.string());
    return std::vector<fs::path>{path};
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) return notFound("no .yaml files in " + path.string());
  return files;
}

std::string where(const fs::path& file, const YAML::Node& node) {
  return file.string() + ":" + std::to_string(node.Mark().line + 1);
}

// The files of one bundle, by path, as they are collected from the policies.
class Collector {
 public:
  Status addKey(const fs::path& policy_file, const YAML::Node& actor, std::string* rewritten) {
    const std::string id = actor["id"].as<std::string>("");
    const fs::path named = actor["public_key_file"].as<std::string>("");
    const fs::path key_path = named.is_relative() ? policy_file.parent_path() / named : named;
    auto key = crypto::readPublicKeyFile(key_path);
    if (!key.ok()) {
      return invalidArgument(where(policy_file, actor["public_key_file"]) + ": " +
                             key.status().message());
    }
    auto text = readFile(key_path);
    if (!text.ok()) return text.status();
    const std::string path = "keys/" + id + ".pub";
    if (Status s = add(path, *text, policy_file, actor); !s.ok()) return s;
    *rewritten = "../" + path;
    return okStatus();
  }

  Status addPlugin(const fs::path& policy_file, const YAML::Node& plugin, std::string* rewritten) {
    const fs::path named = plugin["path"].as<std::string>("");
    const fs::path so = named.is_relative() ? policy_file.parent_path() / named : named;
    auto bytes = readFile(so);
    if (!bytes.ok()) {
      return invalidArgument(where(policy_file, plugin["path"]) + ": " + bytes.status().message());
    }
    const std::string path = "plugins/" + sha256Hex(*bytes) + ".so";
    if (Status s = add(path, *bytes, policy_file, plugin); !s.ok()) return s;
    *rewritten = "../" + path;
    return okStatus();
  }

  Status add(const std::string& path, const std::string& content, const fs::path& policy_file,
             const YAML::Node& node) {
    auto [it, fresh] = files_.emplace(path, content);
    if (!fresh && it->second != content) {
      return invalidArgument(where(policy_file, node) + ": two different files for " + path);
    }
    return okStatus();
  }

  const std::map<std::string, std::string>& files() const { return files_; }

 private:
  std::map<std::string, std::string> files_;
};

}  // namespace

Result<gateway::v1::PolicyBundle> buildBundle(const BundleRequest& request,
                                              const crypto::IdentityKey& operator_key) {
  if (request.version == 0) return invalidArgument("--version must be 1 or more");
  if (request.sites.empty() == request.group.empty()) {
    return invalidArgument("give either --sites or --group");
  }
  auto files = policyFiles(request.policy);
  if (!files.ok()) return files.status();
  Collector collector;
  for (const auto& file : *files) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(file.string());
    } catch (const YAML::Exception& e) {
      return invalidArgument(file.string() + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
    }
    if (!root.IsMap()) return invalidArgument(file.string() + ": not a policy (a YAML mapping)");
    for (const char* local : {"gateway", "site"}) {
      if (root[local]) {
        return invalidArgument(where(file, root[local]) + ": `" + local +
                               "` stays in each site's local policy; a bundle carries the "
                               "fleet's shared actors, detectors and routes");
      }
    }
    for (auto actor : root["actors"]) {
      if (!actor.IsMap() || !actor["public_key_file"]) continue;
      std::string rewritten;
      if (Status s = collector.addKey(file, actor, &rewritten); !s.ok()) return s;
      actor["public_key_file"] = rewritten;
    }
    for (auto detector : root["detectors"]) {
      if (!detector.IsMap() || !detector["plugin"] || !detector["plugin"]["path"]) continue;
      auto plugin = detector["plugin"];
      std::string rewritten;
      if (Status s = collector.addPlugin(file, plugin, &rewritten); !s.ok()) return s;
      plugin["path"] = rewritten;
    }
    YAML::Emitter out;
    out << root;
    if (!collector
             .add("policy/" + file.filename().replace_extension(".yaml").string(),
                  std::string(out.c_str()) + "\n", file, root)
             .ok()) {
      return invalidArgument(file.string() + ": two policy files named alike");
    }
  }

  gateway::v1::BundleManifest manifest;
  manifest.set_format(kBundleFormat);
  manifest.set_operator_name(operator_key.owner);
  manifest.set_version(request.version);
  for (const auto& site : request.sites) manifest.add_sites(site);
  manifest.set_group(request.group);
  manifest.set_created_unix_ms(request.created_unix_ms);
  for (const auto& [path, content] : collector.files()) {
    auto* f = manifest.add_files();
    f->set_path(path);
    f->set_content(content);
    f->set_sha256(sha256Digest(content));
  }
  return signBundle(manifest, operator_key);
}

}  // namespace gw::fleet
