#pragma once
// People followed from frame to frame by their BodyPix pose (vision/pose_estimator.h), so that
// each person's keypoints are compared with that person's own a moment ago and a crowd does not
// mix them. Each frame's poses go to the track whose last position is nearest (within 0.6 of
// its height); the others start tracks; a track not seen for 2 s ends.
#include <cmath>
#include <cstdint>
#include <deque>
#include <vector>

#include <opencv2/core.hpp>

#include "gateway/vision/pose_estimator.h"

namespace gw::detectors::fall {

// One person's pose on one frame, in frame pixels.
struct PoseSample {
  int64_t t_ms = 0;
  int visible = 0;                       // keypoints scoring at least kKeypointMinScore
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // their extent
  float top = NAN;                       // mean height of the visible head and shoulder keypoints
  cv::Point2f center;

  float width() const { return x1 - x0; }
  float height() const { return y1 - y0; }
  cv::Rect2f box() const { return {x0, y0, width(), height()}; }
  // Enough keypoints, and narrower than tall: someone standing or sitting up, not lying.
  bool uprightShape() const { return visible >= 8 && width() < 0.8f * height(); }
};

inline constexpr float kKeypointMinScore = 0.3f;

// The summary of a pose; `visible` < 5 means too little of the person was found to use.
PoseSample sampleOf(const vision::Pose& pose, int64_t t_ms);

struct PersonTrack {
  int id = 0;
  std::deque<PoseSample> samples;  // the last few seconds, oldest first
  // The tallest upright shape in the last kReferenceSeconds: how tall this person stands.
  float standing_height = 0;
  const PoseSample& last() const { return samples.back(); }
};

class PoseTracker {
 public:
  static constexpr double kReferenceSeconds = 4;
  static constexpr double kLostSeconds = 2;

  void update(const std::vector<vision::Pose>& people, int64_t t_ms);
  const std::vector<PersonTrack>& tracks() const { return tracks_; }
  void reset();

 private:
  std::vector<PersonTrack> tracks_;
  int next_id_ = 1;
};

}  // namespace gw::detectors::fall
