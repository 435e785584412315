// YuNet through our own decoding: the same faces as OpenCV's cv::FaceDetectorYN on real frames,
// and, on GMDCSA24 clips with a person facing the camera, the faces an independent Haar scan
// finds (tests/unit/privacy/face_scan.h).
#include "gateway/vision/face_detector.h"

#include <gtest/gtest.h>

#include <opencv2/objdetect/face.hpp>

#include "gateway/vision/model_files.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/privacy/face_scan.h"
#include "tests/unit/vision/labelled_frames.h"

namespace gw::vision {
namespace {

std::vector<cv::Mat> everyNth(const std::filesystem::path& clip, int step) {
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

// Our decoding against OpenCV's on `frames`, at `min_score`; returns the faces compared.
int compareWithOpenCv(const std::vector<cv::Mat>& frames, float min_score) {
  auto ours = FaceDetector::create({min_score, 0.3f, 1.0});
  EXPECT_TRUE(ours.ok()) << ours.status().message();
  if (!ours.ok()) return 0;
  auto reference = cv::FaceDetectorYN::create(modelPath(Model::kYuNetFace).string(), "",
                                              cv::Size(640, 360), min_score, 0.3f, 5000);
  int compared = 0;
  for (const auto& frame : frames) {
    cv::Mat expected;
    reference->setInputSize(frame.size());
    reference->detect(frame, expected);
    const auto faces = (*ours)->detect(frame);
    EXPECT_EQ(static_cast<int>(faces.size()), expected.rows);
    for (int r = 0; r < expected.rows; ++r) {
      const cv::Rect2f want(expected.at<float>(r, 0), expected.at<float>(r, 1),
                            expected.at<float>(r, 2), expected.at<float>(r, 3));
      // OpenCV's NMS works on integer boxes, so the order of near-equal faces may differ.
      auto match = std::find_if(faces.begin(), faces.end(), [&](const Face& f) {
        return std::abs(f.box.x - want.x) < 0.01f && std::abs(f.box.y - want.y) < 0.01f &&
               std::abs(f.box.width - want.width) < 0.01f &&
               std::abs(f.box.height - want.height) < 0.01f;
      });
      if (match == faces.end()) {
        ADD_FAILURE() << "no face at " << want;
        continue;
      }
      EXPECT_NEAR(match->score, expected.at<float>(r, 14), 1e-4);
      for (int k = 0; k < 5; ++k) {
        EXPECT_NEAR(match->landmarks[k].x, expected.at<float>(r, 4 + 2 * k), 0.01);
        EXPECT_NEAR(match->landmarks[k].y, expected.at<float>(r, 5 + 2 * k), 0.01);
      }
      ++compared;
    }
  }
  return compared;
}

TEST(FaceDetectorTest, DecodesAsOpenCvsFaceDetectorYnOnTheBundledClip) {
  const auto frames = everyNth(gw::testing::testData("video/s3_Fall_20.mp4"), 6);
  ASSERT_GE(frames.size(), 10u);
  // A low threshold, so that the clip (a person seen from the side) gives faces to compare.
  EXPECT_GE(compareWithOpenCv(frames, 0.2f), 3);
}

TEST(FaceDetectorTest, ScaledInputGivesBoxesInFramePixels) {
  const auto frames = everyNth(gw::testing::testData("video/s3_Fall_20.mp4"), 6);
  auto full = FaceDetector::create({0.2f, 0.3f, 1.0});
  auto half = FaceDetector::create({0.2f, 0.3f, 0.5});
  ASSERT_TRUE(full.ok() && half.ok());
  int matched = 0;
  for (const auto& frame : frames) {
    const auto a = (*full)->detect(frame);
    const auto b = (*half)->detect(frame);
    for (const auto& f : b) {
      for (const auto& g : a) {
        matched += (f.box & g.box).area() > 0.5f * std::min(f.box.area(), g.box.area());
      }
    }
  }
  EXPECT_GE(matched, 1);
}

// On ../shared/data: the faces a different detector sees, YuNet sees too. Every 12th frame of the
// clips with a person facing the camera.
TEST(FaceDetectorTest, FindsTheFacesAnIndependentScanFinds) {
  const auto dir = gw::testing::sharedDataDir() / "video/gmdcsa24";
  if (!std::filesystem::is_directory(dir)) GTEST_SKIP() << "no " << dir;
  gw::testing::IndependentFaceScan scan;
  ASSERT_TRUE(scan.loaded());
  auto yunet = FaceDetector::create();
  ASSERT_TRUE(yunet.ok()) << yunet.status().message();
  int scanned = 0, found = 0, compared = 0;
  for (const char* clip : {"s3_ADL_07.mp4", "s2_ADL_23.mp4", "s4_ADL_19.mp4"}) {
    const auto frames = everyNth(dir / clip, 12);
    compared += compareWithOpenCv(frames, 0.6f);
    for (const auto& frame : frames) {
      const auto faces = (*yunet)->detect(frame);
      std::vector<cv::Rect> boxes;
      for (const auto& f : faces) boxes.emplace_back(f.box);
      for (const auto& r : scan.faces(frame)) {
        ++scanned;
        found += gw::testing::overlapsAny(r, boxes);
      }
    }
  }
  std::printf("faces compared with OpenCV=%d; independent scan found %d, YuNet %d of them\n",
              compared, scanned, found);
  EXPECT_GE(compared, 10);
  ASSERT_GE(scanned, 5) << "the scan finds no faces: this test proves nothing";
  // The scan also fires on scenery (curtains, a flowered door): most, not all, are faces.
  EXPECT_GE(found, scanned / 2);
}

}  // namespace
}  // namespace gw::vision
