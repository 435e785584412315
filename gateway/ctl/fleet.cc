// `gatewayctl fleet status` and `fleet serve`: the arguments read and wired to gateway/fleet/'s
// FleetWatcher (the broker), FleetTable (the rows) and FleetServer (the page).
#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include "gateway/actor/pinned_gateways.h"
#include "gateway/core/clock.h"
#include "gateway/core/files.h"
#include "gateway/core/listen_address.h"
#include "gateway/ctl/commands.h"
#include "gateway/fleet/fleet_json.h"
#include "gateway/fleet/fleet_server.h"
#include "gateway/fleet/fleet_text.h"
#include "gateway/fleet/fleet_watcher.h"

namespace gw::ctl {
namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(10);

std::atomic<bool> g_interrupted{false};
void onSignal(int) { g_interrupted = true; }

// The watcher's and the table's settings from the shared options; prints why on failure.
bool readWatchArgs(const FleetWatchArgs& args, const char* command, fleet::WatcherConfig& config,
                   fleet::FleetTableOptions& table) {
  auto say = [command](const std::string& message) {
    std::fprintf(stderr, "gatewayctl fleet %s: %s\n", command, message.c_str());
  };
  auto fail = [&say](const std::string& message) {
    say(message);
    return false;
  };
  for (const auto& path : args.operator_key_files) {
    auto key = crypto::readIdentityPublicKeyFile(path, crypto::KeyRole::kOperator);
    if (!key.ok()) return fail(key.status().message());
    table.operator_key_ids.push_back(key->key_id);
  }
  if (!args.gateway_key_paths.empty()) {
    auto pinned = actor::readPinnedGateways(args.gateway_key_paths);
    if (!pinned.ok()) return fail(pinned.status().message());
    for (const auto& note : pinned->skipped) say(note);
    table.gateway_keys = std::move(pinned->keys);
  }
  if (args.stale_after_s <= 0) return fail("--stale-after must be positive");
  table.stale_after = std::chrono::seconds(static_cast<int64_t>(args.stale_after_s));
  config.broker_url = args.broker;
  config.client_id = args.client_id;
  config.username = args.username;
  if (!args.password_file.empty()) {
    auto password = readPasswordFile(args.password_file);
    if (!password.ok()) return fail(password.status().message());
    config.password = std::move(password).value();
  }
  if (!args.tls_ca.empty() || !args.tls_cert.empty() || !args.tls_key.empty()) {
    config.tls = fleet::WatcherTls{args.tls_ca, args.tls_cert, args.tls_key};
  }
  return true;
}

}  // namespace

int runFleetStatus(const FleetStatusArgs& args) {
  fleet::WatcherConfig config;
  fleet::FleetTableOptions table;
  if (!readWatchArgs(args.watch, "status", config, table)) return 2;
  if (args.wait_ms < 0) {
    std::fprintf(stderr, "gatewayctl fleet status: --wait must not be negative\n");
    return 2;
  }
  fleet::FleetWatcher watcher(std::move(config), std::move(table));
  if (Status s = watcher.start(kConnectTimeout); !s.ok()) {
    std::fprintf(stderr, "gatewayctl fleet status: %s\n", s.message().c_str());
    return 2;
  }
  // The broker sends every retained report right after the subscription: the window is for
  // them to arrive (and for any live one), not for gateways to report anew.
  std::this_thread::sleep_for(std::chrono::milliseconds(args.wait_ms));
  const auto rows = watcher.rows(nowUnixMs());
  watcher.stop();

  const fleet::FleetSummary summary = fleet::summarize(rows);
  if (args.json) {
    std::printf("%s\n", fleet::fleetJson(rows).dump(2).c_str());
    std::fprintf(stderr, "%s\n", fleet::summaryLine(summary).c_str());
  } else {
    if (!rows.empty()) std::printf("%s", fleet::fleetText(rows).c_str());
    std::printf("%s\n", fleet::summaryLine(summary).c_str());
  }
  if (rows.empty()) {
    std::fprintf(stderr,
                 "gatewayctl fleet status: no gateway reported on %s within %ld ms (may the "
                 "broker user read lantaarn/v1/+/_gateway/+?)\n",
                 args.watch.broker.c_str(), args.wait_ms);
  }
  return summary.all_ok ? 0 : 1;
}

int runFleetServe(const FleetServeArgs& args) {
  fleet::WatcherConfig config;
  fleet::FleetTableOptions table;
  if (!readWatchArgs(args.watch, "serve", config, table)) return 2;
  auto address = parseListenAddress(args.listen);
  if (!address.ok()) {
    std::fprintf(stderr, "gatewayctl fleet serve: %s\n", address.status().message().c_str());
    return 2;
  }
  fleet::FleetWatcher watcher(std::move(config), std::move(table));
  if (Status s = watcher.start(kConnectTimeout); !s.ok()) {
    std::fprintf(stderr, "gatewayctl fleet serve: %s\n", s.message().c_str());
    return 2;
  }
  fleet::FleetServer server({address->host, address->port}, [&watcher] {
    return fleet::FleetView{watcher.rows(nowUnixMs()), watcher.connected()};
  });
  if (Status s = server.start(); !s.ok()) {
    std::fprintf(stderr, "gatewayctl fleet serve: %s\n", s.message().c_str());
    return 2;
  }
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  const bool v6 = address->host.find(':') != std::string::npos;
  std::fprintf(stderr, "fleet page on http://%s%s%s:%u/ (fleet.json, healthz), broker %s\n",
               v6 ? "[" : "", address->host.c_str(), v6 ? "]" : "", server.port(),
               args.watch.broker.c_str());
  // Short sleeps so a signal is noticed promptly; the server and the watcher run on their own.
  while (!g_interrupted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  server.stop();
  watcher.stop();
  std::fprintf(stderr, "gatewayctl fleet serve: stopped\n");
  return 0;
}

}  // namespace gw::ctl
