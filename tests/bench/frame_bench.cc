// Per-frame cost of each camera stage at 720p and 1080p (docs/BENCHMARKS.md): decoding H.264
// (read = decode + conversion to BGR; grab = decode only, what a frame above the processing rate
// needs), scaling to the processing resolution (640x360, INTER_AREA as the camera source does),
// a privacy-mask fill (cv::fillPoly of one polygon: the masks are validated by the policy but not
// applied on this branch, so this is the cost they will have, not a stage that runs), and fall
// detection through the detector factory (the ABI path gatewayd uses) on real frames.
// Anonymisation does not exist on this branch and is not measured.
// The videos are written at start-up into a scratch directory (tests/bench/video/bench_video.h).
// Run: taskset -c 0 build/release/tests/bench/frame_bench   (one core; cv::setNumThreads(1))
#include <benchmark/benchmark.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <cstdlib>
#include <iostream>
#include <map>

#include "gateway/detectors/factory.h"
#include "tests/bench/video/bench_video.h"
#include "tests/support/temp_dir.h"

namespace gw {
namespace {

// Frames per test video: four seconds at 25 fps; the CI smoke asks for fewer
// (LANTAARN_BENCH_VIDEO_FRAMES), since writing them is most of its time.
int videoFrames() {
  const char* env = std::getenv("LANTAARN_BENCH_VIDEO_FRAMES");
  return env && std::atoi(env) > 0 ? std::atoi(env) : 100;
}

struct Videos {
  gw::testing::TempDir dir;
  std::map<int, std::filesystem::path> by_height;  // 720, 1080
  std::string error;
};

Videos& videos() {
  static Videos* v = [] {
    auto* out = new Videos;
    for (auto [w, h] : {std::pair{1280, 720}, std::pair{1920, 1080}}) {
      const auto path = out->dir / ("bench_" + std::to_string(h) + "p.mp4");
      std::string origin;
      const auto st = bench::writeBenchVideo({w, h, 25, videoFrames()}, path, &origin);
      if (!st.ok()) {
        out->error = st.toString();
        break;
      }
      std::cerr << "frame_bench: " << path.filename().string() << " " << w << "x" << h
                << " H.264 from " << origin << ", "
                << std::filesystem::file_size(path) / static_cast<uintmax_t>(videoFrames()) / 1024
                << " KiB/frame\n";
      out->by_height[h] = path;
    }
    return out;
  }();
  return *v;
}

// Opens the test video, reopening it at the end (outside the timing).
class Reader {
 public:
  explicit Reader(const std::filesystem::path& path) : path_(path) { open(); }
  bool ok() const { return capture_.isOpened(); }
  template <typename Step>
  bool next(benchmark::State& state, Step step) {
    if (step(capture_)) return true;
    state.PauseTiming();
    open();
    state.ResumeTiming();
    return step(capture_);
  }

