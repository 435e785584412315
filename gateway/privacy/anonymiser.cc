#include "gateway/privacy/anonymiser.h"

#include <filesystem>
#include <opencv2/imgproc.hpp>

namespace gw::privacy {
namespace {

// Solid mid grey: visibly "covered" to whoever reads the snapshot, and unlike black it cannot be
// mistaken for a privacy mask or a dark corner.
const cv::Scalar kFill(128, 128, 128);

// Faces are boxed from brow to chin; hair, ears and the chin below it identify too.
constexpr double kFacePadding = 0.35;
constexpr double kPersonPadding = 0.10;
constexpr double kReportedPadding = 0.15;

}  // namespace

cv::Rect padded(const cv::Rect& r, double fraction, const cv::Size& bounds) {
  const int dx = static_cast<int>(r.width * fraction), dy = static_cast<int>(r.height * fraction);
  cv::Rect grown(r.x - dx, r.y - dy, r.width + 2 * dx, r.height + 2 * dy);
  return grown & cv::Rect(0, 0, bounds.width, bounds.height);
}

Result<std::unique_ptr<Anonymiser>> Anonymiser::create(const std::string& cascade_dir) {
  std::unique_ptr<Anonymiser> out(new Anonymiser());
  const auto dir = std::filesystem::path(cascade_dir);
  for (auto [classifier, file] : {std::pair{&out->frontal_, "haarcascade_frontalface_default.xml"},
                                  std::pair{&out->profile_, "haarcascade_profileface.xml"},
                                  std::pair{&out->upper_body_, "haarcascade_upperbody.xml"},
                                  std::pair{&out->full_body_, "haarcascade_fullbody.xml"}}) {
    const auto path = dir / file;
    bool loaded = false;
    try {
      loaded = classifier->load(path.string());
    } catch (const cv::Exception& e) {
      return invalidArgument("cannot load face cascade " + path.string() + ": " + e.what());
    }
    if (!loaded) {
      return notFound("face cascade " + path.string() +
                      " is missing (Debian package opencv-data): snapshots cannot be anonymised");
    }
  }
  out->hog_.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
  return out;
}

std::vector<cv::Rect> Anonymiser::faces(const cv::Mat& gray) const {
  std::vector<cv::Rect> all, found;
  // minNeighbors 1 (frontal) and 2 (profile): many more false alarms than the usual 3, and so
  // fewer misses; a covered curtain costs little, an uncovered face cannot be taken back.
  const cv::Size smallest(16, 16);
  frontal_.detectMultiScale(gray, found, 1.1, 1, 0, smallest);
  all.insert(all.end(), found.begin(), found.end());
  profile_.detectMultiScale(gray, found, 1.1, 2, 0, smallest);
  all.insert(all.end(), found.begin(), found.end());
  cv::Mat mirrored;
  cv::flip(gray, mirrored, 1);
  profile_.detectMultiScale(mirrored, found, 1.1, 2, 0, smallest);
  for (const auto& r : found) all.emplace_back(gray.cols - r.x - r.width, r.y, r.width, r.height);
  return all;
}

std::vector<cv::Rect> Anonymiser::persons(const cv::Mat& bgr, const cv::Mat& gray) const {
  std::vector<cv::Rect> found, bodies;
  // Haar body cascades also find people seen from behind or half hidden, which HOG often misses.
  upper_body_.detectMultiScale(gray, bodies, 1.1, 2, 0, cv::Size(40, 40));
  full_body_.detectMultiScale(gray, found, 1.1, 2, 0, cv::Size(24, 48));
  bodies.insert(bodies.end(), found.begin(), found.end());
  found.clear();
  std::vector<double> weights;
  // People smaller than the 64x128 window are found by upscaling small frames first.
  const double scale = bgr.rows < 256 ? 2.0 : 1.0;
  cv::Mat input = bgr;
  if (scale != 1.0) cv::resize(bgr, input, cv::Size(), scale, scale, cv::INTER_LINEAR);
  // hitThreshold below the default 0 and a small group threshold: over-cover rather than miss.
  hog_.detectMultiScale(input, found, weights, -0.3, cv::Size(8, 8), cv::Size(0, 0), 1.1, 1.0);
  for (auto& r : found) {
    bodies.emplace_back(static_cast<int>(r.x / scale), static_cast<int>(r.y / scale),
                        static_cast<int>(r.width / scale), static_cast<int>(r.height / scale));
  }
  return bodies;
}

AnonymisedImage Anonymiser::anonymise(const cv::Mat& bgr,
                                      const std::vector<cv::Rect>& reported) const {
  AnonymisedImage out;
  out.image = bgr.clone();
  if (bgr.empty()) return out;
  cv::Mat gray;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  cv::equalizeHist(gray, gray);
  auto cover = [&](const cv::Rect& r, double padding, int* counter) {
    const cv::Rect area = padded(r, padding, bgr.size());
    if (area.empty()) return;
    out.covered.push_back(area);
    ++*counter;
  };
  for (const auto& r : faces(gray)) cover(r, kFacePadding, &out.faces);
  for (const auto& r : persons(bgr, gray)) cover(r, kPersonPadding, &out.persons);
  for (const auto& r : reported) cover(r, kReportedPadding, &out.reported);
  // Fill only after every detector ran on the untouched image.
  for (const auto& area : out.covered) cv::rectangle(out.image, area, kFill, cv::FILLED);
  return out;
}

}  // namespace gw::privacy
