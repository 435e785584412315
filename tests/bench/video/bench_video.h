#pragma once
// Test videos for the frame benchmarks and the camera load run, written at bench time with
// OpenCV's VideoWriter (H.264 through FFmpeg/libx264), never committed. The picture is a real
// clip from ../shared/data or $LANTAARN_SHARED_DATA (a person in a room, GMDCSA24) scaled to the
// size asked for when it is there, otherwise a synthetic scene (textured background, moving
// figures, sensor noise).
#include <filesystem>
#include <string>

#include "gateway/core/status.h"

namespace gw::bench {

struct VideoSpec {
  int width = 1280;
  int height = 720;
  double fps = 25;
  int frames = 250;
};

// Writes an H.264 .mp4 to `path`; says which picture it used in `*origin`.
Status writeBenchVideo(const VideoSpec& spec, const std::filesystem::path& path,
                       std::string* origin);

}  // namespace gw::bench
