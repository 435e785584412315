// The model registry: every shipped model is found from the build tree and loads; a missing or
// damaged file is an error that names it; bytes are read once per file.
#include "gateway/vision/model_files.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace gw::vision {
namespace {

constexpr Model kAll[] = {Model::kBodyPix, Model::kYuNetFace, Model::kPersonBoxes};

// Points LANTAARN_MODELS_DIR at `dir` for the scope.
class ModelsDirFor {
 public:
  explicit ModelsDirFor(const std::filesystem::path& dir) {
    if (const char* old = std::getenv("LANTAARN_MODELS_DIR")) old_ = old;
    ::setenv("LANTAARN_MODELS_DIR", dir.c_str(), 1);
  }
  ~ModelsDirFor() {
    if (old_.empty()) {
      ::unsetenv("LANTAARN_MODELS_DIR");
    } else {
      ::setenv("LANTAARN_MODELS_DIR", old_.c_str(), 1);
    }
  }

 private:
  std::string old_;
};

TEST(ModelFilesTest, EveryShippedModelIsFoundFromTheBuildTreeAndLoads) {
  ::unsetenv("LANTAARN_MODELS_DIR");
  EXPECT_EQ(modelsDir(), gw::testing::sourceDir() / "gateway/vision/models");
  for (Model m : kAll) {
    EXPECT_TRUE(std::filesystem::exists(modelPath(m))) << modelPath(m);
    Status s = checkModel(m);
    EXPECT_TRUE(s.ok()) << s.message();
  }
}

TEST(ModelFilesTest, BytesAreReadOncePerFileAndShared) {
  auto first = modelBytes(Model::kYuNetFace);
  auto second = modelBytes(Model::kYuNetFace);
  ASSERT_TRUE(first.ok()) << first.status().message();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->get(), second->get());
  EXPECT_EQ((*first)->size(), 345478u);
}

TEST(ModelFilesTest, AMissingFileIsAnErrorNamingIt) {
  gw::testing::TempDir empty;
  ModelsDirFor dir(empty.path());
  for (Model m : kAll) {
    Status s = checkModel(m);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kNotFound);
    EXPECT_NE(s.message().find((empty.path() / modelInfo(m).file).string()), std::string::npos)
        << s.message();
    auto net = readNet(m);
    EXPECT_FALSE(net.ok());
  }
}

TEST(ModelFilesTest, ATruncatedOrAlteredFileIsAnErrorNamingIt) {
  gw::testing::TempDir dir;
  ModelsDirFor models(dir.path());
  const auto source = gw::testing::sourceDir() / "gateway/vision/models";
  // Truncated to half, as an interrupted copy leaves it.
  const auto face = modelInfo(Model::kYuNetFace).file;
  std::filesystem::copy_file(source / face, dir / face);
  std::filesystem::resize_file(dir / face, std::filesystem::file_size(source / face) / 2);
  Status truncated = checkModel(Model::kYuNetFace);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.code(), StatusCode::kDataLoss);
  EXPECT_NE(truncated.message().find((dir / face).string()), std::string::npos)
      << truncated.message();
  EXPECT_NE(truncated.message().find("SHA-256"), std::string::npos) << truncated.message();
  // Same size, one byte changed.
  const auto boxes = modelInfo(Model::kPersonBoxes).file;
  std::filesystem::copy_file(source / boxes, dir / boxes);
  {
    std::fstream f(dir / boxes, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100000);
    f.put('\x5a');
  }
  Status altered = checkModel(Model::kPersonBoxes);
  ASSERT_FALSE(altered.ok());
  EXPECT_NE(altered.message().find((dir / boxes).string()), std::string::npos) << altered.message();
}

}  // namespace
}  // namespace gw::vision
