// Per-frame cost of each camera stage at 720p and 1080p (docs/BENCHMARKS.md): decoding H.264 with
// the camera source's decoder (VideoDecoder::grab, what every frame costs, kept or not) and its
// conversion and scaling of a kept frame to 640x360 BGR in one libswscale pass (retrieve); for
// comparison OpenCV's VideoCapture, the decoder before decision 1003 (read = decode + conversion
// to BGR; grab = decode only) and cv::resize from full-size BGR (INTER_AREA and INTER_LINEAR);
// the privacy masks (gw::privacy::PrivacyMask::apply, what the camera thread runs, with a policy
// mask of two polygons), fall detection through the detector factory (the ABI path gatewayd
// uses), the forward pass and decoding of each vision model at 640x360 (pose and person mask,
// faces, person boxes: gateway/vision/), and, per event rather than per frame, the snapshot's
// anonymisation (the real gw::privacy::Anonymiser: person masks of the frame and of the frame
// turned a quarter, person boxes, faces, fills) and its JPEG encoding, on real frames of the test
// video scaled to 640x360 from either input size.
// The videos are written at start-up into a scratch directory (tests/bench/video/bench_video.h).
// Run: taskset -c 0 build/release/tests/bench/frame_bench   (one core; cv::setNumThreads(1))
#include <benchmark/benchmark.h>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>

#include "gateway/detectors/factory.h"
#include "gateway/privacy/anonymiser.h"
#include "gateway/privacy/privacy_mask.h"
#include "gateway/privacy/snapshot.h"
#include "gateway/sources/camera/video_decoder.h"
#include "gateway/vision/face_detector.h"
#include "gateway/vision/person_detector.h"
#include "gateway/vision/pose_estimator.h"
#include "tests/bench/call_latency.h"
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

// The camera source's decoder: every frame is grabbed (decoded); reopened at the end, untimed.
void BM_CameraDecode(benchmark::State& state) {
  if (!videos().error.empty()) return state.SkipWithError(videos().error.c_str());
  const std::string path = videos().by_height[static_cast<int>(state.range(0))].string();
  auto decoder = sources::VideoDecoder::open(path, {});
  if (!decoder.ok()) return state.SkipWithError(decoder.status().message().c_str());
  for (auto _ : state) {
    if ((*decoder)->grab()) continue;
    state.PauseTiming();
    decoder = sources::VideoDecoder::open(path, {});
    const bool reopened = decoder.ok() && (*decoder)->grab();
    state.ResumeTiming();
    if (!reopened) return state.SkipWithError("decode failed");
  }
  state.SetItemsProcessed(state.iterations());
}
// One decoder thread (decision 1003): CPU time is the cost.
BENCHMARK(BM_CameraDecode)->Arg(720)->Arg(1080)->Unit(benchmark::kMillisecond);

