#pragma once
// Drives one sink from its spool on a thread of its own: the oldest message to deliver(); on
// success it leaves the spool, on kRetry it stays at the front and the worker waits (exponential
// backoff with jitter, retry_min..retry_max) and tries the same message again, so the order holds
// and nothing is lost while the actor's own system is down; on kRefused it goes to the sink's
// dead-letter file (<state_dir>/dead-letter/<sink>.jsonl) and the next one follows.
// Counters: sink_delivered_total, sink_retries_total, sink_refused_total{sink}; the gauges
// (up, backlog, lag) are read by the health endpoint.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/actor_service/sink_spool.h"
#include "gateway/actor_service/sinks/sink.h"
#include "gateway/core/counters.h"

namespace gw::actor_service {

struct SinkWorkerOptions {
  std::string name;
  std::chrono::milliseconds retry_min{1000};
  std::chrono::milliseconds retry_max{60'000};
  std::filesystem::path dead_letter_file;
};

class SinkWorker {
 public:
  SinkWorker(SinkWorkerOptions options, std::unique_ptr<Sink> sink, SinkSpool& spool,
             Counters& counters);
  ~SinkWorker();
  SinkWorker(const SinkWorker&) = delete;
  SinkWorker& operator=(const SinkWorker&) = delete;

  void start();
  // Finishes the delivery in progress (bounded by the sink's timeout) and joins.
  void stop();

  const std::string& name() const { return options_.name; }
  // False from a failed delivery until the next success.
  bool up() const { return up_.load(); }
  // Receipt to delivery of the last message delivered, ms.
  int64_t lastLagMs() const { return last_lag_ms_.load(); }
  std::string lastError() const;

 private:
  void run();
  void deadLetter(const gateway::v1::SpooledMessage& message, const std::string& why);
  // Sleeps up to `d`; false once stop() was called.
  bool pause(std::chrono::milliseconds d);

  SinkWorkerOptions options_;
  std::unique_ptr<Sink> sink_;
  SinkSpool& spool_;
  std::atomic<uint64_t>& delivered_;
  std::atomic<uint64_t>& retries_;
  std::atomic<uint64_t>& refused_;
  std::atomic<bool> up_{true};
  std::atomic<int64_t> last_lag_ms_{0};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace gw::actor_service
