#pragma once
// What a message that leaves the gateway carries. It picks the topic (docs/TOPICS.md), the
// message's default priority, and what the privacy stage does with it (only events get snapshots
// and are kept for retention). A typed value so that no stage compares strings to find out.
#include <string_view>

namespace gw::pipeline {

enum class DataKind {
  kMeasurement,  // one reading, or a batch of them (`batch` routes)
  kEvent,        // a detector's or a camera's health event
  kAggregate,    // counts and means per interval (`aggregate` routes), sealed
  kOpenData,     // an aggregate for anyone (`open_data` routes): plain JSON, never sealed
  kKey,          // an actor stream's epoch key (retained)
  kCheckpoint,   // an actor stream's signed checkpoint
};

// The last topic level: lantaarn/v1/<site>/<actor>/<kind>.
constexpr std::string_view topicKind(DataKind kind) {
  switch (kind) {
    case DataKind::kMeasurement:
      return "measurement";
    case DataKind::kEvent:
      return "event";
    case DataKind::kAggregate:
      return "aggregate";
    case DataKind::kOpenData:
      return "open-data";
    case DataKind::kKey:
      return "key";
    case DataKind::kCheckpoint:
      return "checkpoint";
  }
  return "unknown";
}

}  // namespace gw::pipeline
