#include "gateway/detectors/builtin/fall/fall_analyzer.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

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

bool overlapsHorizontally(const cv::Rect2d& a, const cv::Rect2d& b) {
  return std::min(a.x + a.width, b.x + b.width) > std::max(a.x, b.x);
}

}  // namespace

FallAnalyzer::FallAnalyzer(FallParams params) : params_(params) { reset(); }

void FallAnalyzer::reset() {
  // History in frames does not matter: the learning rate is set from the frame times.
  background_ = cv::createBackgroundSubtractorMOG2(500, 16, true);
  history_.clear();
  last_ms_ = -1;
  candidate_ = false;
  last_ = {};
}

Silhouette FallAnalyzer::measure(const cv::Mat& small, double learning_rate) {
  Silhouette s;
  cv::Mat fg;
  background_->apply(small, fg, learning_rate);
  cv::threshold(fg, fg, kForeground - 1, 255, cv::THRESH_BINARY);
  cv::medianBlur(fg, fg, 5);
  // Close small gaps so that a person in clothes close to the wall's colour stays one blob.
  static const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(9, 9));
  cv::morphologyEx(fg, fg, cv::MORPH_CLOSE, kernel);

  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(fg, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  const double min_area = params_.min_area_fraction * small.cols * small.rows;
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

  // The person: the largest blob and the sizeable blobs next to it (a torso and legs split by
  // a belt or a chair leg).
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
  const double h = std::max(1.0, s.box.height), w = std::max(1.0, s.box.width);
  // A person close to the camera may be cut off at the top of the frame: tall and clipped
  // counts as upright even when the visible part is not taller than wide.
  const bool clipped_tall = s.box.y <= 1 && h >= 0.75 * small.rows;
  s.upright = (h >= 1.1 * w || clipped_tall) && s.angle_deg >= 45;
  s.flat = w >= params_.lying_aspect * h || (s.angle_deg <= 30 && s.axis_ratio >= 1.6);
  return s;
}

std::optional<FallDetection> FallAnalyzer::process(const cv::Mat& image, int64_t time_ms) {
  if (image.empty()) return std::nullopt;
  if (last_ms_ >= 0 && time_ms < last_ms_) reset();
  const double dt_s = last_ms_ < 0 ? 0 : static_cast<double>(time_ms - last_ms_) / 1000.0;
  last_ms_ = time_ms;

  const double scale =
      image.cols > params_.work_width ? double(params_.work_width) / image.cols : 1.0;
  cv::Mat small;
  if (scale < 1.0) {
    cv::resize(image, small, cv::Size(), scale, scale, cv::INTER_AREA);
  } else {
    small = image;
  }
  cv::GaussianBlur(small, small, cv::Size(5, 5), 0);
  // The first frame becomes the background; afterwards the model moves towards each frame at
  // a rate set by the time elapsed, so the behaviour does not depend on the frame rate.
  const double rate =
      dt_s <= 0 ? 1.0
                : std::clamp(0.1 * dt_s / std::max(0.05, params_.background_seconds), 1e-5, 1.0);
  last_ = measure(small, rate);
  return step(last_, time_ms, scale);
}

std::optional<FallDetection> FallAnalyzer::step(const Silhouette& s, int64_t t_ms, double scale) {
  const auto keep_ms =
      static_cast<int64_t>((params_.fall_window_seconds + params_.confirm_seconds + 1.0) * 1000.0);
  while (!history_.empty() && history_.front().t_ms < t_ms - keep_ms) history_.pop_front();

  std::optional<FallDetection> result;
  if (candidate_) {
    // Lying still shows as a silhouette that stays low and flat, or none at all once the
    // background has absorbed the motionless body. Standing up where the person fell, or
    // walking away, ends the candidate.
    if (s.present && overlapsHorizontally(s.box, fall_box_)) {
      if (s.box.height > params_.max_lying_height * upright_height_ && !s.flat) {
        candidate_ = false;
        history_.push_back({t_ms, s});
        return result;
      }
      // The farthest the silhouette got from where it landed (not the path length, which
      // would grow with the frame rate through jitter alone).
      travel_ = std::max(travel_,
                         std::hypot(s.cx - candidate_cx_, s.cy - candidate_cy_) / upright_height_);
    }
    if (travel_ > params_.max_still_motion) {
      candidate_ = false;  // moving on: walked, rolled over and got up, or someone else
    } else if (t_ms - candidate_ms_ >= static_cast<int64_t>(params_.confirm_seconds * 1000.0)) {
      candidate_ = false;
      if (static_cast<double>(t_ms - last_alarm_ms_) >= params_.cooldown_seconds * 1000.0) {
        last_alarm_ms_ = t_ms;
        FallDetection d;
        d.fall_ms = candidate_ms_;
        d.confirmed_ms = t_ms;
        const double drop_score = std::min(1.0, drop_ / (2 * params_.min_drop));
        const double still_score = 1.0 - travel_ / params_.max_still_motion;
        d.confidence = std::clamp(0.5 + 0.25 * drop_score + 0.25 * still_score, 0.0, 1.0);
        d.box = cv::Rect(
            static_cast<int>(fall_box_.x / scale), static_cast<int>(fall_box_.y / scale),
            static_cast<int>(fall_box_.width / scale), static_cast<int>(fall_box_.height / scale));
        result = d;
      }
    }
  } else if (s.present && s.flat && !s.upright) {
    // Was this person upright a moment ago, clearly taller? The tallest upright view in the
    // window is the reference: a partial silhouette (only the part that moved) must not pass
    // for the person's height.
    const Sample* reference = nullptr;
    for (const auto& past : history_) {
      if (past.t_ms < t_ms - static_cast<int64_t>(params_.fall_window_seconds * 1000.0)) continue;
      if (!past.s.present || !past.s.upright || !overlapsHorizontally(past.s.box, s.box)) continue;
      if (reference == nullptr || past.s.box.height > reference->s.box.height) reference = &past;
    }
    double best_drop = 0, best_height = 0;
    if (reference != nullptr) {
      const double h = reference->s.box.height;
      // How far the top of the silhouette came down: unlike the centroid, it does not depend
      // on how much of the legs the background subtraction happens to keep.
      const double drop = (s.box.y - reference->s.box.y) / h;
      if (drop >= params_.min_drop && s.box.height <= params_.max_lying_height * h) {
        best_drop = drop;
        best_height = h;
      }
    }
    if (best_drop > 0) {
      candidate_ = true;
      candidate_ms_ = t_ms;
      upright_height_ = best_height;
      drop_ = best_drop;
      candidate_cx_ = s.cx;
      candidate_cy_ = s.cy;
      fall_box_ = s.box;
      travel_ = 0;
    }
  }
  history_.push_back({t_ms, s});
  return result;
}

}  // namespace gw::detectors::fall
