#pragma once
// `gatewayctl eval fall --loso`: leave-one-subject-out evaluation of the fall detector, so that
// the figures cannot flatter it. For each subject (a person in the labelled clips), the
// detector's decision settings are tuned on the other subjects' clips only (a grid search for the
// best F1), fixed, and then scored on the held-out subject's clips. Clips of no subject (the
// street clip) are never tuned on: each fold's settings are scored on them as well.
//
// Each clip is decoded and observed once (silhouettes and poses: the expensive half of the
// detector, fall_detector.h); the grid search only replays the cheap half over the observations.
#include <string>
#include <vector>

#include "gateway/ctl/fall_eval.h"
#include "gateway/detectors/builtin/fall/fall_detector.h"

namespace gw::ctl {

// The subject of a clip: a `subject` given in the labels, else GMDCSA24's file name prefix
// ("s3" of "gmdcsa24/s3_Fall_16.mp4"); empty for a clip of no subject.
std::string subjectOf(const ClipLabel& label);

struct ObservedClip {
  ClipLabel label;
  double duration_s = 0;
  std::vector<detectors::fall::Observation> frames;
};

Result<ObservedClip> observeClip(const std::string& path, const ClipLabel& label,
                                 const EvalOptions& options);

// The detector's decision half with `params` over an observed clip: its alarms, scored.
ClipScore decideClip(const ObservedClip& clip, const detectors::fall::FallParams& params);

struct LosoFold {
  std::string subject;
  detectors::fall::FallParams params;  // chosen on the other subjects
  int equally_good = 0;                // settings with the same training F1 it was chosen among
  EvalSummary train;                   // those settings on the other subjects
  EvalSummary test;                    // on the held-out subject
  EvalSummary others;                  // on the clips of no subject
};

struct LosoReport {
  std::vector<LosoFold> folds;
  EvalSummary held_out;  // every held-out clip, each scored with its fold's settings
  int settings_tried = 0;
};

// Fails when fewer than two subjects are labelled.
Result<LosoReport> runLoso(const std::vector<ObservedClip>& clips,
                           const detectors::fall::FallParams& defaults);

}  // namespace gw::ctl
