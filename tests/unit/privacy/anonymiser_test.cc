// The anonymiser on real video: an independent face detector (face_scan.h, Haar and LBP
// cascades, nothing in common with YuNet) finds faces in the raw frames and none in the anonymised
// snapshots; every person marked by hand (tests/unit/vision/labelled_frames.h) is covered, along
// the silhouette where the person is large enough, and most of the scene is not; the detector's
// reported region is covered.
#include "gateway/privacy/anonymiser.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "gateway/privacy/snapshot.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/privacy/face_scan.h"
#include "tests/unit/vision/labelled_frames.h"

namespace gw::privacy {
namespace {

// Every `step`-th frame of a clip, at the camera's default processing resolution.
std::vector<cv::Mat> frames(const std::filesystem::path& clip, int step) {
  std::vector<cv::Mat> out;
  cv::VideoCapture capture(clip.string(), cv::CAP_FFMPEG);
  cv::Mat raw;
  for (int i = 0; capture.read(raw); ++i) {
    if (i % step) continue;
    cv::Mat frame;
    cv::resize(raw, frame, cv::Size(640, 360), 0, 0, cv::INTER_AREA);
    out.push_back(frame);
  }
  return out;
}

pipeline::Frame asFrame(const cv::Mat& image) {
  pipeline::Frame frame;
  frame.camera_id = "cam";
  frame.image = image;
  return frame;
}

struct ScanTotals {
  int frames = 0, raw_with_faces = 0, snapshots_with_faces = 0;
};

// The per-pixel median of a clip's frames: the scenery without the person moving through it.
cv::Mat medianFrame(const std::vector<cv::Mat>& images) {
  cv::Mat out(images[0].size(), CV_8UC3);
  std::vector<uchar> values(images.size());
  for (int y = 0; y < out.rows; ++y) {
    for (int x = 0; x < out.cols; ++x) {
      for (int c = 0; c < 3; ++c) {
        for (size_t i = 0; i < images.size(); ++i) values[i] = images[i].at<cv::Vec3b>(y, x)[c];
        std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
        out.at<cv::Vec3b>(y, x)[c] = values[values.size() / 2];
      }
    }
  }
  return out;
}

// A face belongs to a person, and people move: what the scan also finds at the same place and size
// in the clip's median (a floor pattern, a flowered door, a shelf) is scenery, not a face.
std::vector<cv::Rect> personFaces(const std::vector<cv::Rect>& found,
                                  const std::vector<cv::Rect>& scenery) {
  std::vector<cv::Rect> out;
  for (const auto& r : found) {
    if (!gw::testing::sameAsAny(r, scenery)) out.push_back(r);
  }
  return out;
}

void scanClip(const std::filesystem::path& clip, int step, const Anonymiser& anonymiser,
              gw::testing::IndependentFaceScan& scan, ScanTotals* totals) {
  const auto images = frames(clip, step);
  ASSERT_FALSE(images.empty()) << clip;
  const auto scenery = scan.sceneryFaces(medianFrame(images));
  for (const auto& image : images) {
    ++totals->frames;
    const auto raw_faces = personFaces(scan.faces(image), scenery);
    if (!raw_faces.empty()) ++totals->raw_with_faces;
    // What leaves the box is the JPEG: scan that, decoded, not the matrix before encoding.
    auto snapshot = anonymisedSnapshot(asFrame(image), gateway::v1::Event(), anonymiser);
    ASSERT_TRUE(snapshot.ok()) << snapshot.status().message();
    const auto faces = gw::testing::survivingFaces(scan.facesInJpeg(snapshot->image()), raw_faces);
    if (!faces.empty()) {
      ++totals->snapshots_with_faces;
      ADD_FAILURE() << clip.filename() << " frame " << totals->frames << ": a face at "
                    << faces[0].x << "," << faces[0].y << " " << faces[0].width << "x"
                    << faces[0].height << " survived anonymisation";
    }
  }
  std::printf("%s: scenery false positives excluded=%zu\n", clip.filename().c_str(),
              scenery.size());
}

class AnonymiserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = Anonymiser::create();
    ASSERT_TRUE(created.ok()) << created.status().message();
    anonymiser_ = std::move(created).value();
    ASSERT_TRUE(scan_.loaded()) << "opencv-data cascades missing";
  }
  std::unique_ptr<Anonymiser> anonymiser_;
  gw::testing::IndependentFaceScan scan_;
};

