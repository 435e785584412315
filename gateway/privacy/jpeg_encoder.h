#pragma once
// JPEG encoding of a BGR image with TurboJPEG: what snapshots need from an image codec, without
// OpenCV's imgcodecs, which maps ~140 libraries (GDAL, GDCM, poppler, ...) into gatewayd
// (decision 1003).
#include <string>

#include <opencv2/core/mat.hpp>

#include "gateway/core/status.h"

namespace gw::privacy {

// `image` is 8-bit BGR (CV_8UC3); `quality` 1..100. Chroma is subsampled 4:2:0, as libjpeg's
// default and cv::imencode do.
Result<std::string> encodeJpeg(const cv::Mat& image, int quality);

}  // namespace gw::privacy
