#pragma once
// The edge after the router: one message per (route, datum), in plaintext, on its way through the
// privacy stage, the batcher and the sealing sink (or a dry run's recording sink).
//
//   Router --RoutedMessage--> PrivacyStage --> BatchingStage --> SealingSink --> Outbox
#include <vector>

#include "gateway/pipeline/camera_evidence.h"
#include "gateway/pipeline/data_kind.h"
#include "gateway/pipeline/route.h"
#include "gateway/pipeline/stage.h"

namespace gw::pipeline {

struct RoutedMessage {
  const Route* route = nullptr;  // owned by the route table the router holds
  DataKind kind = DataKind::kMeasurement;
  Priority priority = Priority::kMeasurement;
  gateway::v1::ActorMessage message;
  // A camera event's frame and snapshot; null for everything else.
  CameraEvidencePtr evidence;
};

class RoutedSink {
 public:
  virtual ~RoutedSink() = default;
  // Takes the messages of one reading or event (or one timer's release), in order. Runs on the
  // pipeline thread; may move from `messages`.
  virtual void deliver(std::vector<RoutedMessage>& messages) = 0;
};

}  // namespace gw::pipeline