// The share of `area` that is filled.
double filledShare(const AnonymisedImage& out, const cv::Rect& area) {
  const cv::Rect clipped = area & cv::Rect(0, 0, out.filled.cols, out.filled.rows);
  return cv::countNonZero(out.filled(clipped)) / static_cast<double>(clipped.area());
}

struct CoverTotals {
  int people = 0, covered = 0, frames = 0;
  double filled = 0;  // summed share of each frame that is filled
};

// Every marked person must be at least half covered (a silhouette fills 50-80 % of a person's
// box; a box filled whole, all of it).
void checkCovered(const std::vector<gw::testing::LabelledFrame>& frames, const Anonymiser& a,
                  CoverTotals* totals) {
  for (const auto& f : frames) {
    auto out = a.anonymise(f.image, {});
    ASSERT_TRUE(out.ok()) << out.status().message();
    ++totals->frames;
    totals->filled += cv::countNonZero(out->filled) / static_cast<double>(f.image.total());
    for (const auto& person : f.people) {
      ++totals->people;
      const double share = filledShare(*out, person);
      if (share >= 0.5) {
        ++totals->covered;
      } else {
        ADD_FAILURE() << f.clip << " frame " << f.index << ": the person at " << person << " is "
                      << static_cast<int>(share * 100) << " % covered";
      }
    }
  }
}

#ifndef GW_ANONYMISER_SHARED_DATA  // the quick tests, from the repository alone

// Points LANTAARN_MODELS_DIR at `dir` for the scope.
class ModelsDirFor {
 public:
  explicit ModelsDirFor(const std::filesystem::path& dir) {
    ::setenv("LANTAARN_MODELS_DIR", dir.c_str(), 1);
  }
  ~ModelsDirFor() { ::unsetenv("LANTAARN_MODELS_DIR"); }
};

TEST_F(AnonymiserTest, AMissingModelRefusesToCreateAnAnonymiserNamingTheFile) {
  gw::testing::TempDir empty;
  ModelsDirFor models(empty.path());
  auto created = Anonymiser::create();
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.status().message().find(empty.path().string() + "/"), std::string::npos)
      << created.status().message();
  EXPECT_NE(created.status().message().find(".onnx"), std::string::npos);
}

// The bundled fall (GMDCSA24 s3_Fall_20): standing, falling, lying. The person is covered in every
// frame; while standing close to the camera, along the silhouette (not a rectangle); the scene
// around stays visible.
TEST_F(AnonymiserTest, ThePersonOfTheBundledFallIsCoveredAndMostOfTheSceneIsNot) {
  const auto frames = gw::testing::loadLabelledFrames(gw::testing::testData("video"), "s3_Fall_20");
  ASSERT_EQ(frames.size(), 3u);
  CoverTotals totals;
  checkCovered(frames, *anonymiser_, &totals);
  EXPECT_EQ(totals.covered, 3);
  std::printf("frame filled: %.1f %% on average\n", 100 * totals.filled / totals.frames);
  EXPECT_LT(totals.filled / totals.frames, 0.35) << "the scene is not readable";
  auto standing = anonymiser_->anonymise(frames[0].image, {});
  ASSERT_TRUE(standing.ok());
  const double share = filledShare(*standing, frames[0].people[0]);
  EXPECT_LT(share, 0.95) << "the standing person is a filled rectangle, not a silhouette";
  // The fill colour where filled, the frame untouched elsewhere.
  cv::Mat expected = frames[0].image.clone();
  expected.setTo(kAnonymisedFill, standing->filled);
  EXPECT_EQ(cv::norm(standing->image, expected, cv::NORM_L1), 0);
  EXPECT_GT(cv::countNonZero(standing->filled), 0);
}

