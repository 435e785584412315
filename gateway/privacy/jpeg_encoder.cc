#include "gateway/privacy/jpeg_encoder.h"

#include <turbojpeg.h>

#include <memory>

namespace gw::privacy {

Result<std::string> encodeJpeg(const cv::Mat& image, int quality) {
  if (image.empty() || image.type() != CV_8UC3) {
    return invalidArgument("JPEG encoding needs an 8-bit BGR image");
  }
  if (quality < 1 || quality > 100) return invalidArgument("JPEG quality must be 1..100");
  // A handle per call: snapshots are rare (events), and a shared handle would need a lock.
  std::unique_ptr<void, int (*)(tjhandle)> handle(tjInitCompress(), tjDestroy);
  if (!handle) return internalError(std::string("TurboJPEG: ") + tjGetErrorStr2(nullptr));
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;  // NOLINT(google-runtime-int): TurboJPEG's type
  const int rc = tjCompress2(handle.get(), image.data, image.cols, static_cast<int>(image.step[0]),
                             image.rows, TJPF_BGR, &jpeg, &size, TJSAMP_420, quality, 0);
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> owned(jpeg, tjFree);
  if (rc != 0) return internalError(std::string("TurboJPEG: ") + tjGetErrorStr2(handle.get()));
  return std::string(reinterpret_cast<const char*>(jpeg), size);
}

}  // namespace gw::privacy
