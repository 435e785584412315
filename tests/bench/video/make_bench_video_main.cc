// make_bench_video OUT.mp4 [WIDTH HEIGHT FPS FRAMES]: an H.264 test video for the camera load run
// (lantaarn_load --camera-file), made on the spot so no large file is ever committed.
#include <iostream>
#include <string>

#include "tests/bench/video/bench_video.h"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 6) {
    std::cerr << "usage: make_bench_video OUT.mp4 [WIDTH HEIGHT FPS FRAMES]\n";
    return 2;
  }
  gw::bench::VideoSpec spec;
  if (argc == 6) {
    spec.width = std::stoi(argv[2]);
    spec.height = std::stoi(argv[3]);
    spec.fps = std::stod(argv[4]);
    spec.frames = std::stoi(argv[5]);
  }
  std::string origin;
  const auto st = gw::bench::writeBenchVideo(spec, argv[1], &origin);
  if (!st.ok()) {
    std::cerr << st.toString() << "\n";
    return 1;
  }
  std::cout << argv[1] << ": " << spec.width << "x" << spec.height << " " << spec.fps << " fps, "
            << spec.frames << " frames, H.264, from " << origin << "\n";
  return 0;
}
