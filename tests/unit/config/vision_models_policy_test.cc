// A policy that needs the vision models (an anonymised snapshot route, a fall detector) is checked
// against the model files: missing or damaged, the policy check fails at the route's or the
// detector's key, naming the file. `gatewayctl policy check` and gatewayd's start run this check.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "gateway/config/policy_loader.h"
#include "gateway/crypto/key_file.h"
#include "gateway/vision/model_files.h"
#include "tests/support/temp_dir.h"

namespace gw::config {
namespace {

class VisionModelsPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(crypto::writeKeyPair(crypto::generateKeyPair("ambulance"), dir_ / "keys").ok());
    std::ofstream(dir_ / "clip.mp4") << "x";
    std::filesystem::create_directories(models_);
    ::setenv("LANTAARN_MODELS_DIR", models_.c_str(), 1);
  }
  void TearDown() override { ::unsetenv("LANTAARN_MODELS_DIR"); }

  LoadResult load(const std::string& detectors_and_routes) {
    std::ofstream(dir_ / "policy.yaml")
        << "site: {id: plein, name: Plein 1, operator_contact: privacy@gemeente.example}\n"
           "actors:\n"
           "  - {id: ambulance, public_key_file: keys/ambulance.pub, purposes: [emergency_care]}\n"
           "sources:\n"
           "  - {id: cam, camera: {uri: clip.mp4}}\n"
        << detectors_and_routes;
    return loadPolicy(dir_ / "policy.yaml");
  }

  // A fall detector and an anonymised snapshot route: every model is needed.
  LoadResult loadFallWithSnapshot() {
    return load(
        "detectors:\n"
        "  - {id: fall, sources: [cam], fall: {}}\n"
        "routes:\n"
        "  - {to: ambulance, purpose: emergency_care, from: {detectors: [fall]}, snapshot: "
        "anonymised}\n");
  }

  void copyModel(vision::Model m) {
    const char* file = vision::modelInfo(m).file;
    std::filesystem::copy_file(gw::testing::sourceDir() / "gateway/vision/models" / file,
                               models_ / file);
  }

  gw::testing::TempDir dir_;
  std::filesystem::path models_ = dir_ / "models";
};

TEST_F(VisionModelsPolicyTest, WithTheModelsThePolicyIsValid) {
  for (auto m : {vision::Model::kBodyPix, vision::Model::kYuNetFace, vision::Model::kPersonBoxes}) {
    copyModel(m);
  }
  auto result = loadFallWithSnapshot();
  EXPECT_TRUE(result.ok()) << formatErrors(result.errors);
}

TEST_F(VisionModelsPolicyTest, AnEmptyModelsDirectoryFailsAtTheRouteAndTheDetectorNamingTheFiles) {
  auto result = loadFallWithSnapshot();
  ASSERT_FALSE(result.ok());
  const std::string errors = formatErrors(result.errors);
  EXPECT_NE(errors.find("routes[0].snapshot: an anonymised snapshot needs the vision model " +
                        (models_ / vision::modelInfo(vision::Model::kBodyPix).file).string()),
            std::string::npos)
      << errors;
  for (auto m : {vision::Model::kYuNetFace, vision::Model::kPersonBoxes}) {
    EXPECT_NE(
        errors.find("; and the vision model " + (models_ / vision::modelInfo(m).file).string()),
        std::string::npos)
        << errors;
  }
  EXPECT_NE(errors.find("detectors[0].fall: the fall detector needs the vision model " +
                        (models_ / vision::modelInfo(vision::Model::kBodyPix).file).string() +
                        " (BodyPix pose and person mask): no such file"),
            std::string::npos)
      << errors;
  EXPECT_EQ(result.errors.size(), 2u) << errors;
}

TEST_F(VisionModelsPolicyTest, ATruncatedModelFailsNamingTheFile) {
  copyModel(vision::Model::kBodyPix);
  copyModel(vision::Model::kPersonBoxes);
  copyModel(vision::Model::kYuNetFace);
  const auto face = models_ / vision::modelInfo(vision::Model::kYuNetFace).file;
  std::filesystem::resize_file(face, 1000);
  auto result = loadFallWithSnapshot();
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 1u) << formatErrors(result.errors);
  EXPECT_EQ(result.errors[0].key_path, "routes[0].snapshot");
  EXPECT_NE(result.errors[0].message.find(face.string()), std::string::npos)
      << result.errors[0].message;
  EXPECT_NE(result.errors[0].message.find("damaged or replaced"), std::string::npos)
      << result.errors[0].message;
}

// A raw snapshot needs no model, nor does a policy without camera detectors.
TEST_F(VisionModelsPolicyTest, APolicyThatNeedsNoModelDoesNotLookForThem) {
  auto result = load(
      "detectors:\n"
      "  - {id: high, sources: [cam], threshold: {quantity: pm10, above: 50}}\n"
      "routes:\n"
      "  - {to: ambulance, purpose: emergency_care, from: {detectors: [high]}}\n");
  EXPECT_TRUE(result.ok()) << formatErrors(result.errors);
}

}  // namespace
}  // namespace gw::config
