// gatewayctl retention status and gatewayctl register export (docs/PRIVACY.md).
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "gateway/config/policy_loader.h"
#include "gateway/config/sensor_register.h"
#include "gateway/core/clock.h"
#include "gateway/core/files.h"
#include "gateway/ctl/commands.h"
#include "gateway/retention/retention_store.h"

namespace gw::ctl {
namespace {

std::string hoursLeft(int64_t ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1fh", static_cast<double>(ms) / 3.6e6);
  return text;
}

}  // namespace

int runRetentionStatus(const RetentionStatusArgs& args) {
  const auto dir = std::filesystem::path(args.state_dir) / "retention";
  if (!std::filesystem::is_directory(dir)) {
    std::fprintf(stderr, "gatewayctl retention status: no retention store in %s\n",
                 args.state_dir.c_str());
    return 1;
  }
  retention::RetentionOptions options;
  options.dir = dir;
  auto store = retention::RetentionStore::open(options);
  if (!store.ok()) {
    std::fprintf(stderr, "gatewayctl retention status: %s\n", store.status().message().c_str());
    return 1;
  }
  if (args.purge) {
    auto purged = (*store)->purgeExpired();
    if (!purged.ok()) {
      std::fprintf(stderr, "gatewayctl retention status: purge failed: %s\n",
                   purged.status().message().c_str());
      return 1;
    }
    std::fprintf(stderr, "destroyed %zu expired period(s)\n", *purged);
  }
  const int64_t now = nowUnixMs();
  const auto periods = (*store)->periods();
  if (args.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : periods) {
      out.push_back({{"route", p.route},
                     {"period_start_unix_ms", p.start_ms},
                     {"expires_unix_ms", p.expires_ms},
                     {"records", p.records},
                     {"bytes", p.bytes},
                     {"key_present", p.key_present},
                     {"expired", p.expires_ms <= now}});
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  if (periods.empty()) {
    std::printf("nothing kept on the box\n");
    return 0;
  }
  std::printf("%-28s %-20s %-20s %8s %10s %s\n", "route", "period start (UTC)", "deleted at (UTC)",
              "records", "bytes", "state");
  for (const auto& p : periods) {
    const std::string state = !p.key_present ? "key destroyed (unreadable)"
                              : p.expires_ms <= now
                                  ? "expired: destroyed at the next purge"
                                  : "kept, " + hoursLeft(p.expires_ms - now) + " left";
    std::printf("%-28s %-20s %-20s %8llu %10llu %s\n", p.route.c_str(), utcText(p.start_ms).c_str(),
                utcText(p.expires_ms).c_str(), static_cast<unsigned long long>(p.records),
                static_cast<unsigned long long>(p.bytes), state.c_str());
  }
  return 0;
}

int runRegisterExport(const std::string& policy_path, const std::string& out_path) {
  auto loaded = config::loadPolicy(policy_path);
  if (!loaded.ok()) {
    std::fputs(config::formatErrors(loaded.errors).c_str(), stderr);
    std::fprintf(stderr, "%zu error(s): policy is invalid, no register entry written\n",
                 loaded.errors.size());
    return 1;
  }
  // PATH, PATH.md or PATH.json: both files are written side by side.
  std::filesystem::path base(out_path);
  if (base.extension() == ".md" || base.extension() == ".json") base.replace_extension();
  const auto entry = config::registerEntry(loaded.policy->policy);
  using std::filesystem::perms;
  const auto mode = perms::owner_read | perms::owner_write | perms::group_read | perms::others_read;
  for (const auto& [file, text] :
       {std::pair{std::filesystem::path(base.string() + ".json"), entry.dump(2) + "\n"},
        std::pair{std::filesystem::path(base.string() + ".md"), config::registerMarkdown(entry)}}) {
    if (Status s = writeFileAtomic(file, text, mode); !s.ok()) {
      std::fprintf(stderr, "gatewayctl register export: %s\n", s.message().c_str());
      return 1;
    }
    std::printf("wrote %s\n", file.c_str());
  }
  return 0;
}

}  // namespace gw::ctl