// A kept frame: conversion to BGR and scaling to 640x360 in one pass, as the camera source does.
void BM_CameraConvertAndScale(benchmark::State& state) {
  if (!videos().error.empty()) return state.SkipWithError(videos().error.c_str());
  auto decoder = sources::VideoDecoder::open(
      videos().by_height[static_cast<int>(state.range(0))].string(), {});
  if (!decoder.ok() || !(*decoder)->grab()) return state.SkipWithError("cannot decode");
  cv::Mat out;
  for (auto _ : state) {
    if (!(*decoder)->retrieve(out, 640, 360)) return state.SkipWithError("conversion failed");
    benchmark::DoNotOptimize(out.data);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CameraConvertAndScale)->Arg(720)->Arg(1080)->Unit(benchmark::kMillisecond);

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

// Decoded frames of the `height`p video scaled to the processing resolution as the camera source
// does (INTER_AREA), i.e. what the mask, the detectors and the snapshot see.
std::vector<cv::Mat> processingFrames(int height, int count) {
  std::vector<cv::Mat> out;
  for (const auto& f : decodedFrames(height, count)) {
    cv::Mat s;
    cv::resize(f, s, cv::Size(640, 360), 0, 0, cv::INTER_AREA);
    out.push_back(s);
  }
  return out;
}

// Two polygons, as a policy writes them (fractions of the frame): a house window in the top left
// corner and a slanted strip of the neighbours' facade along the top right (docs/POLICY.md).
google::protobuf::RepeatedPtrField<gateway::v1::Polygon> policyMasks() {
  gateway::v1::CameraSource camera;
  const std::vector<std::vector<std::pair<double, double>>> polygons = {
      {{0.0, 0.0}, {0.3, 0.0}, {0.3, 0.25}, {0.0, 0.25}},
      {{0.625, 0.0}, {1.0, 0.0}, {1.0, 0.11}, {0.66, 0.17}}};
  for (const auto& polygon : polygons) {
    auto* out = camera.add_privacy_masks();
    for (auto [x, y] : polygon) {
      auto* point = out->add_points();
      point->set_x(x);
      point->set_y(y);
    }
  }
  return camera.privacy_masks();
}

void BM_PrivacyMask(benchmark::State& state) {
  cv::setNumThreads(1);
  if (!videos().error.empty()) return state.SkipWithError(videos().error.c_str());
  auto frames = processingFrames(static_cast<int>(state.range(0)), 10);
  if (frames.empty()) return state.SkipWithError("no frames");
  // Built as source_factory.cc builds it: at the processing resolution, polygons in pixels once.
  const privacy::PrivacyMask mask(policyMasks(), 640, 360);
  size_t i = 0;
  for (auto _ : state) {
    cv::Mat& frame = frames[i++ % frames.size()];
    mask.apply(frame);
    benchmark::DoNotOptimize(frame.data);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PrivacyMask)->Arg(720)->Arg(1080)->Unit(benchmark::kMicrosecond);

// Frames spread over the video (the person walks, falls and lies), masked as the camera masks
// them, so that the anonymiser sees what it sees in gatewayd.
std::vector<cv::Mat> snapshotFrames(int height, size_t count) {
  auto all = processingFrames(height, videoFrames());
  const privacy::PrivacyMask mask(policyMasks(), 640, 360);
  std::vector<cv::Mat> out;
  const size_t step = std::max<size_t>(1, all.size() / count);
  for (size_t i = 0; i < all.size() && out.size() < count; i += step) {
    mask.apply(all[i]);
    out.push_back(all[i]);
  }
  return out;
}

// One anonymiser for every row: loading its networks takes a while (seconds under ASan), and the
// frame worker also keeps one for its life.
struct SharedAnonymiser {
  std::unique_ptr<privacy::Anonymiser> anonymiser;
  std::string error;
};
const SharedAnonymiser& sharedAnonymiser() {
  static const SharedAnonymiser* shared = [] {
    auto* out = new SharedAnonymiser;
    auto made = privacy::Anonymiser::create();
    if (made.ok()) {
      out->anonymiser = std::move(made).value();
    } else {
      out->error = made.status().toString();
    }
    return out;
  }();
  return *shared;
}

// The box a fall event reports (the lying person, in the lower half); the anonymiser covers it too.
const cv::Rect kReportedBox(180, 200, 280, 140);

void BM_Anonymise(benchmark::State& state) {
  cv::setNumThreads(1);
  if (!videos().error.empty()) return state.SkipWithError(videos().error.c_str());
  const auto frames = snapshotFrames(static_cast<int>(state.range(0)), 8);
  if (frames.empty()) return state.SkipWithError("no frames");
  const auto& anonymiser = sharedAnonymiser();
  if (!anonymiser.error.empty()) return state.SkipWithError(anonymiser.error.c_str());
  size_t i = 0;
  int64_t covered = 0;
  for (auto _ : state) {
    auto out = anonymiser.anonymiser->anonymise(frames[i++ % frames.size()], {kReportedBox});
    if (!out.ok()) return state.SkipWithError(out.status().toString().c_str());
    covered += static_cast<int64_t>(out->covered.size());
    benchmark::DoNotOptimize(out->image.data);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["covered_per_frame"] =
      benchmark::Counter(static_cast<double>(covered), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_Anonymise)->Arg(720)->Arg(1080)->Unit(benchmark::kMillisecond);

// Each vision model alone, forward pass and decoding, on 640x360 frames of the 720p video: what
// the anonymiser spends per model (the pose model twice: the frame and the frame turned a
// quarter), and what a pose-based detector spends per frame. One network per row, made once.
template <typename Model, typename Run>
void runModel(benchmark::State& state, Result<std::unique_ptr<Model>> made, Run run) {
  cv::setNumThreads(1);
  if (!videos().error.empty()) return state.SkipWithError(videos().error.c_str());
  if (!made.ok()) return state.SkipWithError(made.status().toString().c_str());
  const auto frames = snapshotFrames(720, 8);
  if (frames.empty()) return state.SkipWithError("no frames");
  size_t i = 0;
  int64_t found = 0;
  for (auto _ : state) found += run(**made, frames[i++ % frames.size()]);
  state.SetItemsProcessed(state.iterations());
  state.counters["found_per_frame"] =
      benchmark::Counter(static_cast<double>(found), benchmark::Counter::kAvgIterations);
}

void BM_PoseForward(benchmark::State& state) {
  runModel(state, vision::PoseEstimator::create(), [](vision::PoseEstimator& m, const cv::Mat& f) {
    return static_cast<int64_t>(m.estimate(f).people.size());
  });
}
BENCHMARK(BM_PoseForward)->Unit(benchmark::kMillisecond);

void BM_FaceForward(benchmark::State& state) {
  runModel(state, vision::FaceDetector::create(), [](vision::FaceDetector& m, const cv::Mat& f) {
    return static_cast<int64_t>(m.detect(f).size());
  });
}
BENCHMARK(BM_FaceForward)->Unit(benchmark::kMillisecond);

void BM_PersonBoxesForward(benchmark::State& state) {
  runModel(state, vision::PersonDetector::create(),
           [](vision::PersonDetector& m, const cv::Mat& f) {
             return static_cast<int64_t>(m.detect(f).size());
           });
}
BENCHMARK(BM_PersonBoxesForward)->Unit(benchmark::kMillisecond);

// The JPEG encoding of an anonymised snapshot (quality 85) through the snapshot code's encoder.
void BM_SnapshotJpeg(benchmark::State& state) {
  cv::setNumThreads(1);
  if (!videos().error.empty()) return state.SkipWithError(videos().error.c_str());
  const auto& anonymiser = sharedAnonymiser();
  if (!anonymiser.error.empty()) return state.SkipWithError(anonymiser.error.c_str());
  // One frame, anonymised once per input size (the benchmark library calls this function several
  // times while it sizes the run): JPEG time varies little by frame.
  static std::map<int64_t, pipeline::Frame> anonymised_by_height;
  auto found = anonymised_by_height.find(state.range(0));
  if (found == anonymised_by_height.end()) {
    const auto frames = snapshotFrames(static_cast<int>(state.range(0)), 1);
    if (frames.empty()) return state.SkipWithError("no frames");
    pipeline::Frame frame;
    frame.camera_id = "cam";
    auto out = anonymiser.anonymiser->anonymise(frames.front(), {kReportedBox});
    if (!out.ok()) return state.SkipWithError(out.status().toString().c_str());
    frame.image = out->image;
    found = anonymised_by_height.emplace(state.range(0), std::move(frame)).first;
  }
  const pipeline::Frame& anonymised = found->second;
  int64_t bytes = 0;
  for (auto _ : state) {
    // rawSnapshot encodes the image it is given as it is: here the already anonymised one, so
    // this is the encoding step of anonymisedSnapshot alone.
    auto snapshot = privacy::rawSnapshot(anonymised);
    if (!snapshot.ok()) return state.SkipWithError(snapshot.status().toString().c_str());
    bytes += static_cast<int64_t>(snapshot->image().size());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["jpeg_bytes"] =
      benchmark::Counter(static_cast<double>(bytes), benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_SnapshotJpeg)->Arg(720)->Arg(1080)->Unit(benchmark::kMillisecond);

class CountingSink : public pipeline::EventSink {
 public:
  void emit(const gateway::v1::Event&) override { ++events; }
  int64_t events = 0;
};

void BM_FallDetector(benchmark::State& state) {
  cv::setNumThreads(1);
  if (!videos().error.empty()) return state.SkipWithError(videos().error.c_str());
  // Processing-resolution frames, as the camera source hands them to the detector.
  const auto small = processingFrames(720, videoFrames());
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

// The hand-off of one 640x360 frame to a frame plugin, inside gatewayd and in its own process
// (isolation: process: a copy into the shared frame ring and a round trip on the socket). The
// plugin (tests/plugin_abi/plugins/frame_plugin.cc, `every` far beyond the run) looks at no pixel,
// so this is the boundary's cost alone; p50_us and p99_us time each call on its own.
void BM_FrameHandOff(benchmark::State& state) {
  if (!videos().error.empty()) return state.SkipWithError(videos().error.c_str());
  const auto small = processingFrames(720, videoFrames());
  if (small.empty()) return state.SkipWithError("no frames");
  gateway::v1::Detector config;
  config.set_id("frames");
  config.add_sources("cam");
  config.set_isolation(state.range(0) == 1 ? gateway::v1::ISOLATION_PROCESS
                                           : gateway::v1::ISOLATION_NONE);
  config.mutable_plugin()->set_path(GW_FRAME_PLUGIN);
  auto* every = config.mutable_plugin()->add_params();
  every->set_key("every");
  every->set_value("1000000000");
  detectors::HostContext host;
  host.detector_host = GW_DETECTOR_HOST;
  auto detector = detectors::createDetector(config, host);
  if (!detector.ok()) return state.SkipWithError(detector.status().toString().c_str());
  CountingSink sink;
  pipeline::Frame frame;
  frame.camera_id = "cam";
  bench::CallLatency latency(1 << 16);
  size_t i = 0;
  for (auto _ : state) {
    frame.image = small[i % small.size()];
    frame.sequence = ++i;
    latency.time([&] { (*detector)->onFrame(frame, sink); });
  }
  latency.report(state);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FrameHandOff)->ArgName("isolated")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gw

BENCHMARK_MAIN();
