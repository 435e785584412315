#pragma once
// The gatewayctl subcommands, each a function returning the process exit code.
#include <cstdint>
#include <string>
#include <vector>

namespace gw::ctl {

struct KeygenArgs {
  std::string actor;    // an actor's X25519 key pair: <out>/<actor>.{key,pub}
  std::string gateway;  // or the gateway identity (Ed25519) of this site: <out>/gateway.{key,pub}
  std::string fleet_operator;  // or a fleet operator's Ed25519 key: <out>/<name>.{key,pub}
  std::string out_dir;
  bool force = false;
};
int runKeygen(const KeygenArgs& args);

struct SubscribeArgs {
  std::string broker, site, actor, username;
  // The actor's secret keys: one, or the old and the new one during a key rotation (any order).
  std::vector<std::string> key_files;
  std::vector<std::string> gateway_key_files;  // one per site's gateway; a directory: its *.pub
  std::string password_file;                   // the broker password, never on the command line
  std::string tls_ca, tls_cert, tls_key;       // for ssl:// brokers; empty CA: system trust store
  double silence_after_s = 60;                 // 2x the gateway's idle checkpoint interval
  std::string client_id;                       // empty: one per process
  bool persistent_session = false;             // needs client_id
  std::string mqtt = "auto";                   // auto, 5 or 3.1.1
  int receive_maximum = 65535;                 // MQTT 5 only
  long count = 0;                              // 0: unlimited
  double timeout_s = 0;                        // 0: until interrupted
  double max_age_s = 0;                        // 0: no freshness limit
  bool json = false;
  bool envelope = false;  // wrap each message with its gateway, epoch, sequence and time
};
int runSubscribe(const SubscribeArgs& args);

int runPolicyCheck(const std::string& path);

// Signed policy bundles (bundle.cc, docs/decisions/1500).
struct PolicyBundleArgs {
  std::string policy, key_file, out, group;
  uint64_t version = 0;
  std::vector<std::string> sites;
};
int runPolicyBundle(const PolicyBundleArgs& args);
struct PolicyVerifyArgs {
  std::string bundle;
  std::vector<std::string> operator_key_files;
};
int runPolicyVerify(const PolicyVerifyArgs& args);
// bundle_publish.cc: retained on each target's bundle topic, after the check verify makes.
struct PolicyPublishArgs {
  std::string bundle, broker, username, password_file, ca_file;
  std::vector<std::string> operator_key_files;
};
int runPolicyPublish(const PolicyPublishArgs& args);

struct ReplayArgs {
  std::string policy;
  std::string speed;  // a multiple of real time, or "max"; empty: as the policy says
  bool json = false;
  std::string log_level = "warn";
};
int runReplay(const ReplayArgs& args);
struct EvalFallArgs {
  std::string clips, labels, log_level = "warn";
  double fps = 5;
  int width = 640, height = 360;
  bool json = false;
  bool loso = false;  // leave-one-subject-out (fall_loso.h)
};
int runEvalFall(const EvalFallArgs& args);  // eval.cc
int runPolicyExplain(const std::string& path, const std::string& actor);
int runAclExport(const std::string& policy_path, const std::string& out_path);

struct RetentionStatusArgs {
  std::string state_dir;
  bool json = false;
  bool purge = false;  // destroy expired periods first (gatewayd does this every minute)
};
int runRetentionStatus(const RetentionStatusArgs& args);  // privacy.cc
struct OutboxArgs {
  std::string state_dir;
  std::string actor;   // empty: every actor
  std::string reason;  // empty: every reason
  bool json = false;
};
int runOutboxDeadLetters(const OutboxArgs& args);  // outbox.cc
int runOutboxResend(const OutboxArgs& args);

int runRegisterExport(const std::string& policy_path,
                      const std::string& out_path);  // privacy.cc

// What every gateway of the fleet reports, from the broker (fleet.cc, docs/FLEET.md "Fleet
// status").
struct FleetWatchArgs {
  std::string broker, username, client_id;
  std::string password_file;                    // the broker password, never on the command line
  std::string tls_ca, tls_cert, tls_key;        // for ssl:// brokers; empty CA: system trust store
  std::vector<std::string> operator_key_files;  // the keys this fleet's bundles may be signed by
  std::vector<std::string> gateway_key_paths;   // pinned gateway keys; a directory: its *.pub
  double stale_after_s = 180;                   // a health summary older than this is stale
};
struct FleetStatusArgs {
  FleetWatchArgs watch;
  long wait_ms = 1500;  // how long to collect the retained reports
  bool json = false;
};
int runFleetStatus(const FleetStatusArgs& args);
struct FleetServeArgs {
  FleetWatchArgs watch;
  std::string listen = "127.0.0.1:9274";
};
int runFleetServe(const FleetServeArgs& args);

}  // namespace gw::ctl
