#pragma once
// Body pose and person mask from one BodyPix forward pass (MobileNetV1 0.50, stride 16, input
// 320x240; docs/MODELS.md): the 17 COCO keypoints of each person in the frame, found with
// PoseNet's multi-person decoding (local maxima of the keypoint heatmaps as roots, the pose
// followed along the skeleton with the displacement maps, near-duplicates suppressed), and the
// mask of every pixel that belongs to a person.
//
// One forward takes about 7 ms at 640x360 on one core here. The network is loaded once per
// process and shared by every camera (`shared()`): calls are serialised by a mutex, since an
// OpenCV Net keeps scratch state; four cameras at 5 fps keep it busy about 15 % of a core.
#include <array>
#include <memory>
#include <mutex>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "gateway/core/status.h"

namespace gw::vision {

// COCO keypoint order.
enum Keypoint : int {
  kNose = 0,
  kLeftEye,
  kRightEye,
  kLeftEar,
  kRightEar,
  kLeftShoulder,
  kRightShoulder,
  kLeftElbow,
  kRightElbow,
  kLeftWrist,
  kRightWrist,
  kLeftHip,
  kRightHip,
  kLeftKnee,
  kRightKnee,
  kLeftAnkle,
  kRightAnkle,
  kKeypointCount
};

struct PosePoint {
  cv::Point2f at;   // in frame pixels
  float score = 0;  // 0..1
};

struct Pose {
  std::array<PosePoint, kKeypointCount> points;
  float score = 0;  // the mean score of its keypoints that no stronger pose already claims
  // The box around the keypoints scoring at least `min_score`; empty when fewer than two do.
  cv::Rect2f box(float min_score = 0.3f) const;
};

struct PoseOptions {
  float min_root_score = 0.5f;  // a heatmap maximum that can start a pose
  float nms_radius = 20;        // model input pixels: a root this close to a found keypoint is
                                // the same person
  int max_people = 10;
  float min_pose_score = 0.15f;
  // A weaker pose whose keypoint box lies this much (of the smaller box) inside a stronger
  // one's is the same person decoded twice, and dropped.
  float duplicate_overlap = 0.6f;
  float mask_threshold = 0.5f;
};

struct PoseResult {
  std::vector<Pose> people;  // strongest first
  cv::Mat person_mask;       // CV_8U, the frame's size, 255 where a person is
};

class PoseEstimator {
 public:
  static Result<std::unique_ptr<PoseEstimator>> create(PoseOptions options = {});
  // The process's estimator with the default options, created on first use. Thread-safe.
  static Result<std::shared_ptr<PoseEstimator>> shared();

  // `bgr`: any size; it is resized to the model's 320x240 input. Thread-safe.
  PoseResult estimate(const cv::Mat& bgr);

 private:
  PoseEstimator(const cv::dnn::Net& net, PoseOptions options);

  std::mutex mutex_;  // one forward at a time: the Net and the buffers below are scratch
  cv::dnn::Net net_;
  PoseOptions options_;
  std::vector<cv::String> outputs_;
  std::vector<cv::Mat> blobs_;
  cv::Mat input_;
};

}  // namespace gw::vision
