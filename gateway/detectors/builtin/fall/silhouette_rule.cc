#include "gateway/detectors/builtin/fall/silhouette_rule.h"

#include <algorithm>
#include <cmath>

namespace gw::detectors::fall {
namespace {

bool overlapsHorizontally(const cv::Rect2d& a, const cv::Rect2d& b) {
  return std::min(a.x + a.width, b.x + b.width) > std::max(a.x, b.x);
}

}  // namespace

bool SilhouetteRule::upright(const Silhouette& s) const {
  const double h = std::max(1.0, s.box.height), w = std::max(1.0, s.box.width);
  return (h >= 1.1 * w || s.clipped_tall) && s.angle_deg >= 45;
}

bool SilhouetteRule::flat(const Silhouette& s) const {
  const double h = std::max(1.0, s.box.height), w = std::max(1.0, s.box.width);
  return w >= params_.lying_aspect * h || (s.angle_deg <= 30 && s.axis_ratio >= 1.6);
}

void SilhouetteRule::reset() {
  history_.clear();
  candidate_ = false;
}

std::optional<CueAlarm> SilhouetteRule::step(const Silhouette& s, int64_t t_ms) {
  if (!history_.empty() && t_ms < history_.back().t_ms) reset();
  const auto keep_ms =
      static_cast<int64_t>((params_.fall_window_seconds + params_.confirm_seconds + 1.0) * 1000.0);
  while (!history_.empty() && history_.front().t_ms < t_ms - keep_ms) history_.pop_front();

  std::optional<CueAlarm> result;
  if (candidate_) {
    // Lying still shows as a silhouette that stays low and flat, or none at all once the
    // background has absorbed the motionless body. Standing up where the person fell, or
    // walking away, ends the candidate.
    if (s.present && overlapsHorizontally(s.box, fall_box_)) {
      if (s.box.height > params_.max_lying_height * upright_height_ && !flat(s)) {
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
      CueAlarm alarm;
      alarm.fall_ms = candidate_ms_;
      alarm.confirmed_ms = t_ms;
      const double drop_score = std::min(1.0, drop_ / (2 * params_.min_drop));
      const double still_score = 1.0 - travel_ / params_.max_still_motion;
      alarm.confidence = std::clamp(0.5 + 0.25 * drop_score + 0.25 * still_score, 0.0, 1.0);
      alarm.box = fall_box_;
      alarm.reference_height = upright_height_;
      result = alarm;
    }
  } else if (s.present && flat(s) && !upright(s)) {
    // Was this person upright a moment ago, clearly taller? The tallest upright view in the
    // window is the reference: a partial silhouette (only the part that moved) must not pass
    // for the person's height.
    const Sample* reference = nullptr;
    for (const auto& past : history_) {
      if (past.t_ms < t_ms - static_cast<int64_t>(params_.fall_window_seconds * 1000.0)) continue;
      if (!past.s.present || !upright(past.s) || !overlapsHorizontally(past.s.box, s.box)) continue;
      if (reference == nullptr || past.s.box.height > reference->s.box.height) reference = &past;
    }
    if (reference != nullptr) {
      const double h = reference->s.box.height;
      // How far the top of the silhouette came down: unlike the centroid, it does not depend
      // on how much of the legs the background subtraction happens to keep.
      const double drop = (s.box.y - reference->s.box.y) / h;
      if (drop >= params_.min_drop && s.box.height <= params_.max_lying_height * h) {
        candidate_ = true;
        candidate_ms_ = t_ms;
        upright_height_ = h;
        drop_ = drop;
        candidate_cx_ = s.cx;
        candidate_cy_ = s.cy;
        fall_box_ = s.box;
        travel_ = 0;
      }
    }
  }
  history_.push_back({t_ms, s});
  return result;
}

}  // namespace gw::detectors::fall
