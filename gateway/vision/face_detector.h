#pragma once
// Faces with five landmarks from YuNet 2022mar (docs/MODELS.md), run through OpenCV's dnn from
// the checked model bytes (model_files.h) and decoded as OpenCV 4.6's cv::FaceDetectorYN decodes
// it (priors at strides 8, 16, 32, 64; score sqrt(class x IoU); NMS), so the result is the same
// without reading the file a second time or linking libopencv_objdetect.
//
// Trained on WIDER FACE: upright and moderately turned faces; faces turned away, lying sideways,
// very dark or under ~10 px are missed (docs/MODELS.md). Not thread-safe (a Net keeps scratch
// state): one detector per thread; the model bytes are read once per process.
#include <array>
#include <memory>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "gateway/core/status.h"

namespace gw::vision {

struct Face {
  cv::Rect2f box;                          // in frame pixels
  std::array<cv::Point2f, 5> landmarks{};  // right eye, left eye, nose, right and left mouth corner
  float score = 0;                         // 0..1
};

struct FaceOptions {
  float min_score = 0.6f;  // OpenCV's and MODELS.md's setting
  float nms_iou = 0.3f;
  // The frame is scaled by this before detection (faces are found from ~10 px at the model's
  // input): 1 keeps every pixel, less is faster. Boxes are always in frame pixels.
  double input_scale = 1.0;
};

class FaceDetector {
 public:
  static Result<std::unique_ptr<FaceDetector>> create(FaceOptions options = {});

  // `bgr`: any size, 8-bit BGR. Strongest first.
  std::vector<Face> detect(const cv::Mat& bgr);

 private:
  FaceDetector(const cv::dnn::Net& net, FaceOptions options);
  void makePriors(cv::Size input);

  cv::dnn::Net net_;
  FaceOptions options_;
  cv::Size priors_for_;
  std::vector<cv::Rect2f> priors_;  // centre x, y and size, as fractions of the input
  std::vector<cv::String> outputs_ = {"loc", "conf", "iou"};
  std::vector<cv::Mat> blobs_;
  cv::Mat scaled_, input_;
};

}  // namespace gw::vision
