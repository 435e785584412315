#pragma once
// The moving silhouette of a fixed camera's frame, by background subtraction (OpenCV MOG2,
// shadows discarded) at a reduced working resolution: the largest foreground blob plus the
// sizeable blobs that touch it (a torso and legs split by a belt or a chair leg), described by
// its box and its moment ellipse. A person who stops moving fades into the background within
// about `background_seconds`; that fading is itself the cue that someone stays down.
//
// Times come from the frames, never the wall clock, so a file replayed at any speed gives the
// same silhouettes. One sensor per camera; not thread-safe.
#include <opencv2/core.hpp>
#include <opencv2/video/background_segm.hpp>

#include <cstdint>

namespace gw::detectors::fall {

struct Silhouette {
  bool present = false;
  cv::Rect2d box;             // in working-resolution pixels
  double cx = 0, cy = 0;      // centroid
  double angle_deg = 0;       // major axis from horizontal, 0..90
  double axis_ratio = 1;      // major / minor, >= 1
  bool clipped_tall = false;  // cut off at the top of the frame and at least 3/4 as tall as it
};

class SilhouetteSensor {
 public:
  SilhouetteSensor(int work_width, double background_seconds, double min_area_fraction);

  // `image` is BGR or grey; `time_ms` its position in the stream. A time that goes backwards (a
  // stream reconnected, a file looped) starts a new background.
  Silhouette measure(const cv::Mat& image, int64_t time_ms);
  // Working-resolution pixels per frame pixel.
  double scale() const { return scale_; }

 private:
  void reset();

  int work_width_;
  double background_seconds_, min_area_fraction_;
  cv::Ptr<cv::BackgroundSubtractorMOG2> background_;
  int64_t last_ms_ = -1;
  double scale_ = 1;
  cv::Mat small_, foreground_;
};

}  // namespace gw::detectors::fall
