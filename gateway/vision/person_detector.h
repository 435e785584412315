#pragma once
// Person boxes from NanoDet-m 320 (COCO; person is class 0; docs/MODELS.md), for what a person
// mask misses: people too small for BodyPix's 16-pixel grid and people in a crowd. Chosen over the
// faster person_lwpd_192 because it misses fewer people (decision 1120: 62 of 63 marked walkers on
// the street clip against 57, 23 of 30 GMDCSA24 people against 18). Like every box detector here
// it learnt upright people and misses most people lying on the floor.
//
// Decoded as MODELS.md describes: letterboxed into 320x320 (centred, zero padding), per-channel
// mean and scale, per stride 8/16/32 and cell the class score (already a sigmoid) and the
// distances to the four sides as the expectation of a softmax over 8 bins; NMS per pass. Boxes in
// frame pixels. Not thread-safe (a Net keeps scratch state): one detector per thread.
#include <memory>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "gateway/core/status.h"

namespace gw::vision {

struct PersonBox {
  cv::Rect2f box;  // in frame pixels, clipped to the frame
  float score = 0;
};

struct PersonOptions {
  // Low on purpose: for anonymisation a missed person is a privacy failure and a false box only
  // covers a little more (decision 1120).
  float min_score = 0.25f;
  float nms_iou = 0.5f;
};

class PersonDetector {
 public:
  static Result<std::unique_ptr<PersonDetector>> create(PersonOptions options = {});

  // `bgr`: any size, 8-bit BGR. Strongest first.
  std::vector<PersonBox> detect(const cv::Mat& bgr);

 private:
  PersonDetector(const cv::dnn::Net& net, PersonOptions options);

  cv::dnn::Net net_;
  PersonOptions options_;
  std::vector<cv::String> outputs_;
  std::vector<cv::Mat> blobs_;
  cv::Mat resized_, canvas_, input_;
};

}  // namespace gw::vision
