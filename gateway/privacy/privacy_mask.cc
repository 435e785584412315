#include "gateway/privacy/privacy_mask.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

namespace gw::privacy {

PrivacyMask::PrivacyMask(const google::protobuf::RepeatedPtrField<gateway::v1::Polygon>& polygons,
                         int width, int height)
    : size_(width, height) {
  for (const auto& polygon : polygons) {
    std::vector<cv::Point2d> points;
    for (const auto& p : polygon.points()) points.emplace_back(p.x(), p.y());
    if (points.size() >= 3) polygons_.push_back(std::move(points));
  }
  pixels_ = pixelPolygons(size_);
}

std::vector<std::vector<cv::Point>> PrivacyMask::pixelPolygons(cv::Size size) const {
  std::vector<std::vector<cv::Point>> out;
  out.reserve(polygons_.size());
  for (const auto& polygon : polygons_) {
    std::vector<cv::Point> points;
    points.reserve(polygon.size());
    for (const auto& p : polygon) {
      // Fraction 1.0 is the far edge: map [0,1] onto [0, size] so a mask to the edge covers the
      // last row and column too (fillPoly includes the boundary).
      points.emplace_back(static_cast<int>(std::lround(p.x * size.width)),
                          static_cast<int>(std::lround(p.y * size.height)));
    }
    out.push_back(std::move(points));
  }
  return out;
}

void PrivacyMask::apply(cv::Mat& image) const {
  if (polygons_.empty() || image.empty()) return;
  const auto& polygons = image.size() == size_ ? pixels_ : pixelPolygons(image.size());
  cv::fillPoly(image, polygons, cv::Scalar::all(0), cv::LINE_8);
}

cv::Mat PrivacyMask::coverage(cv::Size size) const {
  cv::Mat out = cv::Mat::zeros(size, CV_8UC1);
  if (!polygons_.empty()) cv::fillPoly(out, pixelPolygons(size), cv::Scalar(255), cv::LINE_8);
  return out;
}

}  // namespace gw::privacy
