#include "tests/bench/video/bench_video.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <cstdlib>
#include <vector>

#include "tests/support/temp_dir.h"

namespace gw::bench {

namespace {

// A real 1280x720 clip with a fall in it, when the shared data is there (../shared/data beside
// the repository, or where LANTAARN_SHARED_DATA points, e.g. from a worktree).
std::filesystem::path sharedClip() {
  const char* env = std::getenv("LANTAARN_SHARED_DATA");
  const std::filesystem::path root = env ? env : gw::testing::sharedDataDir();
  return root / "video/gmdcsa24/s3_Fall_16.mp4";
}

cv::Mat syntheticFrame(const VideoSpec& spec, int index, const cv::Mat& background) {
  cv::Mat frame = background.clone();
  for (int w = 0; w < 4; ++w) {  // walkers
    const int x = (index * (3 + w) + w * spec.width / 4) % spec.width;
    const int y = spec.height / 3 + w * spec.height / 10;
    cv::rectangle(frame, cv::Rect(x, y, spec.width / 24, spec.height / 5),
                  cv::Scalar(40 + 40 * w, 90, 200 - 30 * w), cv::FILLED);
  }
  cv::Mat noise(frame.size(), frame.type());
  cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(4));
  frame += noise;
  return frame;
}

}  // namespace

Status writeBenchVideo(const VideoSpec& spec, const std::filesystem::path& path,
                       std::string* origin) {
  cv::VideoWriter writer(path.string(), cv::CAP_FFMPEG, cv::VideoWriter::fourcc('a', 'v', 'c', '1'),
                         spec.fps, cv::Size(spec.width, spec.height));
  if (!writer.isOpened()) return unavailable("OpenCV cannot write H.264 to " + path.string());
  cv::VideoCapture clip;
  if (std::filesystem::exists(sharedClip())) clip.open(sharedClip().string(), cv::CAP_FFMPEG);
  cv::Mat background(spec.height, spec.width, CV_8UC3);
  cv::randu(background, cv::Scalar::all(60), cv::Scalar::all(190));
  cv::GaussianBlur(background, background, cv::Size(7, 7), 0);
  *origin = clip.isOpened() ? sharedClip().filename().string() + " (looped, scaled)" : "synthetic";
  cv::Mat raw, frame;
  for (int i = 0; i < spec.frames; ++i) {
    if (clip.isOpened()) {
      if (!clip.read(raw) || raw.empty()) {
        clip.set(cv::CAP_PROP_POS_FRAMES, 0);
        if (!clip.read(raw) || raw.empty())
          return unavailable("cannot read " + sharedClip().string());
      }
      cv::resize(raw, frame, cv::Size(spec.width, spec.height), 0, 0, cv::INTER_LINEAR);
    } else {
      frame = syntheticFrame(spec, i, background);
    }
    writer.write(frame);
  }
  writer.release();
  return okStatus();
}

}  // namespace gw::bench
