#include "gateway/detectors/builtin/fall/pose_tracker.h"

#include <algorithm>
#include <limits>

namespace gw::detectors::fall {
namespace {

constexpr int kMinVisible = 5;
constexpr int kHeadAndShoulders[] = {
    vision::kNose,     vision::kLeftEye,      vision::kRightEye,     vision::kLeftEar,
    vision::kRightEar, vision::kLeftShoulder, vision::kRightShoulder};

}  // namespace

PoseSample sampleOf(const vision::Pose& pose, int64_t t_ms) {
  PoseSample s;
  s.t_ms = t_ms;
  s.x0 = s.y0 = std::numeric_limits<float>::max();
  s.x1 = s.y1 = std::numeric_limits<float>::lowest();
  cv::Point2f sum;
  for (const auto& p : pose.points) {
    if (p.score < kKeypointMinScore) continue;
    ++s.visible;
    s.x0 = std::min(s.x0, p.at.x);
    s.y0 = std::min(s.y0, p.at.y);
    s.x1 = std::max(s.x1, p.at.x);
    s.y1 = std::max(s.y1, p.at.y);
    sum += p.at;
  }
  if (s.visible == 0) return s;
  s.center = sum * (1.0f / static_cast<float>(s.visible));
  float top = 0;
  int n = 0;
  for (int k : kHeadAndShoulders) {
    if (pose.points[k].score < kKeypointMinScore) continue;
    top += pose.points[k].at.y;
    ++n;
  }
  if (n > 0) s.top = top / static_cast<float>(n);
  return s;
}

void PoseTracker::reset() { tracks_.clear(); }

void PoseTracker::update(const std::vector<vision::Pose>& people, int64_t t_ms) {
  if (!tracks_.empty() && !tracks_.front().samples.empty() && t_ms < tracks_.front().last().t_ms) {
    reset();  // time went backwards: a new stream
  }
  std::vector<PoseSample> samples;
  for (const auto& pose : people) {
    auto s = sampleOf(pose, t_ms);
    if (s.visible >= kMinVisible) samples.push_back(s);
  }
  // Greedy: the closest (sample, track) pairs first.
  std::vector<bool> taken(tracks_.size(), false);
  std::vector<bool> placed(samples.size(), false);
  while (true) {
    double best = std::numeric_limits<double>::max();
    size_t best_track = 0, best_sample = 0;
    for (size_t i = 0; i < tracks_.size(); ++i) {
      if (taken[i]) continue;
      const auto& last = tracks_[i].last();
      const double reach =
          std::max(60.0, 0.6 * std::max<double>(tracks_[i].standing_height, last.height()));
      for (size_t j = 0; j < samples.size(); ++j) {
        if (placed[j]) continue;
        const double d = cv::norm(samples[j].center - last.center);
        if (d <= reach && d < best) {
          best = d;
          best_track = i;
          best_sample = j;
        }
      }
    }
    if (best == std::numeric_limits<double>::max()) break;
    taken[best_track] = true;
    placed[best_sample] = true;
    tracks_[best_track].samples.push_back(samples[best_sample]);
  }
  for (size_t j = 0; j < samples.size(); ++j) {
    if (placed[j]) continue;
    PersonTrack track;
    track.id = next_id_++;
    track.samples.push_back(samples[j]);
    tracks_.push_back(std::move(track));
  }
  const auto keep_ms = static_cast<int64_t>(kReferenceSeconds * 1000);
  const auto lost_ms = static_cast<int64_t>(kLostSeconds * 1000);
  for (auto& track : tracks_) {
    while (track.samples.size() > 1 && track.samples.front().t_ms < t_ms - keep_ms) {
      track.samples.pop_front();
    }
    track.standing_height = 0;
    for (const auto& s : track.samples) {
      if (s.uprightShape()) track.standing_height = std::max(track.standing_height, s.height());
    }
  }
  std::erase_if(tracks_, [&](const PersonTrack& t) { return t.last().t_ms < t_ms - lost_ms; });
}

}  // namespace gw::detectors::fall
