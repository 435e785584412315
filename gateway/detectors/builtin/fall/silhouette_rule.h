#pragma once
// The silhouette's fall cue (decision 0700): a lying-like silhouette where an upright one stood
// less than `fall_window_seconds` before, whose top came down by `min_drop` of the upright
// height, and that then stays low and nearly still (or fades into the background, being still)
// for `confirm_seconds`. Pure: it sees only silhouettes and their times.
#include <cstdint>
#include <deque>
#include <optional>

#include "gateway/detectors/builtin/fall/fall_params.h"
#include "gateway/detectors/builtin/fall/silhouette.h"

namespace gw::detectors::fall {

// A confirmed fall of either cue, in working-resolution pixels for the silhouette's.
struct CueAlarm {
  int64_t fall_ms = 0;       // when the drop was seen
  int64_t confirmed_ms = 0;  // when it was confirmed
  double confidence = 0;     // 0..1
  cv::Rect2d box;
  double reference_height = 0;  // the person's upright height before the drop, same pixels
};

class SilhouetteRule {
 public:
  explicit SilhouetteRule(const FallParams& params) : params_(params) {}

  std::optional<CueAlarm> step(const Silhouette& s, int64_t t_ms);
  void reset();

  // The shape verdicts, from the settings.
  bool upright(const Silhouette& s) const;
  bool flat(const Silhouette& s) const;

 private:
  struct Sample {
    int64_t t_ms;
    Silhouette s;
  };

  FallParams params_;
  std::deque<Sample> history_;
  bool candidate_ = false;
  int64_t candidate_ms_ = 0;
  double upright_height_ = 0;
  double drop_ = 0;
  double candidate_cx_ = 0, candidate_cy_ = 0;
  cv::Rect2d fall_box_;
  double travel_ = 0;
};

}  // namespace gw::detectors::fall
