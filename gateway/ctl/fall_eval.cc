#include "gateway/ctl/fall_eval.h"

#include <algorithm>
#include <fstream>
#include <map>

#include "gateway/detectors/factory.h"
#include "gateway/sources/camera/video_decoder.h"

namespace gw::ctl {
namespace {

// One CSV record: commas separate fields, double quotes protect commas ("" is a quote).
std::vector<std::string> splitCsv(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

class Collect : public pipeline::EventSink {
 public:
  void emit(const gateway::v1::Event& event) override { events.push_back(event); }
  std::vector<gateway::v1::Event> events;
};

}  // namespace

Result<std::vector<ClipLabel>> readClipLabels(const std::string& path) {
  std::ifstream in(path);
  if (!in) return notFound("cannot read labels file " + path);
  std::string line;
  if (!std::getline(in, line)) return invalidArgument(path + ": empty, expected a header line");
  std::map<std::string, size_t> column;
  const auto header = splitCsv(line);
  for (size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
  for (const char* needed : {"file", "label", "fall_start_s"}) {
    if (!column.count(needed)) {
      return invalidArgument(path + ":1: no '" + needed + "' column");
    }
  }
  std::vector<ClipLabel> labels;
  for (int number = 2; std::getline(in, line); ++number) {
    if (line.empty() || line == "\r") continue;
    const auto fields = splitCsv(line);
    const std::string where = path + ":" + std::to_string(number);
    auto field = [&](const char* name) -> std::string {
      const size_t i = column[name];
      return i < fields.size() ? fields[i] : std::string();
    };
    ClipLabel label;
    label.file = field("file");
    if (label.file.empty()) return invalidArgument(where + ": empty file name");
    const std::string kind = field("label");
    if (kind != "fall" && kind != "no_fall") {
      return invalidArgument(where + ": label must be fall or no_fall, not '" + kind + "'");
    }
    label.fall = kind == "fall";
    if (column.count("subject")) label.subject = field("subject");
    if (label.fall) {
      const std::string onset = field("fall_start_s");
      try {
        size_t used = 0;
        label.onset_s = std::stod(onset, &used);
        if (used != onset.size()) throw std::invalid_argument(onset);
      } catch (const std::exception&) {
        return invalidArgument(where + ": a fall needs a number in fall_start_s, not '" + onset +
                               "'");
      }
    }
    labels.push_back(std::move(label));
  }
  return labels;
}

void scoreClip(ClipScore& clip) {
  clip.hits = clip.false_alarms = clip.missed = 0;
  bool matched = false;
  for (double t : clip.detections_s) {
    const bool in_window = clip.label.fall && clip.label.onset_s &&
                           t >= *clip.label.onset_s - kHitBeforeOnsetS &&
                           t <= *clip.label.onset_s + kHitAfterOnsetS;
    if (in_window && !matched) {
      matched = true;
      ++clip.hits;
    } else {
      ++clip.false_alarms;  // outside the window, on a no-fall clip, or a second alarm
    }
  }
  if (clip.label.fall && !matched) clip.missed = 1;
}

EvalSummary summarise(std::vector<ClipScore> clips) {
  EvalSummary s;
  for (auto& clip : clips) {
    scoreClip(clip);
    if (clip.label.fall) ++s.falls;
    s.hits += clip.hits;
    s.false_alarms += clip.false_alarms;
    s.missed += clip.missed;
    if (!clip.label.fall) {
      s.no_fall_false_alarms += clip.false_alarms;
      s.no_fall_hours += clip.duration_s / 3600.0;
    }
  }
  // No alarms at all is no false alarm: precision 1 (and recall says what was missed).
  s.precision = s.hits + s.false_alarms > 0 ? double(s.hits) / (s.hits + s.false_alarms) : 1.0;
  s.recall = s.falls > 0 ? double(s.hits) / s.falls : 1.0;
  s.f1 = s.precision + s.recall > 0 ? 2 * s.precision * s.recall / (s.precision + s.recall) : 0;
  s.false_alarms_per_hour = s.no_fall_hours > 0 ? s.no_fall_false_alarms / s.no_fall_hours : 0;
  s.clips = std::move(clips);
  return s;
}

Result<double> decodeClip(const std::string& path, double fps, int width, int height,
                          const std::function<Status(pipeline::Frame&)>& on_frame) {
  // The camera source's decoder and scaler, so that the detector sees the pixels gatewayd's would.
  auto decoder = sources::VideoDecoder::open(path, {});
  if (!decoder.ok()) return decoder.status();
  double duration_s = 0;
  const double keep_interval_ms = fps > 0 ? 1000.0 / fps : 0;
  double next_keep_ms = 0;
  uint64_t sequence = 0;
  while ((*decoder)->grab()) {
    const double position_ms = (*decoder)->positionMs();
    duration_s = std::max(duration_s, position_ms / 1000.0);
    // The camera source's rule for which frames to keep at the processing rate.
    if (position_ms + 0.5 < next_keep_ms) continue;
    next_keep_ms = std::max(next_keep_ms + keep_interval_ms, position_ms);
    pipeline::Frame frame;
    frame.camera_id = path;
    frame.sequence = ++sequence;
    // Stream time stands in for the wall clock so that alarm times are seconds into the clip.
    frame.captured_unix_ms = static_cast<int64_t>(position_ms);
    frame.stream_position_ms = static_cast<int64_t>(position_ms);
    if (!(*decoder)->retrieve(frame.image, width, height)) {
      return internalError("cannot convert a frame of " + path + ": " + (*decoder)->error());
    }
    GW_RETURN_IF_ERROR(on_frame(frame));
  }
  if (sequence == 0) return invalidArgument("clip " + path + " has no decodable frames");
  return duration_s;
}

Result<ClipScore> runClip(const std::string& path, const ClipLabel& label,
                          const EvalOptions& options) {
  gateway::v1::Detector config;
  config.set_id("fall");
  *config.mutable_fall() = options.params;
  // Quality, not speed, is measured here: with the host's clock frozen no call overruns its
  // budget, so no frame is skipped however slow this machine (or a sanitizer build) is.
  detectors::HostContext host;
  host.clock = [] { return std::chrono::steady_clock::time_point{}; };
  auto detector = detectors::createDetector(config, host);
  if (!detector.ok()) return detector.status();

  ClipScore clip;
  clip.label = label;
  auto duration = decodeClip(
      path, options.fps, options.width, options.height, [&](pipeline::Frame& frame) -> Status {
        frame.camera_id = label.file;
        Collect events;
        (*detector)->onFrame(frame, events);
        for (const auto& event : events.events) {
          if (event.kind() == "fall") {
            clip.detections_s.push_back(static_cast<double>(event.observed_unix_ms()) / 1000.0);
          }
        }
        return okStatus();
      });
  if (!duration.ok()) return duration.status();
  clip.duration_s = *duration;
  scoreClip(clip);
  return clip;
}

}  // namespace gw::ctl
