// gatewayd: the Lantaarn edge gateway daemon.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "gateway/app/gateway.h"
#include "gateway/app/version.h"
#include "gateway/config/policy_loader.h"
#include "gateway/core/logging.h"

namespace {

int run(int argc, char** argv) {
  CLI::App cli{
      "gatewayd: Lantaarn edge gateway. Ingests sensor data, runs detectors, and sends each "
      "actor only what its policy grants, sealed for that actor alone, over MQTT."};
  cli.set_version_flag("--version", std::string("gatewayd ") + GW_VERSION);
  std::string policy_path, log_level = "info", log_format = "text", broker, ops_listen,
                           state_dir = "/var/lib/lantaarn";
  double drain_seconds = 10;
  cli.add_option("--policy", policy_path, "Policy file or directory of policy files")->required();
  cli.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")
      ->capture_default_str();
  cli.add_option("--log-format", log_format,
                 "text (key=value; under journald without timestamps) or json (one object a line)")
      ->capture_default_str();
  cli.add_option("--ops-listen", ops_listen,
                 "HOST:PORT of the ops endpoint (/healthz /readyz /metrics /status), overriding "
                 "the policy's gateway.ops.listen (default 127.0.0.1:9273); \"off\" disables it");
  cli.add_option("--broker", broker, "Broker URL, overriding the policy's gateway.broker.url");
  cli.add_option("--drain-timeout", drain_seconds,
                 "Seconds to wait at shutdown for the broker to acknowledge what was accepted")
      ->capture_default_str();
  cli.add_option("--state-dir", state_dir,
                 "Directory for durable state (the outbox in DIR/outbox); \"\" keeps it in memory")
      ->capture_default_str();
  bool quarantine_foreign_outbox = false;
  cli.add_flag("--quarantine-foreign-outbox", quarantine_foreign_outbox,
               "Move an outbox written by another site or gateway identity aside (kept, never "
               "published) instead of refusing to start");
  CLI11_PARSE(cli, argc, argv);
  // A file size limit must surface as EFBIG (counted, reported) rather than kill the daemon.
  std::signal(SIGXFSZ, SIG_IGN);

  gw::LogOptions log_options;
  log_options.level = log_level;
  log_options.format = log_format;
  if (gw::Status s = gw::initLogging(log_options); !s.ok()) {
    fprintf(stderr, "gatewayd: %s\n", s.message().c_str());
    return 2;
  }
  auto loaded = gw::config::loadPolicy(policy_path);
  if (!loaded.ok()) {
    fprintf(stderr, "gatewayd: invalid policy, not starting:\n%s",
            gw::config::formatErrors(loaded.errors).c_str());
    return 1;
  }
  gw::app::GatewayOptions options;
  options.broker_url_override = broker;
  options.policy_path = policy_path;
  options.state_dir = state_dir;
  options.quarantine_foreign_outbox = quarantine_foreign_outbox;
  options.ops_listen = ops_listen;
  options.drain_timeout = std::chrono::milliseconds(static_cast<int64_t>(drain_seconds * 1000));
  gw::app::Gateway gateway(loaded.policy, options);
  if (gw::Status s = gateway.init(); !s.ok()) {
    spdlog::critical("Gateway failed to start error=\"{}\"", s.message());
    return 1;
  }
  if (gw::Status s = gateway.run(); !s.ok()) return 1;
  spdlog::info("Gateway stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Errors are Status values; an exception here is a bug (or a third-party library's), reported
  // as such rather than as std::terminate's abort.
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gatewayd: unexpected error: %s\n", e.what());
    return 70;  // EX_SOFTWARE
  }
}
