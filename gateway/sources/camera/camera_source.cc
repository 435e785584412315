#include "gateway/sources/camera/camera_source.h"

#include <spdlog/spdlog.h>

#include "gateway/core/clock.h"
#include "gateway/sources/camera/camera_uri.h"

namespace gw::sources {
namespace {

// How long a file played at full speed waits for a detector to take its previous frame: far
// above any detector's call (its budget), short enough that a detector that stopped taking does
// not stall the camera.
constexpr std::chrono::milliseconds kFullSpeedPatience{10'000};

// Sleeps up to `d`, waking early when `stopping` is set.
void interruptibleSleep(std::chrono::milliseconds d, const std::atomic<bool>& stopping) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (!stopping && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

CameraSource::CameraSource(CameraConfig config, Counters& counters, HealthHandler on_health)
    : config_(std::move(config)), counters_(counters), on_health_(std::move(on_health)) {}

CameraSource::~CameraSource() { stop(); }

pipeline::LatestFrameSlot& CameraSource::addConsumer(const std::string& name) {
  auto& slot = consumers_[name];
  if (!slot) slot = std::make_unique<pipeline::LatestFrameSlot>();
  return *slot;
}

std::string CameraSource::framesCounter() const {
  return "frames_decoded_total{camera=\"" + config_.camera_id + "\"";
}

void CameraSource::start() {
  thread_ = std::thread([this] { run(); });
}

void CameraSource::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  for (auto& [name, slot] : consumers_) slot->close();
}

void CameraSource::setOnline(bool online, const std::string& why) {
  if (online_.exchange(online) == online && (online || ever_online_)) return;
  if (online) ever_online_ = true;
  counters_.add(counterKey(online ? "camera_online_total" : "camera_offline_total",
                           {{"camera", config_.camera_id}}));
  spdlog::log(online ? spdlog::level::info : spdlog::level::warn,
              "Camera {} camera={} reason=\"{}\"", online ? "online" : "offline", config_.camera_id,
              why);
  if (!on_health_) return;
  gateway::v1::Event event;
  event.set_detector_id("health");
  event.set_kind(online ? "camera_online" : "camera_offline");
  event.set_severity(online ? gateway::v1::SEVERITY_INFO : gateway::v1::SEVERITY_WARNING);
  event.set_source_id(config_.camera_id);
  event.set_observed_unix_ms(nowUnixMs());
  event.set_summary("camera " + config_.camera_id +
                    (online ? " is delivering frames" : " stopped delivering frames: ") +
                    (online ? "" : why));
  on_health_(event);
}

std::unique_ptr<VideoDecoder> CameraSource::openDecoder(bool live) {
  DecoderOptions options;
  if (live) {
    // A stream that stays connected but sends nothing must not block the decode thread forever.
    options.open_timeout = std::chrono::milliseconds(10000);
    options.read_timeout = std::chrono::milliseconds(10000);
  }
  options.abort = &stopping_;
  auto decoder = VideoDecoder::open(config_.uri, options);
  if (!decoder.ok()) {
    spdlog::warn("Camera open failed camera={} error=\"{}\"", config_.camera_id,
                 decoder.status().message());
    return nullptr;
  }
  return std::move(*decoder);
}

void CameraSource::run() {
  const bool live = isLiveCameraUri(config_.uri);
  auto& decoded =
      counters_.get(counterKey("frames_decoded_total", {{"camera", config_.camera_id}}));
  auto& kept_counter =
      counters_.get(counterKey("frames_kept_total", {{"camera", config_.camera_id}}));
  auto& corrupt_counter =
      counters_.get(counterKey("video_packets_corrupt_total", {{"camera", config_.camera_id}}));
  std::map<std::string, std::atomic<uint64_t>*> dropped;
  for (const auto& [name, slot] : consumers_) {
    dropped[name] = &counters_.get(
        counterKey("frames_dropped_total", {{"camera", config_.camera_id}, {"consumer", name}}));
  }
  const double keep_interval_ms = config_.processing_fps > 0 ? 1000.0 / config_.processing_fps : 0;
  auto backoff = std::chrono::milliseconds(1000);
  uint64_t sequence = 0;

  while (!stopping_) {
    std::unique_ptr<VideoDecoder> decoder = openDecoder(live);
    if (decoder == nullptr) {
      if (!live) {
        spdlog::error("Camera cannot open file camera={} uri={}", config_.camera_id, config_.uri);
        setOnline(false, "cannot open " + config_.uri);
        break;
      }
      setOnline(false, "cannot open stream");
      counters_.add(counterKey("camera_reconnects_total", {{"camera", config_.camera_id}}));
      interruptibleSleep(backoff, stopping_);
      backoff = std::min(backoff * 2, config_.max_backoff);
      continue;
    }
    const double file_fps = decoder->fps();
    const auto pace =
        std::chrono::duration<double, std::milli>(file_fps > 0 ? 1000.0 / file_fps : 0);
    const auto started = std::chrono::steady_clock::now();
    double next_keep_ms = 0;
    int64_t frames_this_session = 0;
    uint64_t corrupt_seen = 0;
    while (!stopping_) {
      // grab() decodes; retrieve() converts and scales (one libswscale pass), which only the
      // frames kept at the processing rate need (docs/BENCHMARKS.md, frame_bench).
      const bool ok = decoder->grab();
      if (decoder->corruptPackets() != corrupt_seen) {
        corrupt_counter.fetch_add(decoder->corruptPackets() - corrupt_seen,
                                  std::memory_order_relaxed);
        corrupt_seen = decoder->corruptPackets();
      }
      if (!ok) {
        if (!decoder->error().empty()) {
          spdlog::warn("Camera decode stopped camera={} error=\"{}\"", config_.camera_id,
                       decoder->error());
        }
        break;
      }
      ++frames_this_session;
      decoded.fetch_add(1, std::memory_order_relaxed);
      backoff = std::chrono::milliseconds(1000);
      setOnline(true, "frames flowing");
      // Position in the stream: the container's timestamp for files, the wall clock for streams.
      const double position_ms = live ? std::chrono::duration<double, std::milli>(
                                            std::chrono::steady_clock::now() - started)
                                            .count()
                                      : decoder->positionMs();
      if (!live && config_.realtime && file_fps > 0) {
        std::this_thread::sleep_until(
            started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                          pace * static_cast<double>(frames_this_session)));
      }
      if (position_ms + 0.5 < next_keep_ms) continue;  // above the processing rate: skip
      auto frame = std::make_shared<pipeline::Frame>();
      if (!decoder->retrieve(frame->image, config_.width, config_.height)) {
        spdlog::warn("Camera conversion failed camera={} error=\"{}\"", config_.camera_id,
                     decoder->error());
        break;
      }
      next_keep_ms = std::max(next_keep_ms + keep_interval_ms, position_ms);
      frame->camera_id = config_.camera_id;
      frame->sequence = ++sequence;
      frame->captured_unix_ms = nowUnixMs();
      frame->stream_position_ms = static_cast<int64_t>(position_ms);
      if (config_.privacy_filter) config_.privacy_filter(frame->image);
      kept_.fetch_add(1);
      kept_counter.fetch_add(1, std::memory_order_relaxed);
      pipeline::FramePtr shared = frame;
      for (auto& [name, slot] : consumers_) {
        // A file at full speed: every kept frame reaches the detectors, whatever the box's speed
        // (a replay must not miss a fall because the CPU is slow); paced and live: latest wins.
        const bool replaced = !live && !config_.realtime
                                  ? slot->putWhenTaken(shared, stopping_, kFullSpeedPatience)
                                  : slot->put(shared);
        if (replaced) dropped[name]->fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (stopping_) break;
    if (!live) {
      if (config_.loop && frames_this_session > 0) continue;
      spdlog::info("Camera file finished camera={} frames_kept={}", config_.camera_id,
                   kept_.load());
      break;
    }
    setOnline(false, "stream ended or stalled");
    counters_.add(counterKey("camera_reconnects_total", {{"camera", config_.camera_id}}));
    interruptibleSleep(backoff, stopping_);
    backoff = std::min(backoff * 2, config_.max_backoff);
  }
  finished_ = true;
}

}  // namespace gw::sources
