// lantaarn-actor: an actor's receiving service (docs/ACTORS.md section 7).
//   lantaarn-actor --config FILE [--check] [--log-level L] [--log-format text|json]
// Exit codes: 0 after a clean stop (SIGTERM, SIGINT) or a good --check; 1 for an invalid
// config (every problem at file:line:column); 2 when it cannot start (keys, state, broker).
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>

#include "gateway/actor_service/actor_service.h"
#include "gateway/core/logging.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;
void onSignal(int) { g_stop = 1; }

int run(int argc, char** argv) {
  CLI::App app{"lantaarn-actor: receive, verify and hand on a Lantaarn actor's data"};
  std::string config_file;
  bool check_only = false;
  gw::LogOptions log;
  app.add_option("--config", config_file, "the service's YAML configuration")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_flag("--check", check_only, "check the configuration and exit");
  app.add_option("--log-level", log.level, "trace|debug|info|warn|error");
  app.add_option("--log-format", log.format, "text|json");
  CLI11_PARSE(app, argc, argv);
  if (gw::Status s = gw::initLogging(log); !s.ok()) {
    std::fprintf(stderr, "lantaarn-actor: %s\n", s.message().c_str());
    return 2;
  }

  auto loaded = gw::actor_service::loadServiceConfig(config_file);
  if (!loaded.config) {
    std::fprintf(stderr, "%s", gw::config::formatErrors(loaded.errors).c_str());
    std::fprintf(stderr, "lantaarn-actor: %zu problem(s) in %s\n", loaded.errors.size(),
                 config_file.c_str());
    return 1;
  }
  if (check_only) {
    std::printf("%s: ok (actor %s, %zu sinks)\n", config_file.c_str(), loaded.config->actor.c_str(),
                loaded.config->sinks.size());
    return 0;
  }

  auto service = gw::actor_service::ActorService::create(std::move(*loaded.config));
  if (!service.ok()) {
    spdlog::critical("lantaarn-actor cannot start: {}", service.status().message());
    return 2;
  }
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);
  std::signal(SIGPIPE, SIG_IGN);
  if (gw::Status s = (*service)->start(); !s.ok()) {
    spdlog::critical("lantaarn-actor cannot start: {}", s.message());
    return 2;
  }
  while (g_stop == 0) {
    struct timespec pause {
      0, 100'000'000
    };
    nanosleep(&pause, nullptr);
  }
  spdlog::info("lantaarn-actor: stopping");
  (*service)->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lantaarn-actor: unexpected error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "lantaarn-actor: unexpected error\n");
  }
  return 70;
}
