#pragma once
// The pose's fall cue, per tracked person: within `fall_window_seconds` the head and shoulders
// come down by `pose_min_drop` of the person's standing height, to a pose that spans at most
// `pose_max_lying_extent` of it vertically (lying, where sitting or crouching stays taller);
// then for `confirm_seconds` the person does not show an upright shape again (sitting up or
// standing: `pose_upright_extent`). A lying body is often not found by the pose model at all;
// losing the person after the drop does not cancel, getting up does.
//
// People shorter than `min_person_height` of the frame are not judged: their keypoints are too
// coarse (the model's grid is 16 input pixels) to tell a fall from noise. Pure and stateful per
// camera; times are stream times.
#include <map>
#include <optional>

#include "gateway/detectors/builtin/fall/fall_params.h"
#include "gateway/detectors/builtin/fall/pose_tracker.h"
#include "gateway/detectors/builtin/fall/silhouette_rule.h"

namespace gw::detectors::fall {

class PoseRule {
 public:
  explicit PoseRule(const FallParams& params) : params_(params) {}

  // After the tracker took this frame's poses; `frame_height` in pixels. The alarm's box is in
  // frame pixels.
  std::optional<CueAlarm> step(const PoseTracker& tracker, int64_t t_ms, int frame_height);
  // True when a tracked person overlapping `box` (frame pixels) showed an upright shape at least
  // `pose_upright_extent` of `person_height` (frame pixels: how tall the one who fell stood)
  // within the last `within_ms`: someone sitting or standing there, not lying.
  bool someoneUprightAt(const PoseTracker& tracker, const cv::Rect2f& box, float person_height,
                        int64_t t_ms, int64_t within_ms) const;
  void reset() { candidates_.clear(); }

 private:
  struct Candidate {
    int64_t t_ms;
    float standing_height;
    float drop;  // in standing heights
    cv::Rect2f box;
  };

  FallParams params_;
  std::map<int, Candidate> candidates_;  // by track id
};

}  // namespace gw::detectors::fall
