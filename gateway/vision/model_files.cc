#include "gateway/vision/model_files.h"

#include <sodium.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

namespace gw::vision {
namespace {

constexpr ModelInfo kModels[] = {
    {Model::kBodyPix, "bodypix_mnv1_050_s16_240x320_nchw_cv46.onnx",
     "29d457a4c1af24b8abab682a387021913d898fa7b95c5f08f51bd253ea525a1a",
     "BodyPix pose and person mask"},
    {Model::kYuNetFace, "face_yunet_2022mar.onnx",
     "50ef07f702a31741ca46a4c0d947773b64143b9362780237bf0d427d6c79bab7", "YuNet face detector"},
    {Model::kPersonBoxes, "nanodet_m_320.onnx",
     "88e9fb97a54bb0030127ad323a10f88b4531b6aa82617e7ef79e35ffcc9bb3e1",
     "NanoDet-m person detector"},
};

std::string hexSha256(const ModelBytes& bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, bytes.data(), bytes.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string describe(Model model, const std::filesystem::path& path) {
  return "vision model " + path.string() + " (" + modelInfo(model).what + ")";
}

Result<std::shared_ptr<const ModelBytes>> readAndCheck(Model model,
                                                       const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return notFound(describe(model, path) +
                    ": no such file; reinstall lantaarn or set LANTAARN_MODELS_DIR");
  }
  auto bytes = std::make_shared<ModelBytes>(std::istreambuf_iterator<char>(in),
                                            std::istreambuf_iterator<char>());
  if (in.bad()) return dataLoss(describe(model, path) + ": cannot be read");
  if (sodium_init() < 0) return internalError("libsodium failed to initialise");
  if (hexSha256(*bytes) != modelInfo(model).sha256) {
    return dataLoss(describe(model, path) + ": not the shipped file (" +
                    std::to_string(bytes->size()) +
                    " bytes, SHA-256 differs); it is damaged or replaced: reinstall lantaarn");
  }
  return std::shared_ptr<const ModelBytes>(std::move(bytes));
}

// The directory of the running binary, or empty when /proc cannot tell.
std::filesystem::path binaryDir() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path();
}

bool isDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  return !dir.empty() && std::filesystem::is_directory(dir, ec);
}

bool isInside(const std::filesystem::path& path, const std::filesystem::path& dir) {
  const auto rel = path.lexically_relative(dir);
  return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

const ModelInfo& modelInfo(Model model) {
  for (const auto& info : kModels) {
    if (info.model == model) return info;
  }
  return kModels[0];  // unreachable: every Model has an entry
}

std::filesystem::path modelsDir() {
  if (const char* dir = std::getenv("LANTAARN_MODELS_DIR"); dir != nullptr && *dir != 0) {
    return dir;
  }
  const auto bin = binaryDir();
  // GW_MODELS_FROM_BINDIR is empty when the install directory was configured as absolute.
  if (const std::filesystem::path from_bin = GW_MODELS_FROM_BINDIR;
      !bin.empty() && !from_bin.empty() && isDirectory(bin / from_bin)) {
    return (bin / from_bin).lexically_normal();
  }
  if (!bin.empty() && isInside(bin, GW_BUILD_DIR)) return GW_MODELS_SOURCE_DIR;
  if (isDirectory(GW_MODELS_INSTALL_DIR)) return GW_MODELS_INSTALL_DIR;
  return GW_MODELS_SOURCE_DIR;
}

std::filesystem::path modelPath(Model model) { return modelsDir() / modelInfo(model).file; }

Result<std::shared_ptr<const ModelBytes>> modelBytes(Model model) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const ModelBytes>> cache;
  const auto path = modelPath(model);
  std::lock_guard lock(mutex);
  if (auto it = cache.find(path.string()); it != cache.end()) return it->second;
  auto read = readAndCheck(model, path);
  if (!read.ok()) return read.status();
  cache.emplace(path.string(), *read);
  return read;
}

Result<cv::dnn::Net> readNet(Model model) {
  auto bytes = modelBytes(model);
  if (!bytes.ok()) return bytes.status();
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(**bytes);
    if (net.empty()) return dataLoss(describe(model, modelPath(model)) + ": OpenCV read no layers");
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
  } catch (const cv::Exception& e) {
    return dataLoss(describe(model, modelPath(model)) + ": OpenCV cannot load it: " + e.what());
  }
}

Status checkModel(Model model) {
  static std::mutex mutex;
  static std::set<std::string> loaded;
  const auto path = modelPath(model).string();
  {
    std::lock_guard lock(mutex);
    if (loaded.count(path)) return okStatus();
  }
  auto net = readNet(model);
  if (!net.ok()) return net.status();
  std::lock_guard lock(mutex);
  loaded.insert(path);
  return okStatus();
}

}  // namespace gw::vision
