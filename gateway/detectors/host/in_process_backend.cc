#include "gateway/detectors/host/in_process_backend.h"

namespace gw::detectors {

gw_frame_view frameView(const pipeline::Frame& frame) {
  const cv::Mat& image = frame.image;
  return gw_frame_view{sizeof(gw_frame_view),
                       image.data,
                       image.cols,
                       image.rows,
                       static_cast<int32_t>(image.step[0]),
                       image.channels() == 1 ? GW_PIXEL_GRAY8 : GW_PIXEL_BGR8,
                       frame.captured_unix_ms,
                       frame.camera_id.c_str(),
                       frame.stream_position_ms};
}

BackendCall InProcessBackend::onReading(const gateway::v1::Reading& reading) {
  BackendCall call;
  call.status = instance_->onReading(reading, call.events).status;
  return call;
}

BackendCall InProcessBackend::onFrame(const pipeline::Frame& frame) {
  BackendCall call;
  const gw_frame_view view = frameView(frame);
  call.status = instance_->onFrame(view, call.events).status;
  return call;
}

}  // namespace gw::detectors
