#include "gateway/detectors/builtin/fall/fall_detector.h"

namespace gw::detectors::fall {
namespace {

// Poses are looked for while something moves, for this long after a person was last found
// (lying still fades from the silhouette but must still be seen getting up), and at least this
// often otherwise (someone who walked in slowly enough to stay in the background).
constexpr int64_t kKeepLookingMs = 3000;
constexpr int64_t kLookAtLeastEveryMs = 1000;
// How recent a sitting or standing pose must be to veto a silhouette's alarm.
constexpr int64_t kVetoWithinMs = 600;

}  // namespace

Result<std::unique_ptr<FallObserver>> FallObserver::create(const FallParams& params) {
  auto pose = vision::PoseEstimator::shared();
  if (!pose.ok()) return pose.status();
  return std::unique_ptr<FallObserver>(new FallObserver(params, std::move(pose).value()));
}

FallObserver::FallObserver(const FallParams& params, std::shared_ptr<vision::PoseEstimator> pose)
    : silhouettes_(params.work_width, params.background_seconds, params.min_area_fraction),
      pose_(std::move(pose)) {}

Observation FallObserver::observe(const cv::Mat& image, int64_t t_ms) {
  Observation o;
  o.t_ms = t_ms;
  o.frame = image.size();
  o.silhouette = silhouettes_.measure(image, t_ms);
  o.scale = silhouettes_.scale();
  if (last_pose_ms_ > t_ms) last_pose_ms_ = last_person_ms_ = -1;  // a new stream
  const bool moving = o.silhouette.present;
  const bool recent = last_person_ms_ >= 0 && t_ms - last_person_ms_ <= kKeepLookingMs;
  const bool due = last_pose_ms_ < 0 || t_ms - last_pose_ms_ >= kLookAtLeastEveryMs;
  if (moving || recent || due) {
    o.pose_ran = true;
    o.people = pose_->estimate(image).people;
    last_pose_ms_ = t_ms;
    if (!o.people.empty()) last_person_ms_ = t_ms;
  }
  return o;
}

FallDecider::FallDecider(const FallParams& params)
    : params_(params), silhouette_rule_(params), pose_rule_(params) {}

std::optional<FallDetection> FallDecider::decide(const Observation& o) {
  if (last_ms_ >= 0 && o.t_ms < last_ms_) {
    silhouette_rule_.reset();
    tracker_.reset();
    pose_rule_.reset();
    last_alarm_ms_ = INT64_MIN / 2;
  }
  last_ms_ = o.t_ms;
  if (o.pose_ran) tracker_.update(o.people, o.t_ms);

  std::optional<FallDetection> result;
  auto raise = [&](const CueAlarm& alarm, const cv::Rect2f& frame_box, const char* cue) {
    if (result || static_cast<double>(o.t_ms - last_alarm_ms_) < params_.cooldown_seconds * 1000) {
      return;
    }
    last_alarm_ms_ = o.t_ms;
    FallDetection d;
    d.fall_ms = alarm.fall_ms;
    d.confirmed_ms = alarm.confirmed_ms;
    d.confidence = alarm.confidence;
    d.box = cv::Rect(frame_box) & cv::Rect(0, 0, o.frame.width, o.frame.height);
    d.cue = cue;
    result = d;
  };
  if (auto alarm = silhouette_rule_.step(o.silhouette, o.t_ms)) {
    const cv::Rect2f box(static_cast<float>(alarm->box.x / o.scale),
                         static_cast<float>(alarm->box.y / o.scale),
                         static_cast<float>(alarm->box.width / o.scale),
                         static_cast<float>(alarm->box.height / o.scale));
    const auto person_height = static_cast<float>(alarm->reference_height / o.scale);
    if (pose_rule_.someoneUprightAt(tracker_, box, person_height, o.t_ms, kVetoWithinMs)) {
      ++vetoed_;  // someone sat down or bent over: the pose shows them upright there
    } else {
      raise(*alarm, box, "silhouette");
    }
  }
  // Every frame, so that a candidate confirms on time while the pose is not looked for.
  if (auto alarm = pose_rule_.step(tracker_, o.t_ms, o.frame.height)) {
    raise(*alarm, cv::Rect2f(alarm->box), "pose");
  }
  return result;
}

}  // namespace gw::detectors::fall
