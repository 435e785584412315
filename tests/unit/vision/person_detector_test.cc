// NanoDet person boxes on frames with people marked by hand (labelled_frames.h): the bundled fall
// clip always, the street clip and the GMDCSA24 clips of ../shared/data when present.
#include "gateway/vision/person_detector.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"
#include "tests/unit/vision/labelled_frames.h"

namespace gw::vision {
namespace {

std::vector<cv::Rect2f> boxesOf(const std::vector<PersonBox>& found) {
  std::vector<cv::Rect2f> out;
  for (const auto& p : found) out.push_back(p.box);
  return out;
}

class PersonDetectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = PersonDetector::create();
    ASSERT_TRUE(created.ok()) << created.status().message();
    detector_ = std::move(created).value();
  }
  std::unique_ptr<PersonDetector> detector_;
};

// s3_Fall_20: standing (frame 15), then fallen and lying (47, 78). Box detectors learnt upright
// people: NanoDet finds the standing one and not the lying one (the anonymiser finds that one
// with the person mask of the turned frame; decision 1120).
TEST_F(PersonDetectorTest, FindsTheStandingPersonOfTheBundledFallNotTheLyingOne) {
  const auto frames = gw::testing::loadLabelledFrames(gw::testing::testData("video"), "s3_Fall_20");
  ASSERT_EQ(frames.size(), 3u);
  for (const auto& f : frames) {
    const auto found = detector_->detect(f.image);
    EXPECT_EQ(gw::testing::found(cv::Rect2f(f.people[0]), boxesOf(found)), f.index == 15)
        << "frame " << f.index << ": " << found.size() << " boxes";
    for (const auto& p : found) {
      EXPECT_GE(p.box.x, 0);
      EXPECT_GE(p.box.y, 0);
      EXPECT_LE(p.box.br().x, 640);
      EXPECT_LE(p.box.br().y, 360);
      EXPECT_GE(p.score, 0.25f);
    }
  }
  EXPECT_TRUE(detector_->detect(cv::Mat()).empty());
}

// The street clip and ten GMDCSA24 clips: how many of the marked people are found, and how many
// boxes are on nobody. Measured for decision 1120 (threshold 0.25): street 62 of 63, GMDCSA24 23
// of 30 (the misses lie on the floor or crouch).
TEST_F(PersonDetectorTest, FindsTheMarkedPeopleOfTheStreetAndGmdcsa24) {
  const auto dir = gw::testing::sharedDataDir() / "video";
  const auto frames = gw::testing::loadLabelledFrames(dir);
  if (frames.size() < 40) GTEST_SKIP() << "the clips of " << dir << " are not all there";
  int people[2] = {0, 0}, found[2] = {0, 0}, stray[2] = {0, 0};
  for (const auto& f : frames) {
    const int set = f.clip.find("vtest") != std::string::npos ? 0 : 1;
    const auto boxes = detector_->detect(f.image);
    for (const auto& person : f.people) {
      ++people[set];
      found[set] += gw::testing::found(cv::Rect2f(person), boxesOf(boxes));
    }
    for (const auto& b : boxes) {
      bool on_someone = false;
      for (const auto& person : f.people) {
        on_someone |= (cv::Rect2f(person) & b.box).area() >= 0.3f * b.box.area();
      }
      stray[set] += !on_someone;
    }
  }
  std::printf("street: %d of %d people found, %d boxes on nobody\n", found[0], people[0], stray[0]);
  std::printf("gmdcsa24: %d of %d people found, %d boxes on nobody\n", found[1], people[1],
              stray[1]);
  EXPECT_EQ(people[0], 63);
  EXPECT_GE(found[0], 61);
  EXPECT_GE(found[1], 22);
}

}  // namespace
}  // namespace gw::vision
