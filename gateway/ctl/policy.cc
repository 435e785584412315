#include <cstdio>

#include "gateway/config/broker_acl.h"
#include "gateway/config/policy_explain.h"
#include "gateway/config/policy_loader.h"
#include "gateway/core/files.h"
#include "gateway/ctl/commands.h"

namespace gw::ctl {

int runPolicyCheck(const std::string& path) {
  auto loaded = config::loadPolicy(path);
  if (!loaded.ok()) {
    std::fputs(config::formatErrors(loaded.errors).c_str(), stdout);
    std::printf("%zu error(s): policy is invalid\n", loaded.errors.size());
    return 1;
  }
  const auto& p = loaded.policy->policy;
  std::printf("policy OK: site %s, %d actors, %d sources, %d detectors, %d routes (%zu file(s))\n",
              p.site().id().c_str(), p.actors_size(), p.sources_size(), p.detectors_size(),
              p.routes_size(), loaded.policy->files.size());
  return 0;
}

int runPolicyExplain(const std::string& path, const std::string& actor) {
  auto loaded = config::loadPolicy(path);
  if (!loaded.ok()) {
    std::fputs(config::formatErrors(loaded.errors).c_str(), stderr);
    std::fprintf(stderr, "%zu error(s): policy is invalid, nothing to explain\n",
                 loaded.errors.size());
    return 1;
  }
  const auto& policy = loaded.policy->policy;
  if (!actor.empty()) {
    bool known = false;
    for (const auto& a : policy.actors()) known = known || a.id() == actor;
    if (!known) {
      std::fprintf(stderr, "gatewayctl policy explain: no actor '%s' in this policy\n",
                   actor.c_str());
      return 1;
    }
  }
  std::fputs(config::explainPolicy(policy, actor).c_str(), stdout);
  return 0;
}

int runAclExport(const std::string& policy_path, const std::string& out_path) {
  auto loaded = config::loadPolicy(policy_path);
  if (!loaded.ok()) {
    std::fputs(config::formatErrors(loaded.errors).c_str(), stderr);
    std::fprintf(stderr, "%zu error(s): policy is invalid, no ACL written\n", loaded.errors.size());
    return 1;
  }
  const std::string acl = config::mosquittoAcl(loaded.policy->policy);
  if (out_path.empty()) {
    std::fputs(acl.c_str(), stdout);
    return 0;
  }
  using std::filesystem::perms;
  if (Status s = writeFileAtomic(out_path, acl,
                                 perms::owner_read | perms::owner_write | perms::group_read);
      !s.ok()) {
    std::fprintf(stderr, "gatewayctl acl export: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}

}  // namespace gw::ctl
