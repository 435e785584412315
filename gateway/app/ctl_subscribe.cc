#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <mutex>

#include "gateway/actor/actor_subscriber.h"
#include "gateway/app/ctl_commands.h"

namespace gw::app {
namespace {

std::atomic<bool> g_interrupted{false};
void onSignal(int) { g_interrupted = true; }

}  // namespace

int runSubscribe(const SubscribeArgs& args) {
  auto key = crypto::readSecretKeyFile(args.key_file);
  if (!key.ok()) {
    std::fprintf(stderr, "gatewayctl subscribe: %s\n", key.status().message().c_str());
    return 2;
  }
  if (key->actor != args.actor) {
    std::fprintf(
        stderr,
        "gatewayctl subscribe: note: key %s belongs to actor '%s', reading topics of '%s'\n",
        key->key_id.c_str(), key->actor.c_str(), args.actor.c_str());
  }
  std::signal(SIGINT, onSignal);
  std::signal(SIGTERM, onSignal);

  std::mutex mutex;
  std::condition_variable done_cv;
  long received = 0, rejected = 0;
  if (args.persistent_session && args.client_id.empty()) {
    std::fprintf(stderr, "gatewayctl subscribe: --persistent-session needs a stable --client-id\n");
    return 2;
  }
  actor::SubscriberConfig config{args.broker,    args.site,     args.actor,
                                 args.client_id, args.username, *key};
  config.persistent_session = args.persistent_session;
  actor::ActorSubscriber subscriber(config, [&](const actor::Delivery& d) {
    std::lock_guard lock(mutex);
    if (!d.message.ok()) {
      ++rejected;
      std::fprintf(stderr, "rejected message on %s: %s\n", d.topic.c_str(),
                   d.message.status().toString().c_str());
      return;
    }
    if (args.count > 0 && received >= args.count) return;
    ++received;
    const std::string json = actor::toJson(*d.message);
    if (args.json) {
      std::printf("%s\n", json.c_str());
    } else {
      const std::string kind = d.topic.substr(d.topic.find_last_of('/') + 1);
      std::printf("%-15s %-11s %s\n", args.actor.c_str(), kind.c_str(), json.c_str());
    }
    std::fflush(stdout);
    done_cv.notify_all();
  });
  if (Status s = subscriber.start(std::chrono::seconds(10)); !s.ok()) {
    std::fprintf(stderr, "gatewayctl subscribe: %s\n", s.message().c_str());
    return 2;
  }
  std::fprintf(stderr, "subscribed actor=%s site=%s broker=%s\n", args.actor.c_str(),
               args.site.c_str(), args.broker.c_str());

  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<int64_t>(args.timeout_s * 1000));
  bool timed_out = false;
  {
    std::unique_lock lock(mutex);
    while (!g_interrupted) {
      if (args.count > 0 && received >= args.count) break;
      if (args.timeout_s > 0 && std::chrono::steady_clock::now() >= deadline) {
        timed_out = true;
        break;
      }
      // Short waits so a signal is noticed promptly.
      done_cv.wait_for(lock, std::chrono::milliseconds(100));
    }
  }
  subscriber.stop();
  std::lock_guard lock(mutex);
  std::fprintf(stderr, "summary actor=%s received=%ld rejected=%ld\n", args.actor.c_str(), received,
               rejected);
  if (args.count > 0 && received < args.count && timed_out) {
    std::fprintf(stderr, "gatewayctl subscribe: timed out after %ld of %ld messages\n", received,
                 args.count);
    return 1;
  }
  return 0;
}

}  // namespace gw::app
