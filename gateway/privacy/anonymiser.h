#pragma once
// Covers every person and face in a snapshot with one solid colour before it may leave the box,
// keeping the scene readable: a person is filled along their silhouette, so the ambulance sees
// that someone lies there and how, but not who. A fill, not a blur: a blur can be partly reversed
// and a blurred face can still be recognised (decision 0801).
//
// What is filled, all in one colour (decision 1121):
//   - each person's silhouette: the BodyPix person mask (vision::PoseEstimator) of the frame and
//     of the frame turned a quarter (people lying on the floor), dilated a little, and a disc over
//     each head the pose finds;
//   - each person box (vision::PersonDetector, NanoDet) where the masks miss the person (in a
//     crowd, an unusual pose) or the person is too small for the mask's grid: the whole box;
//   - each face (vision::FaceDetector, YuNet), padded, since hair, ears and chin identify too;
//   - the region the event's detector reported (a fallen person), padded.
// Tuned to over-cover: a covered wall costs little, a missed face cannot be taken back. About
// 90 ms per 640x360 frame on one core (docs/BENCHMARKS.md).
#include <opencv2/core/mat.hpp>

#include <memory>
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/vision/face_detector.h"
#include "gateway/vision/model_files.h"
#include "gateway/vision/person_detector.h"
#include "gateway/vision/pose_estimator.h"

namespace gw::privacy {

struct AnonymisedImage {
  cv::Mat image;                  // a copy; the input frame is never changed
  cv::Mat filled;                 // CV_8U, 255 where `image` is the fill colour
  std::vector<cv::Rect> covered;  // the bounding box of each filled area (connected), clipped
  int faces = 0;                  // faces found (YuNet)
  int persons = 0;                // separate person areas filled (silhouettes, heads, boxes)
  int person_boxes = 0, boxes_filled = 0;  // boxes found; of those, filled whole (mask missed)
  int reported = 0;                        // reported regions covered
};

// The fill: one colour, saturated so that a silhouette stands out on grey streets and patterned
// floors, and unlike black it cannot be mistaken for a privacy mask or a dark corner.
inline const cv::Scalar kAnonymisedFill(200, 0, 200);  // BGR

// The settings, chosen on frames with people marked by hand (decision 1121); options for tests
// and benchmarks, not for the policy.
struct AnonymiserOptions {
  // BodyPix's person probability above which a pixel is a person's. Below the usual 0.5: the
  // mask then reaches further into the unusual poses (bending, lying) that it scores low.
  float mask_threshold = 0.2f;
  bool turned_pass = true;  // the mask of the frame turned a quarter, for people lying down
  float turned_mask_threshold = 0.3f;
  float face_min_score = 0.5f;
  float person_min_score = 0.25f;
};

class Anonymiser {
 public:
  // Builds its detectors from the shipped models (vision/model_files.h: read once per process;
  // four OpenCV networks per Anonymiser: two pose, faces, person boxes). Fails, naming the file,
  // when a model is missing or damaged: without them nothing could be anonymised, so no snapshot
  // may be sent.
  static Result<std::unique_ptr<Anonymiser>> create(AnonymiserOptions options = {});

  // Not thread-safe (the networks keep scratch state): one Anonymiser per thread. Fails only if
  // OpenCV does (the event then goes without an image: anonymisation_failed).
  Result<AnonymisedImage> anonymise(const cv::Mat& bgr,
                                    const std::vector<cv::Rect>& reported) const;

 private:
  explicit Anonymiser(AnonymiserOptions options) : options_(options) {}
  cv::Mat personLayer(const cv::Mat& bgr, AnonymisedImage* out) const;

  AnonymiserOptions options_;
  std::unique_ptr<vision::PoseEstimator> pose_, turned_pose_;
  std::unique_ptr<vision::FaceDetector> faces_;
  std::unique_ptr<vision::PersonDetector> persons_;
};

// The models the anonymiser needs (for the policy check: config/resolve_models.cc).
std::vector<vision::Model> anonymiserModels();

// `r` grown by `fraction` of its size on every side, clipped to `bounds`.
cv::Rect padded(const cv::Rect& r, double fraction, const cv::Size& bounds);

}  // namespace gw::privacy
