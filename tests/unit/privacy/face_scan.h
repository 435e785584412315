#pragma once
// The independent face detector that checks every snapshot leaving the box: Haar and LBP cascades
// (haarcascade_frontalface_alt2, lbpcascade_frontalface_improved), nothing in common with what the
// anonymiser uses (BodyPix, YuNet and NanoDet networks), so a blind spot of the anonymiser is not
// shared by its check.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>

#include <string>
#include <vector>

namespace gw::testing {

class IndependentFaceScan {
 public:
  IndependentFaceScan()
      : alt2_("/usr/share/opencv4/haarcascades/haarcascade_frontalface_alt2.xml"),
        lbp_("/usr/share/opencv4/lbpcascades/lbpcascade_frontalface_improved.xml") {}

  bool loaded() const { return !alt2_.empty() && !lbp_.empty(); }

  // Faces at strict settings (5 neighbours for Haar, 4 for LBP, 24 px and up): a check that cries
  // "face" at every curtain fold would fail on scenery and prove nothing about faces. On GMDCSA24
  // it still finds the visible faces of s3_ADL_07 in 11 of 16 sampled raw frames.
  std::vector<cv::Rect> faces(const cv::Mat& bgr) { return scan(bgr, 5, 4); }

  // What the scan takes for a face in a clip's scenery (its median frame, without the people who
  // move through it), at looser settings (2 neighbours each): a shelf or a flowered door the
  // strict scan finds in some frames and not in others, as noise and JPEG tip it over, must not
  // slip past the scenery filter by a hair.
  std::vector<cv::Rect> sceneryFaces(const cv::Mat& median) { return scan(median, 2, 2); }

  std::vector<cv::Rect> facesInJpeg(const std::string& jpeg) {
    cv::Mat image = cv::imdecode(std::vector<uchar>(jpeg.begin(), jpeg.end()), cv::IMREAD_COLOR);
    if (image.empty()) return {cv::Rect(0, 0, 1, 1)};  // undecodable counts as a failure
    return faces(image);
  }

 private:
  std::vector<cv::Rect> scan(const cv::Mat& bgr, int haar_neighbours, int lbp_neighbours) {
    cv::Mat gray;
    cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
    cv::equalizeHist(gray, gray);
    std::vector<cv::Rect> all, found;
    alt2_.detectMultiScale(gray, found, 1.1, haar_neighbours, 0, cv::Size(24, 24));
    all.insert(all.end(), found.begin(), found.end());
    lbp_.detectMultiScale(gray, found, 1.1, lbp_neighbours, 0, cv::Size(24, 24));
    all.insert(all.end(), found.begin(), found.end());
    return all;
  }

  cv::CascadeClassifier alt2_, lbp_;
};

// True when `r` covers more than half of the smaller of itself and one of `others`.
inline bool overlapsAny(const cv::Rect& r, const std::vector<cv::Rect>& others) {
  for (const auto& o : others) {
    if ((r & o).area() > 0.5 * std::min(r.area(), o.area())) return true;
  }
  return false;
}

// True when `r` and one of `others` are the same box: intersection over union at least one half
// (a place and a size; a large detection over a blurred ghost does not swallow a face inside it).
inline bool sameAsAny(const cv::Rect& r, const std::vector<cv::Rect>& others) {
  for (const auto& o : others) {
    if ((r & o).area() >= 0.5 * (r | o).area()) return true;
  }
  return false;
}

// The faces of the raw frame that the scan still finds in the snapshot. A detection in the
// snapshot with no counterpart in the raw frame is an artefact of the fills' straight edges: a
// solid fill only removes information, it cannot put a face where the raw frame showed none.
inline std::vector<cv::Rect> survivingFaces(const std::vector<cv::Rect>& in_snapshot,
                                            const std::vector<cv::Rect>& in_raw) {
  std::vector<cv::Rect> out;
  for (const auto& r : in_snapshot) {
    if (overlapsAny(r, in_raw)) out.push_back(r);
  }
  return out;
}

}  // namespace gw::testing
