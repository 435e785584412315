#include "gateway/config/policy_loader.h"

#include <algorithm>

#include "gateway/config/resolve_policy.h"
#include "gateway/sources/camera/camera_uri.h"

namespace gw::config {
namespace {

namespace fs = std::filesystem;
using gateway::v1::Policy;

std::vector<fs::path> policyFiles(const fs::path& path, ConfigErrors* errors) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const auto ext = entry.path().extension();
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml"))
        files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    if (files.empty())
      errors->push_back({path.string(), 0, 0, "", "directory holds no .yaml files"});
    return files;
  }
  if (!fs::exists(path, ec)) {
    errors->push_back({path.string(), 0, 0, "", "no such file or directory"});
    return {};
  }
  return {path};
}

// Shifts `routes[3]...` position keys of one file by the number of routes earlier files had.
void mergePositions(const PositionMap& from, const Policy& merged_before, PositionMap* into) {
  auto offset_for = [&](const std::string& field) -> int {
    if (field == "actors") return merged_before.actors_size();
    if (field == "sources") return merged_before.sources_size();
    if (field == "detectors") return merged_before.detectors_size();
    if (field == "routes") return merged_before.routes_size();
    return 0;
  };
  for (const auto& [key, pos] : from) {
    size_t bracket = key.find('[');
    size_t close = key.find(']');
    size_t dot = key.find('.');
    if (bracket == std::string::npos || close == std::string::npos ||
        (dot != std::string::npos && dot < bracket)) {
      into->emplace(key, pos);
      continue;
    }
    std::string field = key.substr(0, bracket);
    int index = std::stoi(key.substr(bracket + 1, close - bracket - 1)) + offset_for(field);
    (*into)[field + "[" + std::to_string(index) + "]" + key.substr(close + 1)] = pos;
  }
}

// Makes a path in the policy absolute, relative to the file that named it.
void absolutise(std::string* path, const fs::path& base_dir) {
  if (path->empty()) return;
  fs::path p(*path);
  if (p.is_relative()) *path = fs::weakly_canonical(base_dir / p).string();
}

void resolvePaths(Policy* one_file, const fs::path& base_dir) {
  if (one_file->has_gateway()) {
    absolutise(one_file->mutable_gateway()->mutable_identity_key_file(), base_dir);
    if (one_file->gateway().has_fleet()) {
      for (auto& key : *one_file->mutable_gateway()->mutable_fleet()->mutable_operator_keys()) {
        absolutise(&key, base_dir);
      }
    }
    auto* broker = one_file->mutable_gateway()->mutable_broker();
    absolutise(broker->mutable_password_file(), base_dir);
    if (broker->has_tls()) {
      absolutise(broker->mutable_tls()->mutable_ca_file(), base_dir);
      absolutise(broker->mutable_tls()->mutable_cert_file(), base_dir);
      absolutise(broker->mutable_tls()->mutable_key_file(), base_dir);
    }
  }
  for (auto& actor : *one_file->mutable_actors()) {
    absolutise(actor.mutable_public_key_file(), base_dir);
  }
  for (auto& detector : *one_file->mutable_detectors()) {
    if (detector.has_plugin()) absolutise(detector.mutable_plugin()->mutable_path(), base_dir);
  }
  for (auto& source : *one_file->mutable_sources()) {
    if (source.has_sensor() && source.sensor().has_replay()) {
      absolutise(source.mutable_sensor()->mutable_replay()->mutable_path(), base_dir);
    }
    // A camera that is a file is found like a replay file; streams and devices are left alone,
    // and so is a file:// URL, which is absolute by definition.
    if (source.has_camera()) {
      const std::string& uri = source.camera().uri();
      if (!sources::isLiveCameraUri(uri) && uri.find("://") == std::string::npos) {
        absolutise(source.mutable_camera()->mutable_uri(), base_dir);
      }
    }
  }
}

}  // namespace

LoadResult loadPolicy(const fs::path& path) { return loadPolicy(std::vector<fs::path>{path}); }

LoadResult loadPolicy(const std::vector<fs::path>& paths) {
  LoadResult result;
  auto loaded = std::make_shared<ResolvedPolicy>();
  std::vector<fs::path> files;
  for (const auto& path : paths) {
    auto more = policyFiles(path, &result.errors);
    files.insert(files.end(), more.begin(), more.end());
  }
  for (const auto& file : files) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(file.string());
    } catch (const YAML::ParserException& e) {
      result.errors.push_back({file.string(), e.mark.line + 1, e.mark.column + 1, "", e.msg});
      continue;
    } catch (const YAML::Exception& e) {
      result.errors.push_back({file.string(), 0, 0, "", e.what()});
      continue;
    }
    loaded->files.push_back(file.string());
    if (root.IsNull()) continue;  // an empty file adds nothing
    Policy one;
    PositionMap positions;
    mapYamlToProto(root, &one, "", YamlMapContext{file.string(), &result.errors, &positions});
    resolvePaths(&one, file.parent_path());
    // Site and gateway settings are singular: two files setting them is ambiguous.
    if (one.has_site() && loaded->policy.has_site()) {
      const auto& pos = positions["site"];
      result.errors.push_back({pos.file, pos.line, pos.column, "site",
                               "site is already defined in " + loaded->positions["site"].file});
    }
    if (one.has_gateway() && loaded->policy.has_gateway()) {
      const auto& pos = positions["gateway"];
      result.errors.push_back(
          {pos.file, pos.line, pos.column, "gateway",
           "gateway is already defined in " + loaded->positions["gateway"].file});
    }
    mergePositions(positions, loaded->policy, &loaded->positions);
    loaded->policy.MergeFrom(one);
  }
  // Resolve even when mapping found problems, so one run reports every error of the policy.
  if (!loaded->files.empty()) {
    const std::string fallback = files.front().string();
    ConfigErrors validation;
    resolvePolicy(*loaded, fallback, &validation);
    // A key that failed to map is also empty or missing for the validator: report it once.
    for (auto& error : validation) {
      const bool already =
          std::any_of(result.errors.begin(), result.errors.end(),
                      [&](const ConfigError& e) { return e.key_path == error.key_path; });
      if (!already) result.errors.push_back(std::move(error));
    }
  }
  if (result.errors.empty()) result.policy = std::move(loaded);
  return result;
}

}  // namespace gw::config
