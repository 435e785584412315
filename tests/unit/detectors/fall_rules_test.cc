// The fall detector's decision half on synthetic observations: the pose cue per tracked person,
// the tracker, and the veto of a silhouette alarm by a pose that shows someone sitting. Real
// clips are in fall_detector_test.cc and the shared-data evaluation.
#include <gtest/gtest.h>

#include "gateway/detectors/builtin/fall/fall_detector.h"

namespace gw::detectors::fall {
namespace {

using vision::Pose;

// A person drawn as keypoints: standing (head at `top`, `height` tall, narrow), sitting (head
// still above the hips, shorter) or lying (spread sideways, low).
Pose standing(float x, float top, float height) {
  Pose p;
  for (int k = 0; k < vision::kKeypointCount; ++k) {
    const float along = static_cast<float>(k) / (vision::kKeypointCount - 1);  // head to feet
    p.points[k] = {{x + (k % 2 ? 10.0f : -10.0f), top + along * height}, 0.9f};
  }
  p.score = 0.9f;
  return p;
}

Pose lying(float x, float y, float length) {
  Pose p;
  for (int k = 0; k < vision::kKeypointCount; ++k) {
    const float along = static_cast<float>(k) / (vision::kKeypointCount - 1);
    p.points[k] = {{x + along * length, y + (k % 2 ? 8.0f : -8.0f)}, 0.9f};
  }
  p.score = 0.9f;
  return p;
}

Observation frame(int64_t t_ms, std::vector<Pose> people) {
  Observation o;
  o.t_ms = t_ms;
  o.frame = cv::Size(640, 360);
  o.scale = 0.5;
  o.pose_ran = true;
  o.people = std::move(people);
  return o;
}

// Feeds `steps` (time in ms, people) to a decider; returns the alarms' confirmation times.
std::vector<int64_t> run(FallDecider& decider, const std::vector<Observation>& steps) {
  std::vector<int64_t> alarms;
  for (const auto& o : steps) {
    if (auto d = decider.decide(o)) alarms.push_back(d->confirmed_ms);
  }
  return alarms;
}

TEST(FallRules, APersonWhoGoesDownToLyingAndStaysDownRaisesOneAlarm) {
  FallDecider decider({});
  std::vector<Observation> steps;
  for (int64_t t = 0; t <= 2000; t += 200) steps.push_back(frame(t, {standing(300, 40, 280)}));
  // Down within 0.6 s: the head ends 250 px lower, the body spread sideways.
  steps.push_back(frame(2200, {standing(300, 120, 200)}));
  steps.push_back(frame(2400, {lying(240, 290, 200)}));
  for (int64_t t = 2600; t <= 5000; t += 200) steps.push_back(frame(t, {lying(240, 292, 200)}));
  const auto alarms = run(decider, steps);
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_GE(alarms[0], 2400 + 1000) << "only after confirm_seconds lying";
  EXPECT_LE(alarms[0], 2400 + 1200);
}

TEST(FallRules, LosingThePersonAfterTheDropStillConfirmsGettingUpCancels) {
  // The pose model often loses a lying body: no poses after the drop is not "up again".
  FallDecider lost({});
  std::vector<Observation> steps;
  for (int64_t t = 0; t <= 2000; t += 200) steps.push_back(frame(t, {standing(300, 40, 280)}));
  steps.push_back(frame(2200, {lying(240, 290, 200)}));
  for (int64_t t = 2400; t <= 4000; t += 200) steps.push_back(frame(t, {}));
  EXPECT_EQ(run(lost, steps).size(), 1u);

  FallDecider up({});
  steps.resize(12);  // standing, then the drop
  steps.push_back(frame(2400, {lying(240, 292, 200)}));
  for (int64_t t = 2600; t <= 5000; t += 200) steps.push_back(frame(t, {standing(300, 45, 275)}));
  EXPECT_TRUE(run(up, steps).empty()) << "stood up again within the confirmation time";
}

TEST(FallRules, SittingDownOrASmallDistantPersonRaisesNothing) {
  FallDecider sitting({});
  std::vector<Observation> steps;
  for (int64_t t = 0; t <= 2000; t += 200) steps.push_back(frame(t, {standing(300, 40, 280)}));
  // Sitting: the head comes down 40 % of the height and stays above the hips (taller than wide).
  for (int64_t t = 2200; t <= 6000; t += 200) steps.push_back(frame(t, {standing(300, 152, 170)}));
  EXPECT_TRUE(run(sitting, steps).empty());

  // The same fall by someone 60 px tall (a street camera's far side): too coarse to judge.
  FallDecider far({});
  steps.clear();
  for (int64_t t = 0; t <= 2000; t += 200) steps.push_back(frame(t, {standing(300, 100, 60)}));
  steps.push_back(frame(2200, {lying(285, 156, 45)}));
  for (int64_t t = 2400; t <= 4000; t += 200) steps.push_back(frame(t, {lying(285, 157, 45)}));
  EXPECT_TRUE(run(far, steps).empty());
}

TEST(FallRules, TwoPeopleAreJudgedApart) {
  // A walker passes while someone else stands still: nobody's head "comes down" by mixing the
  // two; then the walker falls, and only that is an alarm.
  FallDecider decider({});
  std::vector<Observation> steps;
  for (int64_t t = 0; t <= 2000; t += 200) {
    const float x = 100 + static_cast<float>(t) / 20;
    steps.push_back(frame(t, {standing(500, 30, 300), standing(x, 40, 280)}));
  }
  EXPECT_TRUE(run(decider, steps).empty());
  std::vector<Observation> fall;
  fall.push_back(frame(2200, {standing(500, 30, 300), lying(150, 290, 200)}));
  for (int64_t t = 2400; t <= 4000; t += 200) {
    fall.push_back(frame(t, {standing(500, 30, 300), lying(150, 292, 200)}));
  }
  EXPECT_EQ(run(decider, fall).size(), 1u);
}

TEST(FallRules, TheTrackerKeepsOnePersonOnOneTrack) {
  PoseTracker tracker;
  tracker.update({standing(300, 40, 280)}, 0);
  tracker.update({standing(310, 42, 280), standing(100, 40, 200)}, 200);
  ASSERT_EQ(tracker.tracks().size(), 2u);
  EXPECT_EQ(tracker.tracks()[0].samples.size(), 2u);
  EXPECT_FLOAT_EQ(tracker.tracks()[0].standing_height, 280);
  tracker.update({}, 2500);  // both unseen for more than 2 s
  EXPECT_TRUE(tracker.tracks().empty());
}

}  // namespace
}  // namespace gw::detectors::fall
