#include "gateway/privacy/snapshot.h"

#include "gateway/privacy/jpeg_encoder.h"

namespace gw::privacy {
namespace {

Result<gateway::v1::Snapshot> encode(const pipeline::Frame& frame, const cv::Mat& image,
                                     gateway::v1::SnapshotForm form) {
  auto jpeg = encodeJpeg(image, kSnapshotJpegQuality);
  if (!jpeg.ok()) {
    return internalError("JPEG encoding of a snapshot of camera " + frame.camera_id +
                         " failed: " + jpeg.status().message());
  }
  gateway::v1::Snapshot snapshot;
  snapshot.set_camera_id(frame.camera_id);
  snapshot.set_captured_unix_ms(frame.captured_unix_ms);
  snapshot.set_form(form);
  snapshot.set_media_type("image/jpeg");
  snapshot.set_image(std::move(*jpeg));
  snapshot.set_width(static_cast<uint32_t>(image.cols));
  snapshot.set_height(static_cast<uint32_t>(image.rows));
  return snapshot;
}

}  // namespace

cv::Rect reportedRegion(const gateway::v1::Event& event) {
  if (!event.has_box()) return {};
  const auto& b = event.box();
  return {b.x(), b.y(), b.width(), b.height()};
}

Result<gateway::v1::Snapshot> anonymisedSnapshot(const pipeline::Frame& frame,
                                                 const gateway::v1::Event& event,
                                                 const Anonymiser& anonymiser) {
  if (frame.image.empty()) return invalidArgument("no image to snapshot");
  std::vector<cv::Rect> reported;
  if (cv::Rect r = reportedRegion(event); !r.empty()) reported.push_back(r);
  auto anonymised = anonymiser.anonymise(frame.image, reported);
  if (!anonymised.ok()) return anonymised.status();
  auto snapshot = encode(frame, anonymised->image, gateway::v1::SNAPSHOT_FORM_ANONYMISED);
  if (snapshot.ok()) {
    snapshot->set_regions_covered(static_cast<uint32_t>(anonymised->covered.size()));
  }
  return snapshot;
}

Result<gateway::v1::Snapshot> rawSnapshot(const pipeline::Frame& frame) {
  if (frame.image.empty()) return invalidArgument("no image to snapshot");
  return encode(frame, frame.image, gateway::v1::SNAPSHOT_FORM_RAW);
}

}  // namespace gw::privacy
