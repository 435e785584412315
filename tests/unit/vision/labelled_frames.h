#pragma once
// People marked by hand, for tests of anything that must find them (person boxes, anonymisation):
// every person at least ~20 px tall, boxed in the frame scaled to 640x360 with INTER_AREA as the
// camera source scales it. The street clip (opencv_vtest.avi, ../shared/data/video; 5-8 walkers,
// small, some in groups or behind a sign) at frames 40, 120, ..., 760; three frames of each of
// the ten GMDCSA24 clips (one person each: standing, bending, sitting, and lying on the floor).
// s3_Fall_20 is the bundled tests/data/video/s3_Fall_20.mp4 too. Labelled for decision 1120.
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace gw::testing {

struct LabelledFrame {
  std::string clip;  // under ../shared/data/video
  int index;         // frame number, from 0
  std::vector<cv::Rect> people;
  cv::Mat image;  // filled by loadLabelledFrames()
};

inline std::vector<LabelledFrame> labelledFrames() {
  // clang-format off
  return {
      {"opencv_vtest.avi", 40, {{314,111,18,52}, {330,112,19,51}, {364,111,22,59}, {472,144,31,62}, {501,145,27,60}, {613,174,26,72}}, {}},
      {"opencv_vtest.avi", 120, {{311,112,20,50}, {333,112,30,51}, {427,132,23,51}, {468,81,19,40}, {489,84,19,38}, {540,80,24,48}, {575,117,28,75}, {139,44,11,22}}, {}},
      {"opencv_vtest.avi", 200, {{66,95,23,41}, {183,117,24,50}, {407,90,24,50}, {513,163,28,67}, {586,158,34,63}, {565,61,17,35}, {586,66,14,30}}, {}},
      {"opencv_vtest.avi", 280, {{2,108,22,45}, {97,91,21,46}, {220,112,28,53}, {299,103,23,42}, {339,147,26,50}, {498,84,23,48}, {524,91,19,38}}, {}},
      {"opencv_vtest.avi", 360, {{308,111,29,45}, {363,106,26,52}, {361,149,26,61}, {441,122,31,56}, {582,147,29,62}, {611,149,27,59}}, {}},
      {"opencv_vtest.avi", 440, {{248,123,20,59}, {412,105,22,44}, {513,159,28,63}}, {}},
      {"opencv_vtest.avi", 520, {{187,109,23,47}, {408,128,28,64}, {520,169,27,60}, {553,130,25,59}, {616,206,24,79}, {418,258,45,104}}, {}},
      {"opencv_vtest.avi", 600, {{157,90,18,43}, {472,122,26,59}, {557,128,30,59}, {377,187,35,76}, {534,189,27,69}, {234,271,42,90}}, {}},
      {"opencv_vtest.avi", 680, {{375,152,25,62}, {128,206,41,75}, {405,104,21,46}, {227,99,26,52}, {432,99,18,47}, {322,92,17,41}, {136,96,36,43}}, {}},
      {"opencv_vtest.avi", 760, {{194,129,38,77}, {189,121,23,48}, {258,109,28,50}, {377,120,32,77}, {382,113,21,43}, {542,126,25,64}, {569,75,20,47}}, {}},
      {"gmdcsa24/s4_Fall_03.mp4", 33, {{16,1,338,355}}, {}},
      {"gmdcsa24/s4_Fall_03.mp4", 100, {{58,249,277,112}}, {}},
      {"gmdcsa24/s4_Fall_03.mp4", 166, {{47,261,282,98}}, {}},
      {"gmdcsa24/s2_Fall_13.mp4", 22, {{187,18,132,305}}, {}},
      {"gmdcsa24/s2_Fall_13.mp4", 66, {{165,235,380,100}}, {}},
      {"gmdcsa24/s2_Fall_13.mp4", 110, {{100,278,485,80}}, {}},
      {"gmdcsa24/s3_ADL_19.mp4", 16, {{220,130,126,174}}, {}},
      {"gmdcsa24/s3_ADL_19.mp4", 49, {{297,71,136,194}}, {}},
      {"gmdcsa24/s3_ADL_19.mp4", 81, {{232,29,92,252}}, {}},
      {"gmdcsa24/s3_Fall_20.mp4", 15, {{370,3,160,357}}, {}},
      {"gmdcsa24/s3_Fall_20.mp4", 47, {{215,215,375,125}}, {}},
      {"gmdcsa24/s3_Fall_20.mp4", 78, {{232,252,333,102}}, {}},
      {"gmdcsa24/s3_ADL_07.mp4", 16, {{282,98,139,248}}, {}},
      {"gmdcsa24/s3_ADL_07.mp4", 50, {{288,32,106,316}}, {}},
      {"gmdcsa24/s3_ADL_07.mp4", 83, {{271,182,153,158}}, {}},
      {"gmdcsa24/s4_ADL_19.mp4", 49, {{175,72,216,242}}, {}},
      {"gmdcsa24/s4_ADL_19.mp4", 148, {{208,2,115,311}}, {}},
      {"gmdcsa24/s4_ADL_19.mp4", 246, {{222,67,144,240}}, {}},
      {"gmdcsa24/s3_Fall_16.mp4", 15, {{162,1,120,357}}, {}},
      {"gmdcsa24/s3_Fall_16.mp4", 45, {{155,225,280,110}}, {}},
      {"gmdcsa24/s3_Fall_16.mp4", 75, {{170,250,280,85}}, {}},
      {"gmdcsa24/s1_Fall_13.mp4", 21, {{216,131,196,229}}, {}},
      {"gmdcsa24/s1_Fall_13.mp4", 64, {{193,237,211,116}}, {}},
      {"gmdcsa24/s1_Fall_13.mp4", 106, {{194,238,204,116}}, {}},
      {"gmdcsa24/s2_ADL_23.mp4", 18, {{231,103,95,154}}, {}},
      {"gmdcsa24/s2_ADL_23.mp4", 54, {{229,101,96,167}}, {}},
      {"gmdcsa24/s2_ADL_23.mp4", 90, {{230,98,92,169}}, {}},
      {"gmdcsa24/s1_ADL_16.mp4", 17, {{125,115,182,244}}, {}},
      {"gmdcsa24/s1_ADL_16.mp4", 52, {{127,144,209,213}}, {}},
      {"gmdcsa24/s1_ADL_16.mp4", 86, {{129,95,159,264}}, {}},
  };
  // clang-format on
}

// Frame `index` of `clip` and the others asked for, decoded in one pass per clip, at 640x360.
inline std::map<int, cv::Mat> framesOf(const std::filesystem::path& clip,
                                       const std::vector<int>& indices) {
  std::map<int, cv::Mat> out;
  cv::VideoCapture capture(clip.string(), cv::CAP_FFMPEG);
  cv::Mat raw;
  const int last = indices.empty() ? -1 : *std::max_element(indices.begin(), indices.end());
  for (int i = 0; i <= last && capture.read(raw); ++i) {
    if (std::find(indices.begin(), indices.end(), i) == indices.end()) continue;
    cv::resize(raw, out[i], cv::Size(640, 360), 0, 0, cv::INTER_AREA);
  }
  return out;
}

// The labelled frames whose clip is under `video_dir` (../shared/data/video; or the bundled
// tests/data/video for s3_Fall_20 alone), with their images. Clips that are absent are skipped.
inline std::vector<LabelledFrame> loadLabelledFrames(const std::filesystem::path& video_dir,
                                                     const std::string& clip_filter = "") {
  std::map<std::string, std::vector<int>> wanted;
  for (const auto& f : labelledFrames()) {
    if (clip_filter.empty() || f.clip.find(clip_filter) != std::string::npos) {
      wanted[f.clip].push_back(f.index);
    }
  }
  std::vector<LabelledFrame> out;
  for (const auto& [clip, indices] : wanted) {
    auto path = video_dir / clip;
    if (!std::filesystem::exists(path)) path = video_dir / std::filesystem::path(clip).filename();
    if (!std::filesystem::exists(path)) continue;
    auto images = framesOf(path, indices);
    for (auto f : labelledFrames()) {
      if (f.clip != clip || !images.count(f.index)) continue;
      f.image = images[f.index];
      out.push_back(std::move(f));
    }
  }
  return out;
}

// A person counts as found when a box overlaps it by IoU >= 0.4, or covers at least 70 % of it
// without being more than four times its size (a box around two people of a group still hides
// both; a box around half the frame does not "find" anyone).
inline bool found(const cv::Rect2f& person, const std::vector<cv::Rect2f>& boxes) {
  for (const auto& b : boxes) {
    const float inter = (person & b).area();
    const float iou = inter / (person.area() + b.area() - inter);
    if (iou >= 0.4f || (inter >= 0.7f * person.area() && b.area() <= 4 * person.area())) {
      return true;
    }
  }
  return false;
}

}  // namespace gw::testing
