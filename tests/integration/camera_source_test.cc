// The camera source on a real video file and on a live HTTP MJPEG stream served by the test,
// which stops and comes back.
#include "gateway/sources/camera/camera_source.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <thread>

#include "tests/support/child_process.h"
#include "tests/support/mosquitto_broker.h"
#include "tests/support/temp_dir.h"

namespace gw::sources {
namespace {

using gw::testing::waitUntil;

const std::string kClip = gw::testing::testData("video/s3_Fall_20.mp4").string();

// The clip's length in ms, read independently of the camera source.
double clipDurationMs() {
  cv::VideoCapture c(kClip, cv::CAP_FFMPEG);
  cv::Mat m;
  double last = 0;
  while (c.read(m)) last = c.get(cv::CAP_PROP_POS_MSEC);
  return last;
}

TEST(CameraSourceTest, FileIsDecodedOnceAndKeptAtTheProcessingRateAndResolution) {
  Counters counters;
  CameraConfig config{"cam", kClip, 5, 320, 240, /*realtime=*/false, /*loop=*/false};
  CameraSource camera(config, counters);
  auto& detector = camera.addConsumer("detector");
  auto& privacy = camera.addConsumer("privacy");
  std::vector<pipeline::FramePtr> seen_by_detector, seen_by_privacy;
  std::thread a([&] {
    while (auto f = detector.take(std::chrono::seconds(5))) seen_by_detector.push_back(f);
  });
  std::thread b([&] {
    while (auto f = privacy.take(std::chrono::seconds(5))) seen_by_privacy.push_back(f);
  });
  camera.start();
  ASSERT_TRUE(waitUntil([&] { return camera.finished(); }, std::chrono::seconds(30)));
  camera.stop();
  a.join();
  b.join();
  // 5 fps over the clip, the first frame included.
  const double expected = clipDurationMs() / 1000.0 * 5 + 1;
  EXPECT_NEAR(static_cast<double>(camera.framesKept()), expected, 1.5);
  EXPECT_EQ(counters.value(counterKey("frames_decoded_total", {{"camera", "cam"}})), 94u);
  // Fast consumers see every kept frame; both get the very same decoded frames (no copies).
  const uint64_t lost_a = detector.dropped(), lost_b = privacy.dropped();
  EXPECT_EQ(seen_by_detector.size() + lost_a, camera.framesKept());
  EXPECT_EQ(seen_by_privacy.size() + lost_b, camera.framesKept());
  ASSERT_FALSE(seen_by_detector.empty());
  EXPECT_EQ(seen_by_detector[0]->image.cols, 320);
  EXPECT_EQ(seen_by_detector[0]->image.rows, 240);
  for (size_t i = 1; i < seen_by_detector.size(); ++i) {
    EXPECT_GT(seen_by_detector[i]->stream_position_ms, seen_by_detector[i - 1]->stream_position_ms);
  }
}

TEST(CameraSourceTest, SlowConsumerGetsTheLatestFrameAndDropsAreCountedNeverQueued) {
  Counters counters;
  CameraConfig config{"cam", kClip, 15, 320, 240, /*realtime=*/true, /*loop=*/false};
  CameraSource camera(config, counters);
  auto& slow = camera.addConsumer("slow");
  std::vector<uint64_t> sequences;
  std::thread consumer([&] {
    while (auto f = slow.take(std::chrono::seconds(5))) {
      sequences.push_back(f->sequence);
      std::this_thread::sleep_for(
          std::chrono::milliseconds(250));  // a detector slower than the camera
    }
  });
  camera.start();
  ASSERT_TRUE(waitUntil([&] { return camera.finished(); }, std::chrono::seconds(30)));
  camera.stop();
  consumer.join();
  const uint64_t dropped =
      counters.value(counterKey("frames_dropped_total", {{"camera", "cam"}, {"consumer", "slow"}}));
  EXPECT_EQ(slow.offered(), camera.framesKept());
  EXPECT_EQ(slow.dropped(), dropped);
  EXPECT_GT(dropped, 0u);
  // Every offered frame was either taken or dropped: no queue grew anywhere.
  EXPECT_EQ(sequences.size() + dropped, camera.framesKept()) << sequences.size() << " taken";
  for (size_t i = 1; i < sequences.size(); ++i) EXPECT_GT(sequences[i], sequences[i - 1]);
}

TEST(CameraSourceTest, MissingFileIsReportedOfflineAndFinishes) {
  Counters counters;
  std::vector<std::string> health;
  CameraConfig config{"cam", "/nonexistent/clip.mp4", 5, 320, 240, false, false};
  CameraSource camera(config, counters,
                      [&](const gateway::v1::Event& e) { health.push_back(e.kind()); });
  camera.start();
  ASSERT_TRUE(waitUntil([&] { return camera.finished(); }, std::chrono::seconds(10)));
  camera.stop();
  EXPECT_EQ(health, (std::vector<std::string>{"camera_offline"}));
}

// A minimal MJPEG-over-HTTP camera: multipart/x-mixed-replace with JPEG frames of the real clip.
class MjpegServer {
 public:
  MjpegServer(int port, int frames_per_session) : port_(port), frames_(frames_per_session) {
    cv::VideoCapture c(kClip, cv::CAP_FFMPEG);
    cv::Mat m;
    while (c.read(m) && jpegs_.size() < 30) {
      std::vector<uchar> jpeg;
      cv::imencode(".jpg", m, jpeg);
      jpegs_.emplace_back(jpeg.begin(), jpeg.end());
    }
  }
  ~MjpegServer() { stop(); }

