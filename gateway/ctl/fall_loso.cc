#include "gateway/ctl/fall_loso.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>
#include <string_view>

namespace gw::ctl {
namespace {

using detectors::fall::FallParams;

// The decision settings the grid searches, and their values: the drops and shapes of both cues
// and the confirmation time. The observation's settings (working width, background speed) stay
// at their defaults: they are not cheap to vary.
struct Axis {
  const char* name;
  double FallParams::*field;
  std::vector<double> values;
};

std::vector<Axis> grid() {
  return {
      {"pose_min_drop", &FallParams::pose_min_drop, {0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75}},
      {"pose_max_lying_extent", &FallParams::pose_max_lying_extent, {0.35, 0.4, 0.45, 0.5, 0.55}},
      {"pose_upright_extent", &FallParams::pose_upright_extent, {0.5, 0.55, 0.6, 0.65}},
      {"min_drop", &FallParams::min_drop, {0.3, 0.35, 0.4, 0.45, 0.5}},
      {"confirm_seconds", &FallParams::confirm_seconds, {0.6, 1.0, 1.4}},
  };
}

EvalSummary scoreAll(const std::vector<const ObservedClip*>& clips, const FallParams& params) {
  std::vector<ClipScore> scores;
  scores.reserve(clips.size());
  for (const auto* clip : clips) scores.push_back(decideClip(*clip, params));
  return summarise(std::move(scores));
}

}  // namespace

std::string subjectOf(const ClipLabel& label) {
  if (!label.subject.empty()) return label.subject;
  // GMDCSA24 names its clips "<dir>/s3_Fall_20.mp4": the subject is the "s<digits>" that starts a
  // path segment and is followed by "_Fall_" or "_ADL_". Parsed by hand: GCC 12's <regex> trips
  // -Wmaybe-uninitialized in the sanitizer build.
  const std::string& file = label.file;
  for (std::size_t start = 0; start < file.size();) {
    std::size_t end = start;
    if (file[end] == 's') {
      ++end;
      while (end < file.size() && std::isdigit(static_cast<unsigned char>(file[end])) != 0) ++end;
      const std::string_view rest = std::string_view(file).substr(end);
      if (end > start + 1 && (rest.starts_with("_Fall_") || rest.starts_with("_ADL_"))) {
        return file.substr(start, end - start);
      }
    }
    const std::size_t slash = file.find('/', start);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return {};
}

Result<ObservedClip> observeClip(const std::string& path, const ClipLabel& label,
                                 const EvalOptions& options) {
  detectors::fall::FallParams params;  // observation settings at their defaults
  auto observer = detectors::fall::FallObserver::create(params);
  if (!observer.ok()) return observer.status();
  ObservedClip clip;
  clip.label = label;
  auto duration =
      decodeClip(path, options.fps, options.width, options.height, [&](pipeline::Frame& frame) {
        clip.frames.push_back((*observer)->observe(frame.image, frame.stream_position_ms));
        return okStatus();
      });
  if (!duration.ok()) return duration.status();
  clip.duration_s = *duration;
  return clip;
}

ClipScore decideClip(const ObservedClip& clip, const FallParams& params) {
  detectors::fall::FallDecider decider(params);
  ClipScore score;
  score.label = clip.label;
  score.duration_s = clip.duration_s;
  for (const auto& frame : clip.frames) {
    if (auto d = decider.decide(frame)) {
      score.detections_s.push_back(static_cast<double>(d->confirmed_ms) / 1000.0);
    }
  }
  scoreClip(score);
  return score;
}

Result<LosoReport> runLoso(const std::vector<ObservedClip>& clips, const FallParams& defaults) {
  std::map<std::string, std::vector<const ObservedClip*>> by_subject;
  std::vector<const ObservedClip*> others;
  for (const auto& clip : clips) {
    const std::string subject = subjectOf(clip.label);
    (subject.empty() ? others : by_subject[subject]).push_back(&clip);
  }
  if (by_subject.size() < 2) {
    return invalidArgument("leave-one-subject-out needs clips of at least two subjects");
  }
  const auto axes = grid();
  // Every combination of the axes' values, as an index per axis.
  std::vector<std::vector<size_t>> combos(1);
  for (const auto& axis : axes) {
    std::vector<std::vector<size_t>> next;
    for (const auto& combo : combos) {
      for (size_t v = 0; v < axis.values.size(); ++v) {
        next.push_back(combo);
        next.back().push_back(v);
      }
    }
    combos = std::move(next);
  }
  auto paramsOf = [&](const std::vector<size_t>& combo) {
    FallParams p = defaults;
    for (size_t a = 0; a < axes.size(); ++a) p.*(axes[a].field) = axes[a].values[combo[a]];
    return p;
  };

  LosoReport report;
  report.settings_tried = static_cast<int>(combos.size());
  std::vector<ClipScore> held_out;
  for (const auto& [subject, test_clips] : by_subject) {
    std::vector<const ObservedClip*> train;
    for (const auto& [other, list] : by_subject) {
      if (other != subject) train.insert(train.end(), list.begin(), list.end());
    }
    // The training F1 of every combination.
    std::map<std::vector<size_t>, double> f1;
    double best = -1;
    for (const auto& combo : combos) {
      const double score = scoreAll(train, paramsOf(combo)).f1;
      f1[combo] = score;
      best = std::max(best, score);
    }
    // Among the best, the middle of their plateau: per axis the median of the best settings'
    // values, then the best setting nearest to that point. It depends on the training clips
    // only (not on the defaults, which were chosen looking at every clip), and it keeps away
    // from the plateau's edges, where a new clip is likeliest to fall off.
    std::vector<const std::vector<size_t>*> best_combos;
    for (const auto& combo : combos) {
      if (f1[combo] >= best) best_combos.push_back(&combo);
    }
    std::vector<double> middle(axes.size());
    for (size_t a = 0; a < axes.size(); ++a) {
      std::vector<size_t> values;
      values.reserve(best_combos.size());
      for (const auto* combo : best_combos) values.push_back((*combo)[a]);
      std::sort(values.begin(), values.end());
      middle[a] =
          0.5 * static_cast<double>(values[(values.size() - 1) / 2] + values[values.size() / 2]);
    }
    const std::vector<size_t>* chosen = nullptr;
    double chosen_distance = 1e18;
    for (const auto* combo : best_combos) {
      double distance = 0;
      for (size_t a = 0; a < axes.size(); ++a) {
        const double d = (static_cast<double>((*combo)[a]) - middle[a]) /
                         static_cast<double>(axes[a].values.size());
        distance += d * d;
      }
      if (distance < chosen_distance) {
        chosen = combo;
        chosen_distance = distance;
      }
    }
    LosoFold fold;
    fold.subject = subject;
    fold.equally_good = static_cast<int>(best_combos.size());
    fold.params = paramsOf(*chosen);
    fold.train = scoreAll(train, fold.params);
    fold.test = scoreAll(test_clips, fold.params);
    fold.others = scoreAll(others, fold.params);
    for (const auto& clip : fold.test.clips) held_out.push_back(clip);
    report.folds.push_back(std::move(fold));
  }
  report.held_out = summarise(std::move(held_out));
  return report;
}

}  // namespace gw::ctl