 private:
  void open() { capture_.open(path_.string(), cv::CAP_FFMPEG); }
  std::filesystem::path path_;
  cv::VideoCapture capture_;
};

void BM_DecodeRead(benchmark::State& state) {
  cv::setNumThreads(1);
  if (!videos().error.empty()) return state.SkipWithError(videos().error.c_str());
  Reader reader(videos().by_height[static_cast<int>(state.range(0))]);
  if (!reader.ok()) return state.SkipWithError("cannot open the test video");
  cv::Mat frame;
  for (auto _ : state) {
    if (!reader.next(state, [&](cv::VideoCapture& c) { return c.read(frame); })) {
      return state.SkipWithError("decode failed");
    }
  }
  state.SetItemsProcessed(state.iterations());
}
// FFmpeg decodes on threads of its own: real time, run pinned to one core (taskset -c 0).
BENCHMARK(BM_DecodeRead)->Arg(720)->Arg(1080)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DecodeGrabOnly(benchmark::State& state) {
  cv::setNumThreads(1);
  if (!videos().error.empty()) return state.SkipWithError(videos().error.c_str());
  Reader reader(videos().by_height[static_cast<int>(state.range(0))]);
  if (!reader.ok()) return state.SkipWithError("cannot open the test video");
  for (auto _ : state) {
    if (!reader.next(state, [&](cv::VideoCapture& c) { return c.grab(); })) {
      return state.SkipWithError("decode failed");
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeGrabOnly)->Arg(720)->Arg(1080)->Unit(benchmark::kMillisecond)->UseRealTime();

// Some decoded frames at full size, for the stages after decoding.
std::vector<cv::Mat> decodedFrames(int height, int count) {
  std::vector<cv::Mat> out;
  cv::VideoCapture c(videos().by_height[height].string(), cv::CAP_FFMPEG);
  cv::Mat f;
  while (static_cast<int>(out.size()) < count && c.read(f)) out.push_back(f.clone());
  return out;
}

void BM_ResizeToProcessing(benchmark::State& state) {
  cv::setNumThreads(1);
  if (!videos().error.empty()) return state.SkipWithError(videos().error.c_str());
  const auto frames = decodedFrames(static_cast<int>(state.range(0)), 10);
  if (frames.empty()) return state.SkipWithError("no frames");
  const int interpolation = static_cast<int>(state.range(1));
  cv::Mat out;
  size_t i = 0;
  for (auto _ : state) {
    cv::resize(frames[i++ % frames.size()], out, cv::Size(640, 360), 0, 0, interpolation);
    benchmark::DoNotOptimize(out.data);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(interpolation == cv::INTER_AREA ? "INTER_AREA" : "INTER_LINEAR");
}
BENCHMARK(BM_ResizeToProcessing)
    ->Args({720, cv::INTER_AREA})
    ->Args({1080, cv::INTER_AREA})
    ->Args({720, cv::INTER_LINEAR})
    ->Args({1080, cv::INTER_LINEAR})
    ->Unit(benchmark::kMillisecond);

void BM_MaskFill(benchmark::State& state) {
  cv::setNumThreads(1);
  cv::Mat frame(360, 640, CV_8UC3, cv::Scalar::all(128));
  // A house window in the corner and a strip along the top, as in docs/POLICY.md.
  const std::vector<std::vector<cv::Point>> masks = {{{0, 0}, {192, 0}, {192, 90}, {0, 90}},
                                                     {{400, 0}, {640, 0}, {640, 40}, {420, 60}}};
  for (auto _ : state) {
    cv::fillPoly(frame, masks, cv::Scalar::all(0));
    benchmark::DoNotOptimize(frame.data);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MaskFill)->Unit(benchmark::kMicrosecond);

class CountingSink : public pipeline::EventSink {
 public:
  void emit(const gateway::v1::Event&) override { ++events; }
  int64_t events = 0;
};

void BM_FallDetector(benchmark::State& state) {
  cv::setNumThreads(1);
  if (!videos().error.empty()) return state.SkipWithError(videos().error.c_str());
  // Processing-resolution frames, as the camera source hands them to the detector.
  std::vector<cv::Mat> small;
  for (const auto& f : decodedFrames(720, videoFrames())) {
    cv::Mat s;
    cv::resize(f, s, cv::Size(640, 360), 0, 0, cv::INTER_AREA);
    small.push_back(s);
  }
  if (small.empty()) return state.SkipWithError("no frames");
  gateway::v1::Detector config;
  config.set_id("fall");
  config.add_sources("cam");
  config.mutable_fall();
  Counters counters;
  auto detector = detectors::createDetector(config, &counters);
  if (!detector.ok()) return state.SkipWithError(detector.status().toString().c_str());
  CountingSink sink;
  pipeline::Frame frame;
  frame.camera_id = "cam";
  size_t i = 0;
  for (auto _ : state) {
    frame.image = small[i % small.size()];
    frame.sequence = i + 1;
    frame.stream_position_ms = static_cast<int64_t>(i) * 100;  // 10 fps
    ++i;
    (*detector)->onFrame(frame, sink);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FallDetector)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gw

BENCHMARK_MAIN();