TEST_F(AnonymiserTest, AnEmptyFrameGivesAnEmptyImage) {
  auto out = anonymiser_->anonymise(cv::Mat(), {});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->image.empty());
}

TEST_F(AnonymiserTest, TheReportedRegionIsASolidFillInTheSnapshot) {
  const auto clip = frames(gw::testing::testData("video/s3_Fall_20.mp4"), 10);
  ASSERT_FALSE(clip.empty());
  gateway::v1::Event event;
  auto* box = event.mutable_box();
  box->set_x(200);
  box->set_y(150);
  box->set_width(180);
  box->set_height(90);
  auto out = anonymiser_->anonymise(clip.back(), {reportedRegion(event)});
  ASSERT_TRUE(out.ok()) << out.status().message();
  EXPECT_GE(out->reported, 1);
  const cv::Mat inside = out->image(cv::Rect(200, 150, 180, 90));
  cv::Mat channels[3];
  cv::split(inside, channels);
  for (const auto& c : channels) {
    double lo = 0, hi = 0;
    cv::minMaxLoc(c, &lo, &hi);
    EXPECT_EQ(lo, hi) << "the reported region is not one constant colour";
  }
  // The input frame is not changed (other consumers share it).
  EXPECT_GT(cv::norm(clip.back()(cv::Rect(200, 150, 180, 90)), inside, cv::NORM_L1), 0);
}

TEST_F(AnonymiserTest, NoFaceSurvivesOnTheBundledFallClip) {
  ScanTotals totals;
  scanClip(gw::testing::testData("video/s3_Fall_20.mp4"), 12, *anonymiser_, scan_, &totals);
  EXPECT_GE(totals.frames, 5);
  EXPECT_EQ(totals.snapshots_with_faces, 0);
  RecordProperty("raw_frames_with_faces", totals.raw_with_faces);
}

#else  // the slow one, on ../shared/data (anonymiser_shared_data_test)

// GMDCSA24 clips with a person facing the camera: the independent scan must find faces in the
// raw frames (else this test could not fail) and in none of the snapshots.
TEST_F(AnonymiserTest, NoFaceSurvivesOnSharedClipsWithFaces) {
  const auto dir = gw::testing::sharedDataDir() / "video/gmdcsa24";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no " << dir;
  ScanTotals totals;
  for (const char* clip : {"s3_ADL_07.mp4", "s2_ADL_23.mp4", "s4_ADL_19.mp4"}) {
    if (std::filesystem::exists(dir / clip)) scanClip(dir / clip, 12, *anonymiser_, scan_, &totals);
  }
  std::printf("frames=%d raw_with_faces=%d snapshots_with_faces=%d\n", totals.frames,
              totals.raw_with_faces, totals.snapshots_with_faces);
  EXPECT_GE(totals.raw_with_faces, 5) << "the scan finds no faces in raw frames: it proves nothing";
  EXPECT_EQ(totals.snapshots_with_faces, 0);
}

// The people marked by hand on the street clip (5-8 small walkers, groups) and ten GMDCSA24 clips
// (standing, sitting, bending, lying): each is covered.
TEST_F(AnonymiserTest, EveryMarkedPersonOfTheStreetAndGmdcsa24IsCovered) {
  const auto dir = gw::testing::sharedDataDir() / "video";
  const auto frames = gw::testing::loadLabelledFrames(dir);
  if (frames.size() < 40) GTEST_SKIP() << "the clips of " << dir << " are not all there";
  CoverTotals totals;
  checkCovered(frames, *anonymiser_, &totals);
  std::printf("people covered=%d of %d; frame filled %.1f %% on average\n", totals.covered,
              totals.people, 100 * totals.filled / totals.frames);
  EXPECT_EQ(totals.people, 93);
}

#endif

}  // namespace
}  // namespace gw::privacy
