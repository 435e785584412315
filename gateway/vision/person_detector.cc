#include "gateway/vision/person_detector.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "gateway/vision/model_files.h"

namespace gw::vision {
namespace {

constexpr int kInput = 320;  // the model's fixed input, square
constexpr int kStrides[3] = {8, 16, 32};
constexpr int kClasses = 80;  // COCO; person is 0
constexpr int kBins = 8;      // distance bins per side (generalised focal loss)
// Per-channel normalisation, BGR (NanoDet's training setup).
const cv::Scalar kMean(103.53, 116.28, 123.675);
constexpr double kStd[3] = {57.375, 57.12, 58.395};

// The expectation of a softmax over `kBins` logits, in bins.
float expectedBin(const float* logits) {
  const float top = *std::max_element(logits, logits + kBins);
  float sum = 0, weighted = 0;
  for (int b = 0; b < kBins; ++b) {
    const float e = std::exp(logits[b] - top);
    sum += e;
    weighted += e * static_cast<float>(b);
  }
  return weighted / sum;
}

}  // namespace

Result<std::unique_ptr<PersonDetector>> PersonDetector::create(PersonOptions options) {
  auto net = readNet(Model::kPersonBoxes);
  if (!net.ok()) return net.status();
  return std::unique_ptr<PersonDetector>(new PersonDetector(*net, options));
}

PersonDetector::PersonDetector(const cv::dnn::Net& net, PersonOptions options)
    : net_(net), options_(options) {
  for (int s : kStrides) {
    outputs_.push_back("cls_pred_stride_" + std::to_string(s));
    outputs_.push_back("dis_pred_stride_" + std::to_string(s));
  }
}

std::vector<PersonBox> PersonDetector::detect(const cv::Mat& bgr) {
  const float min_score = options_.min_score;
  std::vector<PersonBox> out;
  if (bgr.empty()) return out;
  // Letterbox: scaled to fit, centred on black.
  const float scale = std::min(static_cast<float>(kInput) / static_cast<float>(bgr.cols),
                               static_cast<float>(kInput) / static_cast<float>(bgr.rows));
  const int w = std::max(1, static_cast<int>(std::lround(static_cast<float>(bgr.cols) * scale)));
  const int h = std::max(1, static_cast<int>(std::lround(static_cast<float>(bgr.rows) * scale)));
  const int pad_x = (kInput - w) / 2, pad_y = (kInput - h) / 2;
  cv::resize(bgr, resized_, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  canvas_.create(kInput, kInput, CV_8UC3);
  canvas_.setTo(cv::Scalar::all(0));
  resized_.copyTo(canvas_(cv::Rect(pad_x, pad_y, w, h)));
  cv::dnn::blobFromImage(canvas_, input_, 1.0, cv::Size(), kMean, /*swapRB=*/false,
                         /*crop=*/false);
  for (int c = 0; c < 3; ++c) {  // NCHW: one plane per channel
    cv::Mat plane(kInput, kInput, CV_32F, input_.ptr<float>(0, c));
    plane *= 1.0 / kStd[c];
  }
  net_.setInput(input_);
  net_.forward(blobs_, outputs_);

  std::vector<cv::Rect2d> boxes;
  std::vector<float> scores;
  const cv::Rect2f frame(0, 0, static_cast<float>(bgr.cols), static_cast<float>(bgr.rows));
  for (int level = 0; level < 3; ++level) {
    const int stride = kStrides[level];
    const int grid = kInput / stride;
    const cv::Mat& cls = blobs_[2 * static_cast<size_t>(level)];
    const cv::Mat& dis = blobs_[2 * static_cast<size_t>(level) + 1];
    const int cells = std::min(grid * grid, static_cast<int>(cls.total() / kClasses));
    const float* cls_v = cls.ptr<float>();
    const float* dis_v = dis.ptr<float>();
    for (int i = 0; i < cells; ++i) {
      const float score = cls_v[static_cast<size_t>(i) * kClasses];
      if (!(score >= min_score)) continue;
      const int column = i % grid, row = i / grid;  // the cell
      const float cx = static_cast<float>(column * stride) + 0.5f * static_cast<float>(stride - 1);
      const float cy = static_cast<float>(row * stride) + 0.5f * static_cast<float>(stride - 1);
      const float* d = dis_v + static_cast<size_t>(i) * 4 * kBins;  // left, top, right, bottom
      const float s = static_cast<float>(stride);
      const float left = expectedBin(d) * s, top = expectedBin(d + kBins) * s;
      const float right = expectedBin(d + static_cast<ptrdiff_t>(2 * kBins)) * s;
      const float bottom = expectedBin(d + static_cast<ptrdiff_t>(3 * kBins)) * s;
      // Back from the letterbox to frame pixels.
      const float x0 = (cx - left - static_cast<float>(pad_x)) / scale;
      const float y0 = (cy - top - static_cast<float>(pad_y)) / scale;
      const float x1 = (cx + right - static_cast<float>(pad_x)) / scale;
      const float y1 = (cy + bottom - static_cast<float>(pad_y)) / scale;
      const cv::Rect2f box = cv::Rect2f(x0, y0, x1 - x0, y1 - y0) & frame;
      if (box.area() <= 0) continue;
      boxes.emplace_back(box);
      scores.push_back(score);
    }
  }
  std::vector<int> keep;
  cv::dnn::NMSBoxes(boxes, scores, min_score, options_.nms_iou, keep);
  for (int k : keep) out.push_back({cv::Rect2f(boxes[k]), scores[k]});
  return out;
}

}  // namespace gw::vision
