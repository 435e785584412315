#pragma once
// Fall detection on a fixed camera, classical and weight-free (docs/DETECTORS.md, decision 0700):
//
//  1. Background subtraction (OpenCV MOG2, shadows discarded) at a reduced working resolution
//     gives the moving silhouette: the largest foreground blob plus the blobs that touch it.
//  2. Shape: the silhouette's bounding box and its moment ellipse (orientation, axis ratio) say
//     whether the person is upright or lying.
//  3. Speed: a fall is a large drop of the silhouette's centroid, relative to the person's
//     upright height, within a short window (falls take 0.4-0.8 s; Lin & Ling 2007).
//  4. Inactivity: the alarm is raised only when the person stays lying, nearly still, for a
//     confirmation time, so that someone who trips and gets up does not page an ambulance.
//
// Times come from the frames, never from the wall clock, so a file replayed at any speed gives
// the same answer. One analyzer per camera; not thread-safe (the ABI never overlaps calls).
#include <opencv2/core.hpp>
#include <opencv2/video/background_segm.hpp>

#include <cstdint>
#include <deque>
#include <optional>

namespace gw::detectors::fall {

// Defaults in brackets are documented in proto/gateway/v1/policy.proto (FallDetector).
struct FallParams {
  int work_width = 320;              // frames are scaled down to this width first
  double background_seconds = 1;     // how fast the background absorbs still things
  double min_area_fraction = 0.004;  // smallest silhouette, as a fraction of the frame
  double fall_window_seconds = 2.0;  // the drop from upright to lying must happen within this
  double min_drop = 0.4;             // centroid drop, as a fraction of the upright height
  double max_lying_height = 0.6;     // lying silhouette height / upright height, at most
  double lying_aspect = 1.2;         // lying: box width/height at least this, or a flat ellipse
  double confirm_seconds = 1.0;      // lying and still this long raises the alarm
  double max_still_motion = 0.35;    // centroid travel while confirming, in upright heights
  double cooldown_seconds = 30;      // no second alarm for the same camera within this
};

struct FallDetection {
  int64_t fall_ms = 0;       // frame time when the drop was seen
  int64_t confirmed_ms = 0;  // frame time when the alarm was raised
  double confidence = 0;     // 0..1
  cv::Rect box;              // the person, in the caller's frame coordinates
};

// What the analyzer measured on one frame (exposed for tests and tuning).
struct Silhouette {
  bool present = false;
  cv::Rect2d box;         // in working-resolution pixels
  double cx = 0, cy = 0;  // centroid
  double angle_deg = 0;   // major axis from horizontal, 0..90
  double axis_ratio = 1;  // major / minor, >= 1
  bool upright = false;
  bool flat = false;  // lying-like shape
};

class FallAnalyzer {
 public:
  explicit FallAnalyzer(FallParams params);

  // `image` is BGR or grey; `time_ms` is the frame's position in its stream. A time that goes
  // backwards (a stream reconnected, a file looped) restarts the analysis.
  std::optional<FallDetection> process(const cv::Mat& image, int64_t time_ms);
  const Silhouette& last() const { return last_; }

 private:
  struct Sample {
    int64_t t_ms;
    Silhouette s;
  };
  void reset();
  Silhouette measure(const cv::Mat& small, double learning_rate);
  std::optional<FallDetection> step(const Silhouette& s, int64_t t_ms, double scale);

  FallParams params_;
  cv::Ptr<cv::BackgroundSubtractorMOG2> background_;
  std::deque<Sample> history_;
  int64_t last_ms_ = -1;
  int64_t last_alarm_ms_ = INT64_MIN / 2;
  Silhouette last_;
  // A candidate fall being confirmed.
  bool candidate_ = false;
  int64_t candidate_ms_ = 0;
  double upright_height_ = 0;
  double drop_ = 0;
  double candidate_cx_ = 0, candidate_cy_ = 0;
  cv::Rect2d fall_box_;
  double travel_ = 0;
};

}  // namespace gw::detectors::fall
