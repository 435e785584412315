#include "gateway/vision/pose_estimator.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <queue>

#include "gateway/vision/model_files.h"

namespace gw::vision {
namespace {

constexpr int kInputWidth = 320;
constexpr int kInputHeight = 240;
constexpr int kStride = 16;
constexpr int kGridWidth = kInputWidth / kStride;    // 20
constexpr int kGridHeight = kInputHeight / kStride;  // 15

// PoseNet's skeleton for decoding, (parent, child) in the order the displacement maps use.
constexpr std::array<std::pair<int, int>, 16> kPoseChain = {{
    {kNose, kLeftEye},
    {kLeftEye, kLeftEar},
    {kNose, kRightEye},
    {kRightEye, kRightEar},
    {kNose, kLeftShoulder},
    {kLeftShoulder, kLeftElbow},
    {kLeftElbow, kLeftWrist},
    {kLeftShoulder, kLeftHip},
    {kLeftHip, kLeftKnee},
    {kLeftKnee, kLeftAnkle},
    {kNose, kRightShoulder},
    {kRightShoulder, kRightElbow},
    {kRightElbow, kRightWrist},
    {kRightShoulder, kRightHip},
    {kRightHip, kRightKnee},
    {kRightKnee, kRightAnkle},
}};
constexpr int kEdges = static_cast<int>(kPoseChain.size());

float sigmoid(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// Views of one NCHW output of batch 1: value(channel, y, x).
struct Maps {
  const cv::Mat* blob;
  float at(int c, int y, int x) const {
    const int idx[4] = {0, c, y, x};
    return blob->at<float>(idx);
  }
};

struct Decoder {
  std::vector<float> scores;  // sigmoid heatmaps, [keypoint][y][x]
  Maps offsets, fwd, bwd;

  float score(int k, int y, int x) const {
    return scores[(static_cast<size_t>(k) * kGridHeight + y) * kGridWidth + x];
  }
  static cv::Point clampCell(cv::Point2f p) {
    return {std::clamp(static_cast<int>(std::lround(p.x / kStride)), 0, kGridWidth - 1),
            std::clamp(static_cast<int>(std::lround(p.y / kStride)), 0, kGridHeight - 1)};
  }
  // The keypoint's position in input pixels, refined by its short offset at `cell`.
  cv::Point2f position(int k, cv::Point cell) const {
    return {static_cast<float>(cell.x * kStride) + offsets.at(k + kKeypointCount, cell.y, cell.x),
            static_cast<float>(cell.y * kStride) + offsets.at(k, cell.y, cell.x)};
  }
  // Follows edge `edge` from `from` to keypoint `target` (tfjs posenet traverseToTargetKeypoint).
  PosePoint traverse(int edge, cv::Point2f from, int target, const Maps& displacements) const {
    const cv::Point source_cell = clampCell(from);
    cv::Point2f p =
        from + cv::Point2f(displacements.at(edge + kEdges, source_cell.y, source_cell.x),
                           displacements.at(edge, source_cell.y, source_cell.x));
    for (int refine = 0; refine < 2; ++refine) p = position(target, clampCell(p));
    const cv::Point cell = clampCell(p);
    return {p, score(target, cell.y, cell.x)};
  }
};

struct Root {
  float score;
  int keypoint, y, x;
  bool operator<(const Root& other) const { return score < other.score; }
};

}  // namespace

cv::Rect2f Pose::box(float min_score) const {
  float x0 = 1e9f, y0 = 1e9f, x1 = -1e9f, y1 = -1e9f;
  int n = 0;
  for (const auto& p : points) {
    if (p.score < min_score) continue;
    x0 = std::min(x0, p.at.x);
    y0 = std::min(y0, p.at.y);
    x1 = std::max(x1, p.at.x);
    y1 = std::max(y1, p.at.y);
    ++n;
  }
  if (n < 2) return {};
  return {x0, y0, x1 - x0, y1 - y0};
}

Result<std::unique_ptr<PoseEstimator>> PoseEstimator::create(PoseOptions options) {
  auto bytes = modelBytes(Model::kBodyPix);
  if (!bytes.ok()) return bytes.status();
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(**bytes);
    return std::unique_ptr<PoseEstimator>(new PoseEstimator(net, options));
  } catch (const cv::Exception& e) {
    return dataLoss("vision model " + modelPath(Model::kBodyPix).string() +
                    ": OpenCV cannot load it: " + e.what());
  }
}

Result<std::shared_ptr<PoseEstimator>> PoseEstimator::shared() {
  static std::mutex mutex;
  static std::weak_ptr<PoseEstimator> instance;
  std::lock_guard lock(mutex);
  if (auto existing = instance.lock()) return existing;
  auto created = create();
  if (!created.ok()) return created.status();
  std::shared_ptr<PoseEstimator> estimator = std::move(created).value();
  instance = estimator;
  return estimator;
}

PoseEstimator::PoseEstimator(const cv::dnn::Net& net, PoseOptions options)
    : net_(net), options_(options) {
  net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  outputs_ = {"heatmaps", "short_offsets", "displacement_fwd", "displacement_bwd", "segments"};
}

PoseResult PoseEstimator::estimate(const cv::Mat& bgr) {
  PoseResult result;
  if (bgr.empty()) return result;
  std::lock_guard lock(mutex_);
  // RGB scaled to [-1, 1] (x / 127.5 - 1), at the model's input size.
  cv::dnn::blobFromImage(bgr, input_, 1.0 / 127.5, cv::Size(kInputWidth, kInputHeight),
                         cv::Scalar(127.5, 127.5, 127.5), /*swapRB=*/true, /*crop=*/false);
  net_.setInput(input_);
  net_.forward(blobs_, outputs_);
  const cv::Mat& heatmaps = blobs_[0];
  Decoder d{{}, Maps{&blobs_[1]}, Maps{&blobs_[2]}, Maps{&blobs_[3]}};
  d.scores.resize(static_cast<size_t>(kKeypointCount) * kGridHeight * kGridWidth);
  const Maps heat{&heatmaps};
  for (int k = 0; k < kKeypointCount; ++k) {
    for (int y = 0; y < kGridHeight; ++y) {
      for (int x = 0; x < kGridWidth; ++x) {
        d.scores[(static_cast<size_t>(k) * kGridHeight + y) * kGridWidth + x] =
            sigmoid(heat.at(k, y, x));
      }
    }
  }

  // Roots: every local maximum (3x3) of a keypoint's heatmap above the threshold.
  std::priority_queue<Root> roots;
  for (int k = 0; k < kKeypointCount; ++k) {
    for (int y = 0; y < kGridHeight; ++y) {
      for (int x = 0; x < kGridWidth; ++x) {
        const float s = d.score(k, y, x);
        if (s < options_.min_root_score) continue;
        bool maximum = true;
        for (int dy = -1; dy <= 1 && maximum; ++dy) {
          for (int dx = -1; dx <= 1 && maximum; ++dx) {
            const int yy = y + dy, xx = x + dx;
            if (yy < 0 || yy >= kGridHeight || xx < 0 || xx >= kGridWidth) continue;
            if (d.score(k, yy, xx) > s) maximum = false;
          }
        }
        if (maximum) roots.push({s, k, y, x});
      }
    }
  }

  // Poses in model input pixels while decoding; the radius is compared there.
  std::vector<std::array<PosePoint, kKeypointCount>> found;
  const float r2 = options_.nms_radius * options_.nms_radius;
  auto claimed = [&](int k, cv::Point2f at) {
    for (const auto& pose : found) {
      const cv::Point2f delta = pose[k].at - at;
      if (delta.dot(delta) <= r2) return true;
    }
    return false;
  };
  std::vector<float> pose_scores;
  while (!roots.empty() && static_cast<int>(found.size()) < options_.max_people) {
    const Root root = roots.top();
    roots.pop();
    const cv::Point2f at = d.position(root.keypoint, {root.x, root.y});
    if (claimed(root.keypoint, at)) continue;
    std::array<PosePoint, kKeypointCount> pose{};
    std::array<bool, kKeypointCount> have{};
    pose[root.keypoint] = {at, root.score};
    have[root.keypoint] = true;
    for (int edge = kEdges - 1; edge >= 0; --edge) {  // up the tree, backward displacements
      const auto [parent, child] = kPoseChain[edge];
      if (have[child] && !have[parent]) {
        pose[parent] = d.traverse(edge, pose[child].at, parent, d.bwd);
        have[parent] = true;
      }
    }
    for (int edge = 0; edge < kEdges; ++edge) {  // down the tree, forward displacements
      const auto [parent, child] = kPoseChain[edge];
      if (have[parent] && !have[child]) {
        pose[child] = d.traverse(edge, pose[parent].at, child, d.fwd);
        have[child] = true;
      }
    }
    float score = 0;
    for (int k = 0; k < kKeypointCount; ++k) {
      if (!claimed(k, pose[k].at)) score += pose[k].score;
    }
    score /= static_cast<float>(kKeypointCount);
    found.push_back(pose);
    pose_scores.push_back(score);
  }

  const float sx = static_cast<float>(bgr.cols) / kInputWidth;
  const float sy = static_cast<float>(bgr.rows) / kInputHeight;
  for (size_t i = 0; i < found.size(); ++i) {
    if (pose_scores[i] < options_.min_pose_score) continue;
    Pose pose;
    pose.score = pose_scores[i];
    for (int k = 0; k < kKeypointCount; ++k) {
      pose.points[k] = {{found[i][k].at.x * sx, found[i][k].at.y * sy}, found[i][k].score};
    }
    // The keypoint radius alone lets through a second decoding of the same person, each of its
    // keypoints just outside the radius: a pose mostly inside a stronger one's box is that one.
    const cv::Rect2f box = pose.box();
    bool duplicate = false;
    for (const auto& kept : result.people) {
      const cv::Rect2f other = kept.box();
      const float overlap = (box & other).area();
      if (box.area() > 0 &&
          overlap >= options_.duplicate_overlap * std::min(box.area(), other.area())) {
        duplicate = true;
        break;
      }
    }
    if (!duplicate) result.people.push_back(pose);
  }

  // The person mask: sigmoid(segments) above the threshold, up to the frame's size.
  const cv::Mat& segments = blobs_[4];
  cv::Mat logits(kGridHeight, kGridWidth, CV_32F, const_cast<float*>(segments.ptr<float>()));
  cv::Mat up;
  cv::resize(logits, up, bgr.size(), 0, 0, cv::INTER_LINEAR);
  const float logit_threshold = std::log(options_.mask_threshold / (1 - options_.mask_threshold));
  cv::compare(up, logit_threshold, result.person_mask, cv::CMP_GT);
  return result;
}

}  // namespace gw::vision
