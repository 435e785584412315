#include "gateway/sources/camera/video_decoder.h"

#include <spdlog/spdlog.h>

#include <dlfcn.h>

#include <cerrno>
#include <mutex>
#include <thread>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavdevice/version.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
}

namespace gw::sources {
namespace {

using Clock = std::chrono::steady_clock;

// A stream that keeps failing packet after packet is not a stream with a few corrupt packets.
constexpr int kMaxConsecutiveCorruptPackets = 100;

std::string avError(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

// FFmpeg logs to stderr by itself. Its messages go to the debug log instead: what matters to an
// operator (a file that cannot be opened, a stream that stalls, corrupt packets) is reported and
// counted by the camera source with the camera's id, which FFmpeg's lines do not carry.
void forwardFfmpegLog(void* context, int level, const char* format, va_list args) {
  if (level > AV_LOG_WARNING || !spdlog::should_log(spdlog::level::debug)) return;
  char line[512];
  int print_prefix = 1;
  av_log_format_line2(context, level, format, args, line, sizeof line, &print_prefix);
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  spdlog::debug("ffmpeg: {}", text);
}

void initialiseFfmpegOnce() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_callback(forwardFfmpegLog); });
}

// The video4linux2 input lives in libavdevice, which maps ~80 more libraries (SDL, PulseAudio,
// JACK, Vulkan, ...) than the decoder needs: it is loaded only when a V4L2 camera is configured.
Status loadDeviceInputs() {
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] {
    const std::string library = "libavdevice.so." + std::to_string(LIBAVDEVICE_VERSION_MAJOR);
    void* handle = dlopen(library.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (handle == nullptr) {
      failure = "cannot load " + library + " (package libavdevice59): " + dlerror();
      return;
    }
    auto* register_all = reinterpret_cast<void (*)()>(dlsym(handle, "avdevice_register_all"));
    if (register_all == nullptr) {
      failure = library + " has no avdevice_register_all";
      return;
    }
    register_all();
  });
  return failure.empty() ? okStatus() : unavailable(failure);
}

bool startsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

struct VideoDecoder::Impl {
  AVFormatContext* format = nullptr;
  AVCodecContext* codec = nullptr;
  AVPacket* packet = nullptr;
  AVFrame* frame = nullptr;
  SwsContext* scaler = nullptr;
  int stream = -1;
  double time_base_ms = 0;
  int64_t start_pts = 0;
  int consecutive_corrupt = 0;
  bool grabbed = false;
  // Read by FFmpeg's interrupt callback, on the decode thread that set it.
  Clock::time_point deadline = Clock::time_point::max();
  const std::atomic<bool>* abort = nullptr;
  std::chrono::milliseconds read_timeout{0};
  bool timed_out = false;

  static int interrupted(void* opaque) {
    auto* self = static_cast<Impl*>(opaque);
    if (self->abort != nullptr && self->abort->load()) return 1;
    if (Clock::now() > self->deadline) {
      self->timed_out = true;
      return 1;
    }
    return 0;
  }
  void armDeadline(std::chrono::milliseconds timeout) {
    timed_out = false;
    deadline = timeout.count() > 0 ? Clock::now() + timeout : Clock::time_point::max();
  }

  ~Impl() {
    sws_freeContext(scaler);
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&codec);
    avformat_close_input(&format);
  }
};

