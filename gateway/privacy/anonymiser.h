#pragma once
// Covers faces and persons in a snapshot with solid fills before it may leave the box. A fill,
// not a blur: a blur can be partly reversed and a blurred face can still be recognised.
//
// What is covered, all of it, each area padded because detectors box faces and bodies tightly:
//   - faces: OpenCV's Haar frontal face cascade, and its profile face cascade on the image and its
//     mirror (the cascade only knows faces turned one way), from Debian's opencv-data;
//   - persons: OpenCV's built-in HOG people detector (Dalal-Triggs), upright people, and the Haar
//     upper- and full-body cascades, which also find people seen from behind;
//   - the region the event's detector reported (a fallen person is rarely upright).
// Detection is tuned to over-cover: a covered wall costs nothing, a missed face cannot be undone.
#include <opencv2/core/mat.hpp>
#include <opencv2/objdetect.hpp>

#include <memory>
#include <string>
#include <vector>

#include "gateway/core/status.h"

namespace gw::privacy {

inline constexpr const char* kDefaultCascadeDir = "/usr/share/opencv4/haarcascades";

struct AnonymisedImage {
  cv::Mat image;                  // a copy; the input frame is never changed
  std::vector<cv::Rect> covered;  // every filled area, clipped to the image
  int faces = 0, persons = 0, reported = 0;
};

class Anonymiser {
 public:
  // Loads the cascades from `cascade_dir` (Debian: /usr/share/opencv4/haarcascades). Fails when
  // one is missing: without them nothing could be anonymised, so no snapshot may be sent.
  static Result<std::unique_ptr<Anonymiser>> create(
      const std::string& cascade_dir = kDefaultCascadeDir);

  // Not thread-safe (the cascades keep scratch state): one Anonymiser per thread.
  AnonymisedImage anonymise(const cv::Mat& bgr, const std::vector<cv::Rect>& reported) const;

 private:
  Anonymiser() = default;
  std::vector<cv::Rect> faces(const cv::Mat& gray) const;
  std::vector<cv::Rect> persons(const cv::Mat& bgr, const cv::Mat& gray) const;

  mutable cv::CascadeClassifier frontal_;
  mutable cv::CascadeClassifier profile_;
  mutable cv::CascadeClassifier upper_body_;
  mutable cv::CascadeClassifier full_body_;
  mutable cv::HOGDescriptor hog_;
};

// `r` grown by `fraction` of its size on every side, clipped to `bounds`.
cv::Rect padded(const cv::Rect& r, double fraction, const cv::Size& bounds);

}  // namespace gw::privacy
