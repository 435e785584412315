#pragma once
// Privacy masks: areas of a camera's view (house windows, a garden) that no consumer may see.
// They are blacked out in the decoded frame, once, before the frame is handed to any detector,
// snapshot or store, so nothing downstream can forget to respect them.
#include <opencv2/core/mat.hpp>

#include <vector>

#include "gateway/v1/policy.pb.h"

namespace gw::privacy {

class PrivacyMask {
 public:
  // `polygons` in fractions of the frame (the policy's form); `width` x `height` the processing
  // resolution the frames will have.
  PrivacyMask(const google::protobuf::RepeatedPtrField<gateway::v1::Polygon>& polygons, int width,
              int height);

  bool empty() const { return polygons_.empty(); }
  // Fills every masked pixel with black. Frames of another size are masked by scaling the
  // polygons to them, so a mask never silently misses.
  void apply(cv::Mat& image) const;
  // The masked area as an 8-bit image of `size` (255 = masked), for tests and the register.
  cv::Mat coverage(cv::Size size) const;

 private:
  std::vector<std::vector<cv::Point>> pixelPolygons(cv::Size size) const;

  std::vector<std::vector<cv::Point2d>> polygons_;  // fractions
  cv::Size size_;
  std::vector<std::vector<cv::Point>> pixels_;  // at size_
};

}  // namespace gw::privacy
