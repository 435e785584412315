#include "tests/bench/load/webhook_tally.h"

#include <google/protobuf/util/json_util.h>

#include "tests/bench/load/sensor_feeder.h"

namespace gw::load {

WebhookTally::WebhookTally(int sources) : tally_(sources) {
  receiver_.setHandler([this](gw::testing::RecordedRequest&& r) {
    const int64_t at_us = wallMicros();
    auto key = r.headers.find("idempotency-key");
    Arrival a{at_us, key == r.headers.end() ? std::string() : std::move(key->second),
              std::move(r.body)};
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(a));
  });
}

void WebhookTally::drain() {
  draining_.clear();
  {
    std::lock_guard lock(mutex_);
    std::swap(draining_, pending_);
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  for (auto& a : draining_) {
    ++requests_;
    if (!keys_.insert(a.key).second) {
      ++duplicate_requests_;
      ++tally_.count.envelope_duplicates;
    }
    gateway::v1::ActorMessage m;
    if (!google::protobuf::util::JsonStringToMessage(a.body, &m, options).ok()) {
      ++unparsable_;
      ++tally_.count.rejected;
      continue;
    }
    const auto [readings, events] = tally_.add(m, a.at_us);
    readings_seen_ += readings;
    events_seen_ += events;
    if (first_data_us_ == 0) first_data_us_ = a.at_us;
    last_data_us_ = std::max(last_data_us_, a.at_us);
  }
}

}  // namespace gw::load