Result<std::unique_ptr<VideoDecoder>> VideoDecoder::open(const std::string& uri,
                                                         const DecoderOptions& options) {
  initialiseFfmpegOnce();
  auto impl = std::make_unique<Impl>();
  impl->abort = options.abort;
  impl->read_timeout = options.read_timeout;

  std::string path = uri;
  const AVInputFormat* input_format = nullptr;
  if (startsWith(uri, "v4l2:")) path = "/dev/video" + uri.substr(5);
  if (startsWith(path, "/dev/video")) {
    if (Status loaded = loadDeviceInputs(); !loaded.ok()) return loaded;
    input_format = av_find_input_format("video4linux2");
    if (input_format == nullptr) return unavailable("this FFmpeg has no video4linux2 input");
  }
  AVDictionary* input_options = nullptr;
  // Over TCP a lost packet is resent instead of smearing the frames the detectors look at.
  if (startsWith(uri, "rtsp://")) av_dict_set(&input_options, "rtsp_transport", "tcp", 0);

  impl->format = avformat_alloc_context();
  if (impl->format == nullptr) return resourceExhausted("no memory for a video input");
  impl->format->interrupt_callback = {&Impl::interrupted, impl.get()};
  impl->armDeadline(options.open_timeout);
  int rc = avformat_open_input(&impl->format, path.c_str(), input_format, &input_options);
  av_dict_free(&input_options);
  if (rc < 0) {  // avformat_open_input freed the context
    const std::string why = impl->timed_out ? "no answer within the open timeout" : avError(rc);
    if (rc == AVERROR(ENOENT)) return notFound("cannot open " + uri + ": " + why);
    return unavailable("cannot open " + uri + ": " + why);
  }
  if ((rc = avformat_find_stream_info(impl->format, nullptr)) < 0) {
    return invalidArgument("cannot read the streams of " + uri + ": " + avError(rc));
  }
  const AVCodec* codec = nullptr;
  impl->stream = av_find_best_stream(impl->format, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (impl->stream < 0 || codec == nullptr) {
    return invalidArgument(uri + " has no video stream that can be decoded");
  }
  const AVStream* stream = impl->format->streams[impl->stream];
  impl->codec = avcodec_alloc_context3(codec);
  impl->packet = av_packet_alloc();
  impl->frame = av_frame_alloc();
  if (impl->codec == nullptr || impl->packet == nullptr || impl->frame == nullptr) {
    return resourceExhausted("no memory for the decoder of " + uri);
  }
  if ((rc = avcodec_parameters_to_context(impl->codec, stream->codecpar)) < 0) {
    return invalidArgument("cannot configure the decoder of " + uri + ": " + avError(rc));
  }
  // One thread: each frame thread holds its own decoder state and reference frames (~22 MiB at
  // 720p for two threads) and delays output by a frame; cameras already decode in parallel.
  impl->codec->thread_count = 1;
  if ((rc = avcodec_open2(impl->codec, codec, nullptr)) < 0) {
    return invalidArgument("cannot open the " + std::string(codec->name) + " decoder for " + uri +
                           ": " + avError(rc));
  }
  impl->time_base_ms = av_q2d(stream->time_base) * 1000.0;
  impl->start_pts = stream->start_time != AV_NOPTS_VALUE ? stream->start_time : 0;

  std::unique_ptr<VideoDecoder> decoder(new VideoDecoder(std::move(impl)));
  const AVRational rate =
      stream->avg_frame_rate.num > 0 ? stream->avg_frame_rate : stream->r_frame_rate;
  decoder->fps_ = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0;
  return decoder;
}

VideoDecoder::VideoDecoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VideoDecoder::~VideoDecoder() = default;

int VideoDecoder::width() const { return impl_->codec->width; }
int VideoDecoder::height() const { return impl_->codec->height; }

bool VideoDecoder::readPacketIntoDecoder() {
  Impl& d = *impl_;
  d.armDeadline(d.read_timeout);
  int rc = av_read_frame(d.format, d.packet);
  if (rc == AVERROR(EAGAIN)) {  // a non-blocking device with no frame yet
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return true;
  }
  if (rc == AVERROR_EOF) {
    avcodec_send_packet(d.codec, nullptr);  // flush the frames the decoder still holds
    draining_ = true;
    return true;
  }
  if (rc < 0) {
    if (d.abort != nullptr && d.abort->load()) {
      error_ = "stopped";
    } else {
      error_ = d.timed_out ? "no data within the read timeout" : "read failed: " + avError(rc);
    }
    return false;
  }
  if (d.packet->stream_index == d.stream) {
    rc = avcodec_send_packet(d.codec, d.packet);
    if (rc < 0 && rc != AVERROR(EAGAIN)) {
      ++corrupt_packets_;
      if (++d.consecutive_corrupt > kMaxConsecutiveCorruptPackets) {
        error_ = "the decoder refused " + std::to_string(d.consecutive_corrupt) +
                 " packets in a row: " + avError(rc);
        av_packet_unref(d.packet);
        return false;
      }
    } else {
      d.consecutive_corrupt = 0;
    }
  }
  av_packet_unref(d.packet);
  return true;
}

bool VideoDecoder::grab() {
  Impl& d = *impl_;
  error_.clear();
  d.grabbed = false;
  while (true) {
    const int rc = avcodec_receive_frame(d.codec, d.frame);
    if (rc == 0) {
      const int64_t pts = d.frame->best_effort_timestamp;
      position_ms_ = pts != AV_NOPTS_VALUE
                         ? static_cast<double>(pts - d.start_pts) * d.time_base_ms
                         : (fps_ > 0 ? static_cast<double>(frames_) * 1000.0 / fps_ : 0);
      ++frames_;
      d.grabbed = true;
      return true;
    }
    if (rc == AVERROR_EOF) return false;
    if (rc != AVERROR(EAGAIN)) {
      error_ = "decoding failed: " + avError(rc);
      return false;
    }
    if (draining_) return false;
    if (!readPacketIntoDecoder()) return false;
  }
}

bool VideoDecoder::retrieve(cv::Mat& bgr, int width, int height) {
  Impl& d = *impl_;
  if (!d.grabbed || d.frame->width <= 0 || d.frame->height <= 0) return false;
  if (width <= 0 || height <= 0) {
    width = d.frame->width;
    height = d.frame->height;
  }
  // Area averaging, as cv::INTER_AREA did: no aliasing when a 1080p frame shrinks to 640x360.
  d.scaler = sws_getCachedContext(d.scaler, d.frame->width, d.frame->height,
                                  static_cast<AVPixelFormat>(d.frame->format), width, height,
                                  AV_PIX_FMT_BGR24, SWS_AREA, nullptr, nullptr, nullptr);
  if (d.scaler == nullptr) {
    error_ = "no conversion from pixel format " + std::to_string(d.frame->format) + " to BGR";
    return false;
  }
  bgr.create(height, width, CV_8UC3);
  uint8_t* planes[4] = {bgr.data, nullptr, nullptr, nullptr};
  int strides[4] = {static_cast<int>(bgr.step[0]), 0, 0, 0};
  sws_scale(d.scaler, d.frame->data, d.frame->linesize, 0, d.frame->height, planes, strides);
  return true;
}

}  // namespace gw::sources
