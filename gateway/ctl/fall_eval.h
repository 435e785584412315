#pragma once
// `gatewayctl eval fall`: runs the fall detector over labelled clips and scores it per event.
//
// Matching (docs/DETECTORS.md): a detection within [onset - 1 s, onset + 5 s] of a labelled fall
// is a hit, at most one per fall; every other detection is a false alarm. False alarms per hour
// are counted on the no-fall clips only, over their total duration.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/pipeline/frame.h"
#include "gateway/v1/policy.pb.h"

namespace gw::ctl {

struct ClipLabel {
  std::string file;  // relative to the clips directory
  bool fall = false;
  std::optional<double> onset_s;  // fall clips only
  std::string subject{};          // the `subject` column, when the labels have one
};

// Reads a labels CSV with at least the columns `file`, `label` (fall / no_fall) and
// `fall_start_s` (the layout of ../shared/data/video/labels.csv). Errors name the line.
Result<std::vector<ClipLabel>> readClipLabels(const std::string& path);

struct ClipScore {
  ClipLabel label;
  double duration_s = 0;
  std::vector<double> detections_s;  // alarm times, seconds into the clip
  int hits = 0, false_alarms = 0, missed = 0;
};

struct EvalSummary {
  std::vector<ClipScore> clips;
  int falls = 0, hits = 0, false_alarms = 0, missed = 0;
  int no_fall_false_alarms = 0;
  double no_fall_hours = 0;
  double precision = 0, recall = 0, f1 = 0, false_alarms_per_hour = 0;
};

inline constexpr double kHitBeforeOnsetS = 1.0;
inline constexpr double kHitAfterOnsetS = 5.0;

// Scores one clip's detections against its label (fills hits, false_alarms, missed).
void scoreClip(ClipScore& clip);
// Sums scored clips into the overall figures.
EvalSummary summarise(std::vector<ClipScore> clips);

struct EvalOptions {
  double fps = 5;                 // the camera source's default processing rate
  int width = 640, height = 360;  // and its default processing resolution
  gateway::v1::FallDetector params;
};

// Decodes one clip the way the camera source does (rate, resize) and runs the fall detector
// through the detector factory, the same path gatewayd takes.
Result<ClipScore> runClip(const std::string& path, const ClipLabel& label,
                          const EvalOptions& options);

// Decodes `path` with the camera source's decoder and scaler, keeping frames at `fps` as the
// camera does, and hands each kept frame (stream time in captured_unix_ms and
// stream_position_ms) to `on_frame`; returns the clip's duration in seconds.
Result<double> decodeClip(const std::string& path, double fps, int width, int height,
                          const std::function<Status(pipeline::Frame&)>& on_frame);

}  // namespace gw::ctl
