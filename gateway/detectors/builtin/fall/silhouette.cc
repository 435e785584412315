#include "gateway/detectors/builtin/fall/silhouette.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace gw::detectors::fall {
namespace {

constexpr int kForeground = 200;  // MOG2 marks shadows 127 and foreground 255: keep only the latter

// The moment ellipse of a filled mask: the same second moments fitEllipse approximates, but
// computed over the whole silhouette rather than its outline, so ragged edges matter less.
void ellipseOf(const cv::Mat& mask, Silhouette& s) {
  const cv::Moments m = cv::moments(mask, true);
  if (m.m00 <= 0) return;
  s.cx = m.m10 / m.m00;
  s.cy = m.m01 / m.m00;
  const double a = m.mu20 / m.m00, b = m.mu11 / m.m00, c = m.mu02 / m.m00;
  const double spread = std::sqrt(((a - c) / 2) * ((a - c) / 2) + b * b);
  const double major = (a + c) / 2 + spread, minor = std::max((a + c) / 2 - spread, 1e-6);
  s.axis_ratio = std::sqrt(major / minor);
  const double theta = 0.5 * std::atan2(2 * b, a - c);  // major axis vs the x axis
  s.angle_deg = std::abs(theta) * 180.0 / CV_PI;
  if (s.angle_deg > 90) s.angle_deg = 180 - s.angle_deg;
}

}  // namespace

SilhouetteSensor::SilhouetteSensor(int work_width, double background_seconds,
                                   double min_area_fraction)
    : work_width_(work_width),
      background_seconds_(background_seconds),
      min_area_fraction_(min_area_fraction) {
  reset();
}

void SilhouetteSensor::reset() {
  // History in frames does not matter: the learning rate is set from the frame times.
  background_ = cv::createBackgroundSubtractorMOG2(500, 16, true);
  last_ms_ = -1;
}

Silhouette SilhouetteSensor::measure(const cv::Mat& image, int64_t time_ms) {
  Silhouette s;
  if (image.empty()) return s;
  if (last_ms_ >= 0 && time_ms < last_ms_) reset();
  const double dt_s = last_ms_ < 0 ? 0 : static_cast<double>(time_ms - last_ms_) / 1000.0;
  last_ms_ = time_ms;

  scale_ = image.cols > work_width_ ? double(work_width_) / image.cols : 1.0;
  if (scale_ < 1.0) {
    cv::resize(image, small_, cv::Size(), scale_, scale_, cv::INTER_AREA);
  } else {
    image.copyTo(small_);
  }
  cv::GaussianBlur(small_, small_, cv::Size(5, 5), 0);
  // The first frame becomes the background; afterwards the model moves towards each frame at
  // a rate set by the time elapsed, so the behaviour does not depend on the frame rate.
  const double rate =
      dt_s <= 0 ? 1.0 : std::clamp(0.1 * dt_s / std::max(0.05, background_seconds_), 1e-5, 1.0);
  background_->apply(small_, foreground_, rate);
  cv::Mat& fg = foreground_;
  cv::threshold(fg, fg, kForeground - 1, 255, cv::THRESH_BINARY);
  cv::medianBlur(fg, fg, 5);
  // Close small gaps so that a person in clothes close to the wall's colour stays one blob.
  static const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(9, 9));
  cv::morphologyEx(fg, fg, cv::MORPH_CLOSE, kernel);

  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(fg, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  const double min_area = min_area_fraction_ * small_.cols * small_.rows;
  int largest = -1;
  double largest_area = 0;
  std::vector<double> areas(contours.size());
  for (size_t i = 0; i < contours.size(); ++i) {
    areas[i] = cv::contourArea(contours[i]);
    if (areas[i] > largest_area) {
      largest_area = areas[i];
      largest = static_cast<int>(i);
    }
  }
  if (largest < 0 || largest_area < min_area) return s;

  const cv::Rect core = cv::boundingRect(contours[largest]);
  const cv::Rect reach(core.x - core.width / 4, core.y - core.height / 4, core.width * 3 / 2,
                       core.height * 3 / 2);
  cv::Mat person = cv::Mat::zeros(fg.size(), CV_8U);
  cv::Rect box = core;
  for (size_t i = 0; i < contours.size(); ++i) {
    if (areas[i] < 0.1 * largest_area) continue;
    const cv::Rect r = cv::boundingRect(contours[i]);
    if (static_cast<int>(i) != largest && (r & reach).area() == 0) continue;
    cv::drawContours(person, contours, static_cast<int>(i), 255, cv::FILLED);
    box |= r;
  }
  s.present = true;
  s.box = box;
  ellipseOf(person, s);
  // A person close to the camera may be cut off at the top of the frame: tall and clipped
  // counts as upright even when the visible part is not taller than wide.
  s.clipped_tall = s.box.y <= 1 && s.box.height >= 0.75 * small_.rows;
  return s;
}

}  // namespace gw::detectors::fall
