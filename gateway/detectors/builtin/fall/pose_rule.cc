#include "gateway/detectors/builtin/fall/pose_rule.h"

#include <algorithm>
#include <cmath>

namespace gw::detectors::fall {
namespace {

// A pose found with fewer keypoints is too partial to say someone is lying: on a street, a
// walker half hidden or half found reads as "head come down" (seen on the street clip).
constexpr int kMinLyingKeypoints = 8;

}  // namespace

bool PoseRule::someoneUprightAt(const PoseTracker& tracker, const cv::Rect2f& box,
                                float person_height, int64_t t_ms, int64_t within_ms) const {
  for (const auto& track : tracker.tracks()) {
    // The taller of the two: a partial pose must not set its own, shorter, reference.
    const float h = std::max(person_height, track.standing_height);
    for (const auto& s : track.samples) {
      if (s.t_ms < t_ms - within_ms || !s.uprightShape()) continue;
      if (s.height() < params_.pose_upright_extent * h) continue;
      if ((s.box() & box).area() > 0) return true;
    }
  }
  return false;
}

std::optional<CueAlarm> PoseRule::step(const PoseTracker& tracker, int64_t t_ms, int frame_height) {
  if (!candidates_.empty() && t_ms < candidates_.begin()->second.t_ms) reset();
  const auto window_ms = static_cast<int64_t>(params_.fall_window_seconds * 1000);
  const float min_height = static_cast<float>(params_.min_person_height * frame_height);
  for (const auto& track : tracker.tracks()) {
    const PoseSample& now = track.last();
    if (now.t_ms != t_ms) continue;  // not seen on this frame
    auto candidate = candidates_.find(track.id);
    if (candidate != candidates_.end()) {
      // Up again: sat up, stood up, or was never down.
      const float h = candidate->second.standing_height;
      if (now.uprightShape() && now.height() >= params_.pose_upright_extent * h) {
        candidates_.erase(candidate);
      }
      continue;
    }
    const float h = track.standing_height;
    if (h < min_height || std::isnan(now.top)) continue;
    float highest = now.top;
    for (const auto& s : track.samples) {
      if (s.t_ms >= t_ms - window_ms && !std::isnan(s.top)) highest = std::min(highest, s.top);
    }
    const float drop = (now.top - highest) / h;
    if (drop >= params_.pose_min_drop && now.height() <= params_.pose_max_lying_extent * h &&
        now.visible >= kMinLyingKeypoints) {
      candidates_[track.id] = {t_ms, h, drop, now.box()};
    }
  }
  std::optional<CueAlarm> result;
  const auto confirm_ms = static_cast<int64_t>(params_.confirm_seconds * 1000);
  for (auto it = candidates_.begin(); it != candidates_.end();) {
    if (t_ms - it->second.t_ms < confirm_ms) {
      ++it;
      continue;
    }
    if (!result) {
      CueAlarm alarm;
      alarm.fall_ms = it->second.t_ms;
      alarm.confirmed_ms = t_ms;
      alarm.confidence =
          std::clamp(0.5 + 0.5 * std::min(1.0, double(it->second.drop) / 1.0), 0.0, 1.0);
      alarm.box = it->second.box;
      result = alarm;
    }
    it = candidates_.erase(it);
  }
  return result;
}

}  // namespace gw::detectors::fall
