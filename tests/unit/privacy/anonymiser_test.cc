// The anonymiser on real video: an independent face detector (face_scan.h) finds faces in the
// raw frames and none in the anonymised snapshots; the detector's reported region is covered.
#include "gateway/privacy/anonymiser.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "gateway/privacy/snapshot.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/privacy/face_scan.h"

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

// A face belongs to a person, and people move: what the scan also finds at the same place in the
// clip's median (a floor pattern, a flowered door) is scenery, not a face.
std::vector<cv::Rect> personFaces(const std::vector<cv::Rect>& found,
                                  const std::vector<cv::Rect>& scenery) {
  std::vector<cv::Rect> out;
  for (const auto& r : found) {
    if (!gw::testing::overlapsAny(r, scenery)) out.push_back(r);
  }
  return out;
}

void scanClip(const std::filesystem::path& clip, int step, const Anonymiser& anonymiser,
              gw::testing::IndependentFaceScan& scan, ScanTotals* totals) {
  const auto images = frames(clip, step);
  ASSERT_FALSE(images.empty()) << clip;
  const auto scenery = scan.faces(medianFrame(images));
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

#ifndef GW_ANONYMISER_SHARED_DATA  // the quick tests, from the repository alone

TEST_F(AnonymiserTest, MissingCascadesRefuseToCreateAnAnonymiser) {
  gw::testing::TempDir empty;
  auto created = Anonymiser::create(empty.path().string());
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.status().message().find("haarcascade_frontalface_default.xml"),
            std::string::npos);
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
  AnonymisedImage out = anonymiser_->anonymise(clip.back(), {reportedRegion(event)});
  EXPECT_GE(out.reported, 1);
  const cv::Mat inside = out.image(cv::Rect(200, 150, 180, 90));
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

#endif

}  // namespace
}  // namespace gw::privacy
