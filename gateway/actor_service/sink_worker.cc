#include "gateway/actor_service/sink_worker.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "gateway/actor_service/sinks/json_lines_sink.h"
#include "gateway/core/clock.h"

namespace gw::actor_service {

SinkWorker::SinkWorker(SinkWorkerOptions options, std::unique_ptr<Sink> sink, SinkSpool& spool,
                       Counters& counters)
    : options_(std::move(options)),
      sink_(std::move(sink)),
      spool_(spool),
      delivered_(counters.get(counterKey("sink_delivered_total", {{"sink", options_.name}}))),
      retries_(counters.get(counterKey("sink_retries_total", {{"sink", options_.name}}))),
      refused_(counters.get(counterKey("sink_refused_total", {{"sink", options_.name}}))) {}

SinkWorker::~SinkWorker() { stop(); }

void SinkWorker::start() {
  thread_ = std::thread([this] { run(); });
}

void SinkWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string SinkWorker::lastError() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

bool SinkWorker::pause(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, d, [this] { return stopping_; });
}

void SinkWorker::deadLetter(const gateway::v1::SpooledMessage& message, const std::string& why) {
  std::error_code ec;
  std::filesystem::create_directories(options_.dead_letter_file.parent_path(), ec);
  std::ofstream out(options_.dead_letter_file, std::ios::app);
  std::string line = messageJson(message);
  line.pop_back();
  out << line << ",\"refused\":" << nlohmann::json(why.substr(0, 200)).dump() << "}\n";
}

void SinkWorker::run() {
  std::mt19937_64 random(std::random_device{}());
  std::chrono::milliseconds backoff = options_.retry_min;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    auto item = spool_.next(std::chrono::milliseconds(200));
    if (!item) continue;
    const DeliveryOutcome outcome = sink_->deliver(item->message);
    switch (outcome.result) {
      case DeliveryOutcome::Result::kDelivered:
        spool_.done(item->id);
        delivered_.fetch_add(1, std::memory_order_relaxed);
        last_lag_ms_ = nowUnixMs() - item->message.received_unix_ms();
        if (!up_.exchange(true)) spdlog::info("sink {}: delivering again", options_.name);
        backoff = options_.retry_min;
        break;
      case DeliveryOutcome::Result::kRefused:
        spdlog::warn("sink {}: refused {} for good ({}); kept in {}", options_.name,
                     idempotencyKey(item->message), outcome.detail,
                     options_.dead_letter_file.string());
        deadLetter(item->message, outcome.detail);
        spool_.done(item->id);
        refused_.fetch_add(1, std::memory_order_relaxed);
        break;
      case DeliveryOutcome::Result::kRetry: {
        spool_.retry(item->id);
        retries_.fetch_add(1, std::memory_order_relaxed);
        {
          std::lock_guard lock(mutex_);
          last_error_ = outcome.detail;
        }
        if (up_.exchange(false)) {
          spdlog::warn("sink {}: {}; retrying with backoff, messages wait in the spool",
                       options_.name, outcome.detail);
        }
        // Equal jitter: half the backoff fixed, half random, so many actors' services do not
        // hammer a recovering system in step.
        const auto half = backoff.count() / 2;
        const auto wait = std::chrono::milliseconds(
            half + static_cast<int64_t>(random() % static_cast<uint64_t>(half + 1)));
        if (!pause(wait)) return;
        backoff = std::min(backoff * 2, options_.retry_max);
        break;
      }
    }
  }
}

}  // namespace gw::actor_service
