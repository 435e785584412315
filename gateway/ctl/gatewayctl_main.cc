// gatewayctl: the operator's and the actor's tool.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "gateway/app/version.h"
#include "gateway/ctl/commands.h"

namespace {

int run(int argc, char** argv) {
  CLI::App cli{
      "gatewayctl: Lantaarn's tool for operators (keys, policies) and actors (subscribe)."};
  cli.set_version_flag("--version", std::string("gatewayctl ") + GW_VERSION);
  cli.require_subcommand(1);

  gw::ctl::KeygenArgs keygen;
  auto* keygen_cmd = cli.add_subcommand(
      "keygen",
      "Generate an actor's X25519 key pair (ID.pub, ID.key) or the gateway's Ed25519 identity "
      "(gateway.pub, gateway.key)");
  auto* keygen_actor = keygen_cmd->add_option("--actor", keygen.actor, "Actor id, e.g. police");
  auto* keygen_gateway = keygen_cmd->add_option(
      "--gateway", keygen.gateway, "Site id: write the gateway identity key of this site");
  keygen_actor->excludes(keygen_gateway);
  auto* keygen_operator = keygen_cmd->add_option(
      "--operator", keygen.fleet_operator, "A fleet operator's key, which signs policy bundles");
  keygen_operator->excludes(keygen_actor)->excludes(keygen_gateway);
  keygen_cmd->add_option("--out", keygen.out_dir, "Directory to write the key files to")
      ->required();
  keygen_cmd->add_flag("--force", keygen.force, "Overwrite existing key files");

  gw::ctl::SubscribeArgs sub;
  auto* sub_cmd = cli.add_subcommand(
      "subscribe", "Receive, open and print an actor's messages, one JSON object per message");
  sub_cmd->add_option("--broker", sub.broker, "Broker URL, e.g. tcp://127.0.0.1:1883")->required();
  sub_cmd->add_option("--site", sub.site, "Site id; + for every site of the pinned gateways")
      ->required();
  sub_cmd->add_option("--actor", sub.actor, "Actor id whose topics to read")->required();
  sub_cmd
      ->add_option("--key", sub.key_files,
                   "The actor's secret key file (ID.key). Repeat it during a key rotation to read "
                   "epochs sealed to the old and to the new key (docs/KEYS.md)")
      ->required();
  sub_cmd
      ->add_option("--gateway-key", sub.gateway_key_files,
                   "The gateway's identity public key (gateway.pub): only what it signed is "
                   "accepted. Repeat it, or give a directory of .pub files, for several sites "
                   "(with --site +)")
      ->required();
  sub_cmd->add_option("--max-age", sub.max_age_s,
                      "Refuse messages sealed more than this many seconds ago (0: no limit)");
  sub_cmd->add_flag("--envelope", sub.envelope,
                    "Print {gateway, epoch, sequence, sent_unix_ms, message} per message");
  sub_cmd->add_option("--count", sub.count, "Exit 0 after this many messages");
  sub_cmd->add_option("--timeout", sub.timeout_s,
                      "Seconds to run; with --count, not reaching the count in time exits 1");
  sub_cmd->add_option("--username", sub.username, "Broker username");
  sub_cmd->add_option("--password-file", sub.password_file,
                      "File holding the broker password (not readable by others; never on the "
                      "command line); needs --username");
  sub_cmd->add_option("--tls-ca", sub.tls_ca,
                      "CA certificate (PEM) to verify an ssl:// broker with (default: the "
                      "system's trust store)");
  sub_cmd->add_option("--tls-cert", sub.tls_cert,
                      "Client certificate (PEM) for a broker that requires one; with --tls-key");
  sub_cmd->add_option("--tls-key", sub.tls_key, "The client certificate's private key (PEM)");
  sub_cmd
      ->add_option("--silence-after", sub.silence_after_s,
                   "Report a stream silent after this many seconds without an authentic "
                   "envelope (the gateway sends a checkpoint at least every 30 s)")
      ->capture_default_str();
  sub_cmd->add_option("--client-id", sub.client_id, "Stable MQTT client id (default: per process)");
  sub_cmd->add_flag("--persistent-session", sub.persistent_session,
                    "Keep the broker session (clean session off): nothing is missed while away; "
                    "needs --client-id");
  sub_cmd
      ->add_option("--mqtt", sub.mqtt,
                   "MQTT version: auto (5, or 3.1.1 where the broker refuses 5), 5 or 3.1.1")
      ->check(CLI::IsMember({"auto", "5", "3.1.1"}))
      ->capture_default_str();
  sub_cmd
      ->add_option("--receive-maximum", sub.receive_maximum,
                   "MQTT 5: messages the broker may send before our acknowledgements; Mosquitto "
                   "queues the rest, and drops them past its max_queued_messages")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  sub_cmd->add_flag("--json", sub.json, "Print only the JSON lines (no actor/kind prefix)");

  std::string policy_path;
  auto* policy_cmd = cli.add_subcommand("policy", "Work with policy files");
  policy_cmd->require_subcommand(1);
  auto* check_cmd =
      policy_cmd->add_subcommand("check", "Validate a policy; exit 0 if valid, 1 if not");
  check_cmd->add_option("path", policy_path, "Policy file or directory")->required();

  gw::ctl::PolicyBundleArgs bundle;
  std::string bundle_sites;
  auto* bundle_cmd = policy_cmd->add_subcommand(
      "bundle", "Pack a fleet's shared policy, its actor keys and plugins into a signed bundle");
  bundle_cmd->add_option("path", bundle.policy, "Policy file or directory")->required();
  bundle_cmd->add_option("--key", bundle.key_file, "The operator's secret key")->required();
  bundle_cmd->add_option("--version", bundle.version, "Bundle version, above the last one")
      ->required()
      ->check(CLI::PositiveNumber);
  auto* bundle_sites_opt =
      bundle_cmd->add_option("--sites", bundle_sites, "Site ids it is for, comma-separated");
  auto* bundle_group_opt = bundle_cmd->add_option("--group", bundle.group, "Group it is for");
  bundle_sites_opt->excludes(bundle_group_opt);
  bundle_cmd->add_option("--out", bundle.out, "The bundle file to write")->required();

  gw::ctl::PolicyVerifyArgs verify;
  auto* verify_cmd = policy_cmd->add_subcommand(
      "verify", "Check a bundle's signature and files offline and print what it contains");
  verify_cmd->add_option("bundle", verify.bundle, "The bundle file")->required();
  verify_cmd
      ->add_option("--operator-key", verify.operator_key_files,
                   "An operator public key it may be signed with (repeatable)")
      ->required();

  gw::ctl::PolicyPublishArgs publish;
  auto* publish_cmd = policy_cmd->add_subcommand(
      "publish", "Check a bundle, then publish it retained on the bundle topic of its targets");
  publish_cmd->add_option("bundle", publish.bundle, "The bundle file")->required();
  publish_cmd->add_option("--broker", publish.broker, "Broker URL (tcp:// or ssl://)")->required();
  publish_cmd
      ->add_option("--operator-key", publish.operator_key_files,
                   "An operator public key it must be signed with (repeatable)")
      ->required();
  publish_cmd->add_option("--username", publish.username, "Broker user (the operator's)");
  publish_cmd->add_option("--password-file", publish.password_file, "File holding its password");
  publish_cmd->add_option("--ca-file", publish.ca_file, "CA certificate for ssl:// brokers");

  std::string explain_path, explain_actor;
  auto* explain_cmd = policy_cmd->add_subcommand(
      "explain", "Say in plain language what each actor receives, how, why and for how long");
  explain_cmd->add_option("path", explain_path, "Policy file or directory")->required();
  explain_cmd->add_option("--actor", explain_actor, "Only this actor");

  std::string acl_path, acl_format = "mosquitto", acl_out;
  auto* acl_cmd = cli.add_subcommand("acl", "Broker access control derived from a policy");
  acl_cmd->require_subcommand(1);
  auto* acl_export = acl_cmd->add_subcommand(
      "export",
      "Write the broker ACL: each actor reads only its topics, the gateway writes only its prefix");
  acl_export->add_option("path", acl_path, "Policy file or directory")->required();
  acl_export->add_option("--format", acl_format, "ACL format (mosquitto)")
      ->check(CLI::IsMember({"mosquitto"}));
  acl_export->add_option("--out", acl_out, "Write to this file instead of standard output");

  gw::ctl::ReplayArgs replay;
  auto* replay_cmd = cli.add_subcommand(
      "replay",
      "Dry run: the whole pipeline on the policy's files and videos, no broker; prints per actor "
      "what would have been sent");
  replay_cmd->add_option("--policy", replay.policy, "Policy file or directory")->required();
  replay_cmd->add_option("--speed", replay.speed,
                         "Replay speed: a multiple of real time, or 'max'");
  replay_cmd->add_flag("--json", replay.json, "JSON lines: {actor, kind, message}");
  replay_cmd->add_option("--log-level", replay.log_level, "Log level on stderr")
      ->capture_default_str();

  gw::ctl::EvalFallArgs eval_fall;
  auto* eval_cmd = cli.add_subcommand("eval", "Measure a detector on labelled recordings");
  eval_cmd->require_subcommand(1);
  auto* eval_fall_cmd = eval_cmd->add_subcommand(
      "fall", "Event-level precision, recall, F1 and false alarms per hour of the fall detector");
  eval_fall_cmd->add_option("--clips", eval_fall.clips, "Directory the labels' paths start from")
      ->required();
  eval_fall_cmd->add_option("--labels", eval_fall.labels, "CSV with file,label,fall_start_s,...")
      ->required();
  eval_fall_cmd->add_option("--fps", eval_fall.fps, "Processing rate")->capture_default_str();
  eval_fall_cmd->add_option("--width", eval_fall.width, "Processing width")->capture_default_str();
  eval_fall_cmd->add_option("--height", eval_fall.height, "Processing height")
      ->capture_default_str();
  eval_fall_cmd->add_flag("--json", eval_fall.json, "One JSON object");
  eval_fall_cmd->add_flag("--loso", eval_fall.loso,
                          "Leave one subject out: tune on the other subjects' clips, score the "
                          "held-out one, for every subject");
  eval_fall_cmd->add_option("--log-level", eval_fall.log_level, "Log level on stderr")
      ->capture_default_str();

  gw::ctl::RetentionStatusArgs retention;
  auto* retention_cmd =
      cli.add_subcommand("retention", "What the box keeps of events and snapshots, and until when");
  retention_cmd->require_subcommand(1);
  auto* retention_status = retention_cmd->add_subcommand(
      "status",
      "Per route and period: records kept, when they are deleted, whether the key exists");
  retention_status->add_option("--state-dir", retention.state_dir, "gatewayd's --state-dir")
      ->required();
  retention_status->add_flag("--json", retention.json, "One JSON array");
  retention_status->add_flag("--purge", retention.purge,
                             "Destroy expired periods (keys first) before reporting");

  std::string register_policy, register_out;
  auto* register_cmd =
      cli.add_subcommand("register", "The site's entry for a public sensor register");
  register_cmd->require_subcommand(1);
  auto* register_export = register_cmd->add_subcommand(
      "export",
      "Write PATH.md and PATH.json: sensors, detectors, purposes, who receives what, "
      "retention, contact");
  register_export->add_option("path", register_out, "Output path (PATH, PATH.md or PATH.json)")
      ->required();
  register_export->add_option("--policy", register_policy, "Policy file or directory")->required();

  gw::ctl::OutboxArgs outbox;
  auto* outbox_cmd = cli.add_subcommand(
      "outbox", "What the broker refused for good (dead letters), and sending it again");
  outbox_cmd->require_subcommand(1);
  auto* dead_letters_cmd =
      outbox_cmd->add_subcommand("dead-letters", "List dead letters per actor, reason and topic");
  auto* resend_cmd = outbox_cmd->add_subcommand(
      "resend", "Queue dead letters to be sent again (gatewayd takes them within seconds)");
  for (auto* c : {dead_letters_cmd, resend_cmd}) {
    c->add_option("--state-dir", outbox.state_dir, "gatewayd's --state-dir")->required();
    c->add_option("--actor", outbox.actor, "Only this actor's");
    c->add_option("--reason", outbox.reason,
                  "Only this reason's (not_authorized, topic_invalid, too_large, "
                  "payload_format_invalid, broker_disconnects, actor_removed)");
  }
  dead_letters_cmd->add_flag("--json", outbox.json, "One JSON array, a message each");

  // fleet status / fleet serve (fleet.cc): what every gateway of the fleet reports.
  gw::ctl::FleetStatusArgs fleet_status;
  gw::ctl::FleetServeArgs fleet_serve;
  auto* fleet_cmd = cli.add_subcommand("fleet", "The fleet's state, from the gateways' reports");
  fleet_cmd->require_subcommand(1);
  auto* fleet_status_cmd = fleet_cmd->add_subcommand(
      "status",
      "One row per site: link, policy, health, outbox, age; exit 0 when every site is online, "
      "healthy and fresh, 1 otherwise, 2 when it cannot start (keys, broker)");
  auto* fleet_serve_cmd = fleet_cmd->add_subcommand(
      "serve", "Serve the same table as a page that refreshes itself (/, /fleet.json, /healthz)");
  for (auto [c, w] : {std::pair{fleet_status_cmd, &fleet_status.watch},
                      std::pair{fleet_serve_cmd, &fleet_serve.watch}}) {
    c->add_option("--broker", w->broker, "Broker URL, e.g. tcp://127.0.0.1:1883")->required();
    c->add_option("--operator-key", w->operator_key_files,
                  "An operator public key this fleet's bundles may be signed with (repeatable); "
                  "a bundle signed by another is flagged foreign signer")
        ->required();
    c->add_option("--gateway-keys", w->gateway_key_paths,
                  "Pinned gateway identity keys (.pub), or directories of them: a site with a "
                  "pinned key must sign with it");
    c->add_option("--stale-after", w->stale_after_s,
                  "Seconds after which a health summary is stale")
        ->capture_default_str();
    c->add_option("--username", w->username, "Broker username");
    c->add_option("--password-file", w->password_file,
                  "File holding the broker password (not readable by others); needs --username");
    c->add_option("--tls-ca,--ca-file", w->tls_ca,
                  "CA certificate (PEM) to verify an ssl:// broker with (default: the system's "
                  "trust store)");
    c->add_option("--tls-cert", w->tls_cert, "Client certificate (PEM); with --tls-key");
    c->add_option("--tls-key", w->tls_key, "The client certificate's private key (PEM)");
    c->add_option("--client-id", w->client_id, "MQTT client id (default: per process)");
  }
  fleet_status_cmd
      ->add_option("--wait", fleet_status.wait_ms, "Milliseconds to collect the retained reports")
      ->capture_default_str();
  fleet_status_cmd->add_flag("--json", fleet_status.json,
                             "One JSON array, an object per site (docs/FLEET.md)");
  fleet_serve_cmd->add_option("--listen", fleet_serve.listen, "HOST:PORT to serve on")
      ->capture_default_str();

  CLI11_PARSE(cli, argc, argv);
  if (dead_letters_cmd->parsed()) return gw::ctl::runOutboxDeadLetters(outbox);
  if (resend_cmd->parsed()) return gw::ctl::runOutboxResend(outbox);
  if (retention_status->parsed()) return gw::ctl::runRetentionStatus(retention);
  if (register_export->parsed()) return gw::ctl::runRegisterExport(register_policy, register_out);
  if (eval_fall_cmd->parsed()) return gw::ctl::runEvalFall(eval_fall);
  if (keygen_cmd->parsed()) return gw::ctl::runKeygen(keygen);
  if (bundle_cmd->parsed()) {
    for (size_t start = 0; !bundle_sites.empty() && start <= bundle_sites.size();) {
      const size_t comma = bundle_sites.find(',', start);
      const size_t end = comma == std::string::npos ? bundle_sites.size() : comma;
      if (end > start) bundle.sites.push_back(bundle_sites.substr(start, end - start));
      start = end + 1;
    }
    return gw::ctl::runPolicyBundle(bundle);
  }
  if (verify_cmd->parsed()) return gw::ctl::runPolicyVerify(verify);
  if (publish_cmd->parsed()) return gw::ctl::runPolicyPublish(publish);
  if (sub_cmd->parsed()) return gw::ctl::runSubscribe(sub);
  if (check_cmd->parsed()) return gw::ctl::runPolicyCheck(policy_path);
  if (replay_cmd->parsed()) return gw::ctl::runReplay(replay);
  if (acl_export->parsed()) return gw::ctl::runAclExport(acl_path, acl_out);
  if (explain_cmd->parsed()) return gw::ctl::runPolicyExplain(explain_path, explain_actor);
  if (fleet_status_cmd->parsed()) return gw::ctl::runFleetStatus(fleet_status);
  if (fleet_serve_cmd->parsed()) return gw::ctl::runFleetServe(fleet_serve);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Errors are Status values; an exception here is a bug (or a third-party library's), reported
  // as such rather than as std::terminate's abort.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gatewayctl: unexpected error: %s\n", e.what());
    return 70;  // EX_SOFTWARE
  }
}
