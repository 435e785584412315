#pragma once
// The vision models Lantaarn ships (gateway/vision/models/, docs/MODELS.md): where they are, and
// their bytes, read and checked once per process. Every user makes its own cv::dnn::Net from the
// bytes (a Net is not safe to share between threads), so a model file is read once however many
// cameras use it.
//
// Where, first found wins:
//   1. $LANTAARN_MODELS_DIR, when set (tests, or an operator's own copy);
//   2. next to the running binary: <bindir>/../share/lantaarn/models, i.e. where `cmake --install`
//      (any prefix) and the Debian package (/usr) put them, so an installed gatewayd finds its
//      models without configuration, also when the package is unpacked into a scratch root;
//   3. for a binary inside the build tree, the source tree's gateway/vision/models;
//   4. the install directory configured at build time (GW_MODELS_INSTALL_DIR), for a binary moved
//      out of its prefix;
//   5. the source tree's gateway/vision/models.
// A missing file, a file that is not the one shipped (SHA-256), or one OpenCV cannot load is an
// error that names the file.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/dnn.hpp>

#include "gateway/core/status.h"

namespace gw::vision {

enum class Model {
  kBodyPix,      // pose (17 keypoints) and person mask: BodyPix MobileNetV1 0.50, stride 16
  kYuNetFace,    // faces with landmarks: YuNet 2022mar, for cv::FaceDetectorYN
  kPersonBoxes,  // person boxes for crowds, small and lying people: NanoDet-m 320 (COCO)
};

struct ModelInfo {
  Model model;
  const char* file;    // in the models directory
  const char* sha256;  // of the shipped file
  const char* what;    // for errors and docs
};

const ModelInfo& modelInfo(Model model);
std::filesystem::path modelsDir();
std::filesystem::path modelPath(Model model);

using ModelBytes = std::vector<unsigned char>;

// The model file's bytes, read and checked (SHA-256) the first time any thread asks for that
// file (by its path, so a test that points LANTAARN_MODELS_DIR elsewhere reads the other file),
// then shared. Thread-safe.
Result<std::shared_ptr<const ModelBytes>> modelBytes(Model model);

// A fresh OpenCV network from the checked bytes, on OpenCV's own CPU backend; the error names
// the file. One per thread: a Net keeps scratch state.
Result<cv::dnn::Net> readNet(Model model);

// Reads the model and loads it into OpenCV, to prove it can run: for gatewayd's start and
// `gatewayctl policy check`. Done once per file and process; the error names the file.
Status checkModel(Model model);

}  // namespace gw::vision
