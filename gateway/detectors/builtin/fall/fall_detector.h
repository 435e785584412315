#pragma once
// Fall detection on a fixed camera (docs/DETECTORS.md, decisions 0700 and 1130), in two halves
// so that the expensive one can run once per frame while the cheap one is tuned and evaluated:
//
//  FallObserver (per frame, the cost): the moving silhouette (background subtraction, always,
//    ~2 ms) and, when something moves or someone was seen a moment ago, every person's pose
//    (BodyPix, ~7 ms at 640x360 on one core). A still scene costs the silhouette only.
//  FallDecider (per frame, cheap, all the settings): two cues, each a drop to lying followed by
//    staying down for `confirm_seconds`:
//    - the silhouette's (silhouette_rule.h): good when the pose model loses the lying person,
//      which it often does;
//    - the pose's, per tracked person (pose_rule.h): good when the silhouette is broken up or
//      the person comes down slowly.
//    A silhouette alarm where a pose shows someone sitting or standing is vetoed (someone sat
//    down: the silhouette alone cannot tell). The first cue to confirm raises the alarm; the
//    cooldown keeps it to one per fall.
//
// Every time is a stream time, so a file replayed at any speed gives the same answer. One
// observer and one decider per camera; neither is thread-safe.
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/detectors/builtin/fall/fall_params.h"
#include "gateway/detectors/builtin/fall/pose_rule.h"
#include "gateway/detectors/builtin/fall/pose_tracker.h"
#include "gateway/detectors/builtin/fall/silhouette.h"
#include "gateway/detectors/builtin/fall/silhouette_rule.h"
#include "gateway/vision/pose_estimator.h"

namespace gw::detectors::fall {

// What one frame showed.
struct Observation {
  int64_t t_ms = 0;
  cv::Size frame;
  Silhouette silhouette;  // in working-resolution pixels
  double scale = 1;       // working pixels per frame pixel
  bool pose_ran = false;
  std::vector<vision::Pose> people;  // in frame pixels
};

class FallObserver {
 public:
  // Fails when the pose model cannot be read or loaded (the error names the file).
  static Result<std::unique_ptr<FallObserver>> create(const FallParams& params);

  Observation observe(const cv::Mat& image, int64_t t_ms);

 private:
  FallObserver(const FallParams& params, std::shared_ptr<vision::PoseEstimator> pose);

  SilhouetteSensor silhouettes_;
  std::shared_ptr<vision::PoseEstimator> pose_;  // the process's, shared by every camera
  int64_t last_pose_ms_ = -1;
  int64_t last_person_ms_ = -1;
};

struct FallDetection {
  int64_t fall_ms = 0;       // frame time when the drop was seen
  int64_t confirmed_ms = 0;  // frame time when the alarm was raised
  double confidence = 0;     // 0..1
  cv::Rect box;              // the person, in frame pixels
  const char* cue = "";      // "silhouette" or "pose"
};

class FallDecider {
 public:
  explicit FallDecider(const FallParams& params);

  std::optional<FallDetection> decide(const Observation& observation);
  // Silhouette alarms vetoed because a pose showed someone sitting or standing there.
  int vetoed() const { return vetoed_; }

 private:
  FallParams params_;
  SilhouetteRule silhouette_rule_;
  PoseTracker tracker_;
  PoseRule pose_rule_;
  int64_t last_alarm_ms_ = INT64_MIN / 2;
  int64_t last_ms_ = -1;
  int vetoed_ = 0;
};

}  // namespace gw::detectors::fall
