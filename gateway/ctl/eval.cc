// gatewayctl eval fall: the fall detector's event-level quality on labelled clips.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

#include "gateway/core/logging.h"
#include "gateway/ctl/commands.h"
#include "gateway/ctl/fall_eval.h"
#include "gateway/ctl/fall_loso.h"

namespace gw::ctl {
namespace {

nlohmann::json clipJson(const ClipScore& c) {
  nlohmann::json j;
  j["file"] = c.label.file;
  j["label"] = c.label.fall ? "fall" : "no_fall";
  j["onset_s"] = c.label.onset_s ? nlohmann::json(*c.label.onset_s) : nlohmann::json();
  j["duration_s"] = c.duration_s;
  j["detections_s"] = c.detections_s;
  j["hits"] = c.hits;
  j["false_alarms"] = c.false_alarms;
  j["missed"] = c.missed;
  return j;
}

void printText(const EvalSummary& s) {
  std::printf("%-34s %-8s %8s %9s  %s\n", "clip", "label", "onset_s", "result", "alarms_s");
  for (const auto& c : s.clips) {
    std::string alarms;
    for (double t : c.detections_s) alarms += (alarms.empty() ? "" : " ") + std::to_string(t);
    const char* result =
        c.label.fall ? (c.hits ? "hit" : "MISSED") : (c.false_alarms ? "FALSE" : "quiet");
    if (c.label.fall && c.hits && c.false_alarms) result = "hit+FALSE";
    std::printf("%-34s %-8s %8s %9s  %s\n", c.label.file.c_str(), c.label.fall ? "fall" : "no_fall",
                c.label.onset_s ? std::to_string(*c.label.onset_s).substr(0, 5).c_str() : "-",
                result, alarms.empty() ? "-" : alarms.c_str());
  }
  std::printf(
      "\nfalls=%d hits=%d missed=%d false_alarms=%d\nprecision=%.3f recall=%.3f f1=%.3f\n"
      "false_alarms_per_hour=%.2f (no-fall footage: %.1f s)\n",
      s.falls, s.hits, s.missed, s.false_alarms, s.precision, s.recall, s.f1,
      s.false_alarms_per_hour, s.no_fall_hours * 3600.0);
}

nlohmann::json summaryJson(const EvalSummary& s) {
  return {{"precision", s.precision},
          {"recall", s.recall},
          {"f1", s.f1},
          {"falls", s.falls},
          {"hits", s.hits},
          {"false_alarms", s.false_alarms},
          {"missed", s.missed},
          {"no_fall_seconds", s.no_fall_hours * 3600.0}};
}

nlohmann::json paramsJson(const detectors::fall::FallParams& p) {
  return {{"pose_min_drop", p.pose_min_drop},
          {"pose_max_lying_extent", p.pose_max_lying_extent},
          {"pose_upright_extent", p.pose_upright_extent},
          {"min_drop", p.min_drop},
          {"confirm_seconds", p.confirm_seconds}};
}

int runLosoEval(const EvalFallArgs& args, const std::vector<ClipLabel>& labels,
                const EvalOptions& options) {
  std::vector<ObservedClip> clips;
  for (const auto& label : labels) {
    const std::string path = (std::filesystem::path(args.clips) / label.file).string();
    auto clip = observeClip(path, label, options);
    if (!clip.ok()) {
      std::fprintf(stderr, "gatewayctl eval fall: %s\n", clip.status().message().c_str());
      return 1;
    }
    clips.push_back(std::move(clip).value());
  }
  auto report = runLoso(clips, detectors::fall::FallParams{});
  if (!report.ok()) {
    std::fprintf(stderr, "gatewayctl eval fall: %s\n", report.status().message().c_str());
    return 2;
  }
  if (args.json) {
    nlohmann::json j;
    j["mode"] = "leave_one_subject_out";
    j["fps"] = args.fps;
    j["settings_tried"] = report->settings_tried;
    j["held_out"] = summaryJson(report->held_out);
    j["folds"] = nlohmann::json::array();
    for (const auto& f : report->folds) {
      nlohmann::json fold;
      fold["subject"] = f.subject;
      fold["params"] = paramsJson(f.params);
      fold["equally_good_settings"] = f.equally_good;
      fold["train"] = summaryJson(f.train);
      fold["test"] = summaryJson(f.test);
      fold["test_clips"] = nlohmann::json::array();
      for (const auto& c : f.test.clips) fold["test_clips"].push_back(clipJson(c));
      fold["other_clips"] = nlohmann::json::array();
      for (const auto& c : f.others.clips) fold["other_clips"].push_back(clipJson(c));
      j["folds"].push_back(fold);
    }
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("leave one subject out at %.0f fps, %d settings tried per fold\n\n", args.fps,
              report->settings_tried);
  for (const auto& f : report->folds) {
    std::printf(
        "held out %s: tuned on the others (train f1=%.3f, %d settings as good) with "
        "pose_min_drop=%.2f "
        "pose_max_lying_extent=%.2f pose_upright_extent=%.2f min_drop=%.2f "
        "confirm_seconds=%.1f\n",
        f.subject.c_str(), f.train.f1, f.equally_good, f.params.pose_min_drop,
        f.params.pose_max_lying_extent, f.params.pose_upright_extent, f.params.min_drop,
        f.params.confirm_seconds);
    for (const auto& c : f.test.clips) {
      std::printf(
          "  %-34s %-8s %s\n", c.label.file.c_str(), c.label.fall ? "fall" : "no_fall",
          c.label.fall ? (c.hits ? "hit" : "MISSED") : (c.false_alarms ? "FALSE" : "quiet"));
    }
    for (const auto& c : f.others.clips) {
      std::printf("  %-34s %-8s %s (no subject: never tuned on)\n", c.label.file.c_str(), "no_fall",
                  c.false_alarms ? "FALSE" : "quiet");
    }
  }
  const auto& s = report->held_out;
  std::printf(
      "\nheld out, all folds: falls=%d hits=%d missed=%d false_alarms=%d\n"
      "precision=%.3f recall=%.3f f1=%.3f\n",
      s.falls, s.hits, s.missed, s.false_alarms, s.precision, s.recall, s.f1);
  return 0;
}

}  // namespace

int runEvalFall(const EvalFallArgs& args) {
  if (Status s = initLogging(args.log_level); !s.ok()) {
    std::fprintf(stderr, "gatewayctl eval fall: %s\n", s.message().c_str());
    return 2;
  }
  auto labels = readClipLabels(args.labels);
  if (!labels.ok()) {
    std::fprintf(stderr, "gatewayctl eval fall: %s\n", labels.status().message().c_str());
    return 2;
  }
  EvalOptions options;
  options.fps = args.fps;
  options.width = args.width;
  options.height = args.height;
  if (args.loso) return runLosoEval(args, *labels, options);
  std::vector<ClipScore> clips;
  for (const auto& label : *labels) {
    const std::string path = (std::filesystem::path(args.clips) / label.file).string();
    auto clip = runClip(path, label, options);
    if (!clip.ok()) {
      std::fprintf(stderr, "gatewayctl eval fall: %s\n", clip.status().message().c_str());
      return 1;
    }
    clips.push_back(std::move(clip).value());
  }
  const EvalSummary summary = summarise(std::move(clips));
  if (args.json) {
    nlohmann::json j;
    j["precision"] = summary.precision;
    j["recall"] = summary.recall;
    j["f1"] = summary.f1;
    j["false_alarms_per_hour"] = summary.false_alarms_per_hour;
    j["falls"] = summary.falls;
    j["hits"] = summary.hits;
    j["false_alarms"] = summary.false_alarms;
    j["no_fall_seconds"] = summary.no_fall_hours * 3600.0;
    j["hit_window_s"] = {-kHitBeforeOnsetS, kHitAfterOnsetS};
    j["clips"] = nlohmann::json::array();
    for (const auto& c : summary.clips) j["clips"].push_back(clipJson(c));
    std::printf("%s\n", j.dump().c_str());
  } else {
    printText(summary);
  }
  return 0;
}

}  // namespace gw::ctl
