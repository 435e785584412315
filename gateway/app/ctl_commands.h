#pragma once
// The gatewayctl subcommands, each a function returning the process exit code.
#include <string>

namespace gw::app {

struct KeygenArgs {
  std::string actor;
  std::string out_dir;
  bool force = false;
};
int runKeygen(const KeygenArgs& args);

struct SubscribeArgs {
  std::string broker, site, actor, key_file, username;
  std::string client_id;            // empty: one per process
  bool persistent_session = false;  // needs client_id
  long count = 0;                   // 0: unlimited
  double timeout_s = 0;             // 0: until interrupted
  bool json = false;
};
int runSubscribe(const SubscribeArgs& args);

int runPolicyCheck(const std::string& path);

struct ReplayArgs {
  std::string policy;
  std::string speed;  // a multiple of real time, or "max"; empty: as the policy says
  bool json = false;
  std::string log_level = "warn";
};
int runReplay(const ReplayArgs& args);
int runPolicyExplain(const std::string& path, const std::string& actor);
int runAclExport(const std::string& policy_path, const std::string& out_path);

}  // namespace gw::app
