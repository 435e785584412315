#include <cstdio>

#include "gateway/actor/actor_subscriber.h"
#include "gateway/app/gateway.h"
#include "gateway/config/policy_loader.h"
#include "gateway/core/logging.h"
#include "gateway/ctl/commands.h"

namespace gw::ctl {

int runReplay(const ReplayArgs& args) {
  if (Status s = initLogging(args.log_level); !s.ok()) {
    std::fprintf(stderr, "gatewayctl replay: %s\n", s.message().c_str());
    return 2;
  }
  auto loaded = config::loadPolicy(args.policy);
  if (!loaded.ok()) {
    std::fputs(config::formatErrors(loaded.errors).c_str(), stderr);
    return 1;
  }
  app::GatewayOptions options;
  options.policy_path = args.policy;
  if (args.speed == "max") {
    options.replay_speed = 0;
  } else if (!args.speed.empty()) {
    try {
      options.replay_speed = std::stod(args.speed);
    } catch (const std::exception&) {
      std::fprintf(stderr, "gatewayctl replay: --speed takes a number or 'max', not '%s'\n",
                   args.speed.c_str());
      return 2;
    }
  }
  std::map<std::string, long> per_actor;
  options.dry_run_sink = [&](const std::string& actor, std::string_view kind_view,
                             const gateway::v1::ActorMessage& message) {
    ++per_actor[actor];
    const std::string json = actor::toJson(message);
    const std::string kind(kind_view);
    if (args.json) {
      std::printf("{\"actor\":\"%s\",\"kind\":\"%s\",\"message\":%s}\n", actor.c_str(),
                  kind.c_str(), json.c_str());
    } else {
      std::printf("%-15s %-11s %s\n", actor.c_str(), kind.c_str(), json.c_str());
    }
  };
  app::Gateway gateway(loaded.policy, options);
  if (Status s = gateway.init(); !s.ok()) {
    std::fprintf(stderr, "gatewayctl replay: %s\n", s.message().c_str());
    return 1;
  }
  if (Status s = gateway.run(); !s.ok()) {
    std::fprintf(stderr, "gatewayctl replay: %s\n", s.message().c_str());
    return 1;
  }
  std::fflush(stdout);
  for (const auto& actor : loaded.policy->policy.actors()) {
    std::fprintf(stderr, "would send actor=%s messages=%ld\n", actor.id().c_str(),
                 per_actor[actor.id()]);
  }
  return 0;
}

}  // namespace gw::ctl
