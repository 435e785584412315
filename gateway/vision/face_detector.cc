#include "gateway/vision/face_detector.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "gateway/vision/model_files.h"

namespace gw::vision {
namespace {

// YuNet 2022mar's anchors (libfacedetection.train, as cv::FaceDetectorYN of OpenCV 4.6 has them).
constexpr int kSteps[4] = {8, 16, 32, 64};
const std::vector<float> kMinSizes[4] = {{10, 16, 24}, {32, 48}, {64, 96}, {128, 192, 256}};
// Box regression variances. The width uses the first one, as OpenCV 4.6 decodes it (the
// reference decoder this must agree with, tests/unit/vision/face_detector_test.cc).
constexpr float kCentreVariance = 0.1f, kHeightVariance = 0.2f, kWidthVariance = 0.1f;
constexpr int kLocValues = 14;  // box (4) and 5 landmarks (10) per prior

}  // namespace

Result<std::unique_ptr<FaceDetector>> FaceDetector::create(FaceOptions options) {
  auto net = readNet(Model::kYuNetFace);
  if (!net.ok()) return net.status();
  return std::unique_ptr<FaceDetector>(new FaceDetector(*net, options));
}

FaceDetector::FaceDetector(const cv::dnn::Net& net, FaceOptions options)
    : net_(net), options_(options) {}

void FaceDetector::makePriors(cv::Size input) {
  priors_.clear();
  const int w = input.width, h = input.height;
  // The feature maps' sizes as the network computes them: two halvings to stride 4, then one per
  // level.
  cv::Size map((w + 1) / 2 / 2, (h + 1) / 2 / 2);
  for (int level = 0; level < 4; ++level) {
    map = cv::Size(map.width / 2, map.height / 2);
    const float step = static_cast<float>(kSteps[level]);
    for (int y = 0; y < map.height; ++y) {
      for (int x = 0; x < map.width; ++x) {
        for (float size : kMinSizes[level]) {
          priors_.emplace_back((static_cast<float>(x) + 0.5f) * step / static_cast<float>(w),
                               (static_cast<float>(y) + 0.5f) * step / static_cast<float>(h),
                               size / static_cast<float>(w), size / static_cast<float>(h));
        }
      }
    }
  }
  priors_for_ = input;
}

std::vector<Face> FaceDetector::detect(const cv::Mat& bgr) {
  std::vector<Face> out;
  if (bgr.empty()) return out;
  const cv::Mat* image = &bgr;
  if (options_.input_scale != 1.0) {
    cv::resize(bgr, scaled_, cv::Size(), options_.input_scale, options_.input_scale,
               cv::INTER_AREA);
    image = &scaled_;
  }
  if (image->size() != priors_for_) makePriors(image->size());
  cv::dnn::blobFromImage(*image, input_);  // BGR, 0-255, no mean: as YuNet was trained
  net_.setInput(input_);
  net_.forward(blobs_, outputs_);
  const float* loc = blobs_[0].ptr<float>();
  const float* conf = blobs_[1].ptr<float>();
  const float* iou = blobs_[2].ptr<float>();
  const size_t n = std::min<size_t>(priors_.size(), blobs_[2].total());
  const float w = static_cast<float>(image->cols), h = static_cast<float>(image->rows);
  const float back = static_cast<float>(1.0 / options_.input_scale);

  std::vector<Face> candidates;
  std::vector<cv::Rect> boxes;  // whole pixels for NMS, as OpenCV 4.6 suppresses them
  std::vector<float> scores;
  for (size_t i = 0; i < n; ++i) {
    const float score = std::sqrt(conf[i * 2 + 1] * std::clamp(iou[i], 0.0f, 1.0f));
    if (!(score >= options_.min_score)) continue;
    const cv::Rect2f& p = priors_[i];
    const float* l = loc + i * kLocValues;
    const float cx = (p.x + l[0] * kCentreVariance * p.width) * w;
    const float cy = (p.y + l[1] * kCentreVariance * p.height) * h;
    const float bw = p.width * std::exp(l[2] * kWidthVariance) * w;
    const float bh = p.height * std::exp(l[3] * kHeightVariance) * h;
    Face face;
    face.box = cv::Rect2f((cx - bw / 2) * back, (cy - bh / 2) * back, bw * back, bh * back);
    for (int k = 0; k < 5; ++k) {
      face.landmarks[k] = {(p.x + l[4 + 2 * k] * kCentreVariance * p.width) * w * back,
                           (p.y + l[5 + 2 * k] * kCentreVariance * p.height) * h * back};
    }
    face.score = score;
    candidates.push_back(face);
    boxes.emplace_back(static_cast<int>(face.box.x), static_cast<int>(face.box.y),
                       static_cast<int>(face.box.width), static_cast<int>(face.box.height));
    scores.push_back(score);
  }
  std::vector<int> keep;
  cv::dnn::NMSBoxes(boxes, scores, options_.min_score, options_.nms_iou, keep);
  for (int k : keep) out.push_back(candidates[k]);  // NMSBoxes returns them strongest first
  return out;
}

}  // namespace gw::vision
