#include "gateway/privacy/anonymiser.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace gw::privacy {
namespace {

// The person mask comes from a 20x15 grid (one cell is 32x24 px of a 640x360 frame) and its edge
// wanders by up to half a cell: grown by 2 % of the frame's larger side (13 px at 640).
constexpr double kSilhouetteGrowth = 0.02;
// A box whose area the grown mask fills less than this much is a person the mask missed (too
// small for the grid, in a crowd, lying): the box is filled whole.
constexpr double kMaskedShare = 0.4;
// A person shorter than this share of the frame's height spans at most a few cells of the mask's
// grid: no silhouette to show, so the box is filled whole.
constexpr double kSilhouetteMinHeight = 0.3;
constexpr double kBoxPadding = 0.10;
// Faces are boxed from brow to chin; hair, ears and the chin below it identify too.
constexpr double kFacePadding = 0.35;
constexpr double kReportedPadding = 0.15;
// A head from the pose: nose, eyes and ears scoring at least this.
constexpr float kHeadScore = 0.3f;

cv::Mat ellipse(int radius) {
  return cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * radius + 1, 2 * radius + 1));
}

// A disc over the head of `pose`: centred on its head keypoints, as wide as the shoulders (a
// head is about half a shoulder width; the disc is generous), at least `min_radius`.
void fillHead(const vision::Pose& pose, int min_radius, cv::Mat& layer) {
  cv::Point2f sum(0, 0);
  int n = 0;
  float spread = 0;
  for (int k = vision::kNose; k <= vision::kRightEar; ++k) {
    if (pose.points[k].score < kHeadScore) continue;
    sum += pose.points[k].at;
    ++n;
  }
  if (n == 0) return;
  const cv::Point2f centre = sum / static_cast<float>(n);
  for (int k = vision::kNose; k <= vision::kRightEar; ++k) {
    if (pose.points[k].score < kHeadScore) continue;
    spread = std::max(spread, static_cast<float>(cv::norm(pose.points[k].at - centre)));
  }
  float radius = std::max(static_cast<float>(min_radius), 2.5f * spread);
  const auto& l = pose.points[vision::kLeftShoulder];
  const auto& r = pose.points[vision::kRightShoulder];
  if (l.score >= kHeadScore && r.score >= kHeadScore) {
    radius = std::max(radius, 0.6f * static_cast<float>(cv::norm(l.at - r.at)));
  }
  cv::circle(layer, centre, static_cast<int>(std::ceil(radius)), cv::Scalar(255), cv::FILLED);
}

}  // namespace

cv::Rect padded(const cv::Rect& r, double fraction, const cv::Size& bounds) {
  const int dx = static_cast<int>(r.width * fraction), dy = static_cast<int>(r.height * fraction);
  cv::Rect grown(r.x - dx, r.y - dy, r.width + 2 * dx, r.height + 2 * dy);
  return grown & cv::Rect(0, 0, bounds.width, bounds.height);
}

std::vector<vision::Model> anonymiserModels() {
  return {vision::Model::kBodyPix, vision::Model::kYuNetFace, vision::Model::kPersonBoxes};
}

Result<std::unique_ptr<Anonymiser>> Anonymiser::create(AnonymiserOptions options) {
  std::unique_ptr<Anonymiser> out(new Anonymiser(options));
  vision::PoseOptions pose_options;
  pose_options.mask_threshold = options.mask_threshold;
  auto pose = vision::PoseEstimator::create(pose_options);
  if (!pose.ok()) return pose.status();
  out->pose_ = std::move(pose).value();
  pose_options.mask_threshold = options.turned_mask_threshold;
  auto turned_pose = vision::PoseEstimator::create(pose_options);
  if (!turned_pose.ok()) return turned_pose.status();
  out->turned_pose_ = std::move(turned_pose).value();
  auto faces = vision::FaceDetector::create({options.face_min_score, 0.3f, 1.0});
  if (!faces.ok()) return faces.status();
  out->faces_ = std::move(faces).value();
  auto persons = vision::PersonDetector::create({options.person_min_score, 0.5f});
  if (!persons.ok()) return persons.status();
  out->persons_ = std::move(persons).value();
  return out;
}

// Everything that belongs to a person: silhouettes, heads, and the boxes of the people the masks
// missed.
cv::Mat Anonymiser::personLayer(const cv::Mat& bgr, AnonymisedImage* out) const {
  const vision::PoseResult pose = pose_->estimate(bgr);
  // People lying on the floor: the model learnt mostly upright people, and on the frame turned a
  // quarter its mask finds lying ones the upright pass misses (decision 1121).
  cv::Mat lying = cv::Mat::zeros(bgr.size(), CV_8U);
  if (options_.turned_pass) {
    cv::Mat turned;
    cv::rotate(bgr, turned, cv::ROTATE_90_CLOCKWISE);
    cv::rotate(turned_pose_->estimate(turned).person_mask, lying, cv::ROTATE_90_COUNTERCLOCKWISE);
  }
  const int growth =
      std::max(2, static_cast<int>(std::lround(kSilhouetteGrowth * std::max(bgr.cols, bgr.rows))));
  cv::Mat layer;
  cv::dilate(pose.person_mask | lying, layer, ellipse(growth));
  const cv::Mat silhouettes = layer.clone();  // the masks alone, to judge the boxes by
  for (const auto& person : pose.people) fillHead(person, growth, layer);
  for (const auto& person : persons_->detect(bgr)) {
    ++out->person_boxes;
    const cv::Rect box = padded(cv::Rect(person.box), kBoxPadding, bgr.size());
    if (box.empty()) continue;
    const double masked = cv::countNonZero(silhouettes(box)) / static_cast<double>(box.area());
    const bool small = person.box.height < kSilhouetteMinHeight * bgr.rows;
    if (masked >= kMaskedShare && !small) continue;  // the silhouette shows this one
    layer(box).setTo(cv::Scalar(255));
    ++out->boxes_filled;
  }
  return layer;
}

Result<AnonymisedImage> Anonymiser::anonymise(const cv::Mat& bgr,
                                              const std::vector<cv::Rect>& reported) const {
  AnonymisedImage out;
  if (bgr.empty()) return out;
  try {
    // Every detector runs on the untouched frame; the fill is applied once at the end.
    cv::Mat fill = personLayer(bgr, &out);
    cv::Mat labels, stats, centroids;
    out.persons = cv::connectedComponentsWithStats(fill, labels, stats, centroids, 8) - 1;
    for (const auto& face : faces_->detect(bgr)) {
      const cv::Rect area = padded(cv::Rect(face.box), kFacePadding, bgr.size());
      if (area.empty()) continue;
      fill(area).setTo(cv::Scalar(255));
      ++out.faces;
    }
    for (const auto& r : reported) {
      const cv::Rect area = padded(r, kReportedPadding, bgr.size());
      if (area.empty()) continue;
      fill(area).setTo(cv::Scalar(255));
      ++out.reported;
    }
    const int areas = cv::connectedComponentsWithStats(fill, labels, stats, centroids, 8);
    for (int i = 1; i < areas; ++i) {
      out.covered.emplace_back(
          stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
          stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    }
    out.image = bgr.clone();
    out.image.setTo(kAnonymisedFill, fill);
    out.filled = std::move(fill);
  } catch (const cv::Exception& e) {
    return internalError(std::string("anonymising a snapshot failed in OpenCV: ") + e.what());
  }
  return out;
}

}  // namespace gw::privacy