  void start() {
    stopping_ = false;
    thread_ = std::thread([this] { serve(); });
  }
  // The serving thread notices within ~10 ms and closes everything itself.
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  void serve() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor(io);
    boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                            static_cast<uint16_t>(port_));
    acceptor.open(endpoint.protocol());
    acceptor.set_option(boost::asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen();
    acceptor.non_blocking(true);  // polled, so stop() needs no cross-thread close
    while (!stopping_) {
      boost::system::error_code ec;
      boost::asio::ip::tcp::socket socket(io);
      acceptor.accept(socket, ec);
      if (ec == boost::asio::error::would_block) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      if (ec) break;
      socket.non_blocking(false);
      char request[2048];
      socket.read_some(boost::asio::buffer(request), ec);
      const std::string header =
          "HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=frame\r\n\r\n";
      boost::asio::write(socket, boost::asio::buffer(header), ec);
      for (int i = 0; i < frames_ && !stopping_ && !ec; ++i) {
        const std::string& jpeg = jpegs_[static_cast<size_t>(i) % jpegs_.size()];
        const std::string part = "--frame\r\nContent-Type: image/jpeg\r\nContent-Length: " +
                                 std::to_string(jpeg.size()) + "\r\n\r\n";
        boost::asio::write(socket, boost::asio::buffer(part), ec);
        boost::asio::write(socket, boost::asio::buffer(jpeg), ec);
        boost::asio::write(socket, boost::asio::buffer(std::string("\r\n")), ec);
        std::this_thread::sleep_for(std::chrono::milliseconds(40));
      }
      // The stream "dies": the camera drops the connection.
      socket.close(ec);
    }
  }

  int port_;
  int frames_;
  std::vector<std::string> jpegs_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

TEST(CameraSourceTest, MjpegStreamThatStopsAndComesBackIsReconnected) {
  const int port = gw::testing::freeLoopbackPort();
  MjpegServer server(port, 40);
  server.start();
  // The camera must find the stream up at its first attempt for the expected online/offline order.
  ASSERT_TRUE(
      waitUntil([&] { return gw::testing::acceptsConnections(port); }, std::chrono::seconds(10)));
  Counters counters;
  std::mutex mutex;
  std::vector<std::string> health;
  CameraConfig config{
      "street", "http://127.0.0.1:" + std::to_string(port) + "/stream.mjpg", 10, 320, 240, true,
      false};
  config.max_backoff = std::chrono::milliseconds(2000);
  CameraSource camera(config, counters, [&](const gateway::v1::Event& e) {
    std::lock_guard lock(mutex);
    health.push_back(e.kind());
  });
  auto& consumer = camera.addConsumer("detector");
  std::atomic<int> frames{0};
  std::thread take([&] {
    while (auto f = consumer.take(std::chrono::seconds(20))) ++frames;
  });
  camera.start();
  auto saw = [&](size_t n) {
    std::lock_guard lock(mutex);
    return health.size() >= n;
  };
  ASSERT_TRUE(waitUntil([&] { return saw(1); }, std::chrono::seconds(20)));
  // The server ends each session after 40 frames; stop it so the camera finds nothing for a while.
  ASSERT_TRUE(waitUntil([&] { return saw(2); }, std::chrono::seconds(20)));
  server.stop();
  const int frames_before = frames.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  server.start();  // the camera comes back
  ASSERT_TRUE(
      waitUntil([&] { return saw(3) && frames.load() > frames_before; }, std::chrono::seconds(30)))
      << frames.load();
  camera.stop();
  take.join();
  server.stop();
  std::lock_guard lock(mutex);
  EXPECT_EQ(health[0], "camera_online");
  EXPECT_EQ(health[1], "camera_offline");
  EXPECT_EQ(health[2], "camera_online");
  EXPECT_GE(counters.value(counterKey("camera_reconnects_total", {{"camera", "street"}})), 1u);
}

}  // namespace
}  // namespace gw::sources
