// Privacy masks on real video: masked pixels are constant black, in the frames every consumer of
// the camera gets; pixels outside the mask are the camera's own.
#include "gateway/privacy/privacy_mask.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "gateway/core/counters.h"
#include "gateway/sources/camera/camera_source.h"
#include "tests/support/temp_dir.h"

namespace gw::privacy {
namespace {

google::protobuf::RepeatedPtrField<gateway::v1::Polygon> polygons(
    std::initializer_list<std::initializer_list<std::pair<double, double>>> shapes) {
  google::protobuf::RepeatedPtrField<gateway::v1::Polygon> out;
  for (const auto& shape : shapes) {
    auto* polygon = out.Add();
    for (auto [x, y] : shape) {
      auto* p = polygon->add_points();
      p->set_x(x);
      p->set_y(y);
    }
  }
  return out;
}

// Inside the axis-aligned box [x0,x1) x [y0,y1) in pixels, by plain arithmetic.
bool insideBox(int x, int y, double x0, double y0, double x1, double y1) {
  return x >= x0 && x < x1 && y >= y0 && y < y1;
}

TEST(PrivacyMaskTest, AWindowMaskIsConstantBlackOnEveryFrameTheCameraHandsOut) {
  // The policy example's house window: the top-left 30 % x 25 % of the view.
  const auto masks = polygons({{{0.0, 0.0}, {0.3, 0.0}, {0.3, 0.25}, {0.0, 0.25}}});
  auto mask = std::make_shared<const PrivacyMask>(masks, 320, 240);
  Counters counters;
  sources::CameraConfig config;
  config.camera_id = "cam";
  config.uri = gw::testing::testData("video/s3_Fall_20.mp4").string();
  config.width = 320;
  config.height = 240;
  config.realtime = false;
  config.privacy_filter = [mask](cv::Mat& image) { mask->apply(image); };
  sources::CameraSource camera(config, counters);
  auto& detector = camera.addConsumer("detector:any");
  camera.start();
  int frames = 0;
  size_t outside_nonblack = 0;
  while (auto frame = detector.take(std::chrono::seconds(10))) {
    ++frames;
    const cv::Mat& image = frame->image;
    for (int y = 0; y < image.rows; ++y) {
      for (int x = 0; x < image.cols; ++x) {
        const auto& px = image.at<cv::Vec3b>(y, x);
        if (insideBox(x, y, 0, 0, 0.3 * 320, 0.25 * 240)) {
          ASSERT_EQ(px, cv::Vec3b(0, 0, 0)) << "frame " << frames << " at " << x << "," << y;
        } else if (x > 0.3 * 320 + 1 || y > 0.25 * 240 + 1) {
          outside_nonblack += px != cv::Vec3b(0, 0, 0);
        }
      }
    }
    if (frames >= 12) break;  // enough evidence; keeps the test short under ASan
  }
  camera.stop();
  EXPECT_EQ(frames, 12);
  // The rest of the view is the real scene, not blacked out with it.
  EXPECT_GT(outside_nonblack, static_cast<size_t>(frames) * 320 * 200 * 9 / 10);
}

TEST(PrivacyMaskTest, ATriangleCoversExactlyItsInsideAndScalesToOtherFrameSizes) {
  const auto masks = polygons({{{0.5, 0.1}, {0.9, 0.9}, {0.1, 0.9}}});
  PrivacyMask mask(masks, 640, 360);
  for (cv::Size size : {cv::Size(640, 360), cv::Size(320, 240)}) {
    cv::VideoCapture capture(gw::testing::testData("video/s3_Fall_20.mp4").string(),
                             cv::CAP_FFMPEG);
    cv::Mat raw, frame;
    ASSERT_TRUE(capture.read(raw));
    cv::resize(raw, frame, size);
    const cv::Mat original = frame.clone();
    mask.apply(frame);
    // Independent geometry: OpenCV's point-in-polygon test on the same corners, in pixels.
    std::vector<cv::Point2f> corner = {{0.5f * size.width, 0.1f * size.height},
                                       {0.9f * size.width, 0.9f * size.height},
                                       {0.1f * size.width, 0.9f * size.height}};
    size_t inside = 0, untouched = 0, outside = 0;
    for (int y = 0; y < size.height; ++y) {
      for (int x = 0; x < size.width; ++x) {
        const double d = cv::pointPolygonTest(corner, cv::Point2f(x, y), true);
        if (d > 1.5) {
          ++inside;
          ASSERT_EQ(frame.at<cv::Vec3b>(y, x), cv::Vec3b(0, 0, 0)) << x << "," << y;
        } else if (d < -1.5) {
          ++outside;
          untouched += frame.at<cv::Vec3b>(y, x) == original.at<cv::Vec3b>(y, x);
        }
      }
    }
    EXPECT_GT(inside, static_cast<size_t>(size.area()) / 5);
    EXPECT_EQ(untouched, outside) << "pixels outside the mask changed";
  }
}

}  // namespace
}  // namespace gw::privacy
