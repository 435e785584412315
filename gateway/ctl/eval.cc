// gatewayctl eval fall: the fall detector's event-level quality on labelled clips.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

#include "gateway/core/logging.h"
#include "gateway/ctl/commands.h"
#include "gateway/ctl/fall_eval.h"

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
