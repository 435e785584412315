// The camera decoder (FFmpeg directly) on the bundled real clip, checked against OpenCV's
// VideoCapture as an independent reference, and on inputs that must fail cleanly: a missing
// file, a file that is not video, a truncated and a corrupted clip, a V4L2 device that is not
// there, and a stream that accepts the connection but never answers.
#include "gateway/sources/camera/video_decoder.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <fstream>
#include <iterator>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <thread>

#include "tests/support/temp_dir.h"

namespace gw::sources {
namespace {

const std::string kClip = gw::testing::testData("video/s3_Fall_20.mp4").string();

std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void writeAll(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(VideoDecoderTest, DecodesEveryFrameOfARealClipAsOpenCvDoes) {
  cv::VideoCapture reference(kClip, cv::CAP_FFMPEG);
  ASSERT_TRUE(reference.isOpened());
  auto decoder = VideoDecoder::open(kClip, {});
  ASSERT_TRUE(decoder.ok()) << decoder.status().message();
  VideoDecoder& d = **decoder;
  EXPECT_EQ(d.width(), static_cast<int>(reference.get(cv::CAP_PROP_FRAME_WIDTH)));
  EXPECT_EQ(d.height(), static_cast<int>(reference.get(cv::CAP_PROP_FRAME_HEIGHT)));
  EXPECT_NEAR(d.fps(), reference.get(cv::CAP_PROP_FPS), 0.01);

  int frames = 0;
  double previous_ms = -1;
  double worst_mean_difference = 0;
  cv::Mat expected_full, expected, ours;
  while (reference.read(expected_full)) {
    ASSERT_TRUE(d.grab()) << "frame " << frames << ": " << d.error();
    EXPECT_GT(d.positionMs(), previous_ms) << "frame " << frames;
    EXPECT_NEAR(d.positionMs(), reference.get(cv::CAP_PROP_POS_MSEC), 1.0) << "frame " << frames;
    previous_ms = d.positionMs();
    if (frames % 10 == 0) {  // the pixels: same decode, colour conversion and area scaling
      ASSERT_TRUE(d.retrieve(ours, 320, 240));
      ASSERT_EQ(ours.size(), cv::Size(320, 240));
      ASSERT_EQ(ours.type(), CV_8UC3);
      cv::resize(expected_full, expected, cv::Size(320, 240), 0, 0, cv::INTER_AREA);
      cv::Mat difference;
      cv::absdiff(ours, expected, difference);
      const cv::Scalar mean = cv::mean(difference);
      worst_mean_difference = std::max({worst_mean_difference, mean[0], mean[1], mean[2]});
    }
    ++frames;
  }
  EXPECT_GT(frames, 50);
  EXPECT_FALSE(d.grab());
  EXPECT_EQ(d.error(), "") << "the end of a file is not an error";
  EXPECT_EQ(d.corruptPackets(), 0u);
  // Rounding in two different YUV->BGR converters and scalers: a few levels at most, whereas a
  // wrong frame, channel order or geometry differs by tens.
  EXPECT_LT(worst_mean_difference, 4.0);
}

TEST(VideoDecoderTest, RetrieveWithoutASizeGivesTheStreamsOwnSize) {
  auto decoder = VideoDecoder::open(kClip, {});
  ASSERT_TRUE(decoder.ok());
  cv::Mat image;
  EXPECT_FALSE((*decoder)->retrieve(image)) << "nothing grabbed yet";
  ASSERT_TRUE((*decoder)->grab());
  ASSERT_TRUE((*decoder)->retrieve(image));
  EXPECT_EQ(image.cols, (*decoder)->width());
  EXPECT_EQ(image.rows, (*decoder)->height());
}

TEST(VideoDecoderTest, AMissingFileIsNotFoundAndNamed) {
  auto decoder = VideoDecoder::open("/nonexistent/clip.mp4", {});
  ASSERT_FALSE(decoder.ok());
  EXPECT_EQ(decoder.status().code(), StatusCode::kNotFound);
  EXPECT_NE(decoder.status().message().find("/nonexistent/clip.mp4"), std::string::npos);
}

TEST(VideoDecoderTest, AFileThatIsNotVideoIsRefusedAndNamed) {
  gw::testing::TempDir dir;
  const auto path = dir.path() / "readings.csv";
  writeAll(path, "sensor_id;timestamp;P1;P2\n1;2024-01-01T00:00:00;3.1;2.0\n");
  auto decoder = VideoDecoder::open(path.string(), {});
  ASSERT_FALSE(decoder.ok());
  EXPECT_NE(decoder.status().message().find(path.string()), std::string::npos);
}

TEST(VideoDecoderTest, ATruncatedClipEndsEarlyWithoutCrashing) {
  gw::testing::TempDir dir;
  const std::string bytes = readAll(kClip);
  ASSERT_GT(bytes.size(), 10000u);
  const auto path = dir.path() / "truncated.mp4";
  writeAll(path, bytes.substr(0, bytes.size() / 2));
  auto decoder = VideoDecoder::open(path.string(), {});
  if (!decoder.ok()) {  // the index is at the end of this file: refusing it is right too
    EXPECT_NE(decoder.status().message().find(path.string()), std::string::npos);
    return;
  }
  int frames = 0;
  while ((*decoder)->grab() && frames < 100000) ++frames;
  cv::VideoCapture reference(kClip, cv::CAP_FFMPEG);
  EXPECT_LT(frames, static_cast<int>(reference.get(cv::CAP_PROP_FRAME_COUNT)));
}

TEST(VideoDecoderTest, CorruptedPacketsAreSkippedAndTheRestIsDecoded) {
  gw::testing::TempDir dir;
  std::string bytes = readAll(kClip);
  // Overwrite a stretch in the middle of the media data; the container header stays intact.
  const size_t from = bytes.size() / 3;
  for (size_t i = from; i < from + 4096 && i < bytes.size(); ++i) bytes[i] = static_cast<char>(i);
  const auto path = dir.path() / "corrupted.mp4";
  writeAll(path, bytes);
  auto decoder = VideoDecoder::open(path.string(), {});
  ASSERT_TRUE(decoder.ok()) << decoder.status().message();
  int frames = 0;
  cv::Mat image;
  while ((*decoder)->grab()) {
    ASSERT_TRUE((*decoder)->retrieve(image, 160, 120));
    ++frames;
  }
  cv::VideoCapture reference(kClip, cv::CAP_FFMPEG);
  // Frames after the damage still come out: the decoder did not give up at the first bad packet.
  EXPECT_GT(frames, static_cast<int>(reference.get(cv::CAP_PROP_FRAME_COUNT)) / 2);
}

TEST(VideoDecoderTest, AV4l2DeviceThatIsNotThereIsUnavailableAndNamed) {
  auto decoder = VideoDecoder::open("v4l2:97", {});
  ASSERT_FALSE(decoder.ok());
  // libavdevice is installed with the build dependencies: the device is missing, not the input.
  EXPECT_EQ(decoder.status().message().find("cannot load"), std::string::npos)
      << decoder.status().message();
  EXPECT_NE(decoder.status().message().find("v4l2:97"), std::string::npos)
      << decoder.status().message();
}

TEST(VideoDecoderTest, AStreamThatNeverAnswersTimesOutInsteadOfBlocking) {
  // Accepts the TCP connection and then says nothing, like a hung camera.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const int port = acceptor.local_endpoint().port();
  boost::asio::ip::tcp::socket held(io);
  std::thread server([&] {
    boost::system::error_code ignored;
    acceptor.accept(held, ignored);
  });
  DecoderOptions options;
  options.open_timeout = std::chrono::milliseconds(500);
  const std::string uri = "http://127.0.0.1:" + std::to_string(port) + "/stream.mjpg";
  auto decoder = VideoDecoder::open(uri, options);
  ASSERT_FALSE(decoder.ok());
  EXPECT_EQ(decoder.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(decoder.status().message().find("timeout"), std::string::npos)
      << decoder.status().message();
  acceptor.close();
  server.join();
}

TEST(VideoDecoderTest, TheAbortFlagEndsABlockingOpen) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const int port = acceptor.local_endpoint().port();
  boost::asio::ip::tcp::socket held(io);
  std::atomic<bool> abort{false};
  std::thread server([&] {
    boost::system::error_code ignored;
    acceptor.accept(held, ignored);
    abort = true;  // the owner shuts down while the open waits for an answer
  });
  DecoderOptions options;  // no timeout: only the flag can end the open
  options.abort = &abort;
  auto decoder =
      VideoDecoder::open("http://127.0.0.1:" + std::to_string(port) + "/stream.mjpg", options);
  EXPECT_FALSE(decoder.ok());
  server.join();
}

}  // namespace
}  // namespace gw::sources
