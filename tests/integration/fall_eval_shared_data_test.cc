// `gatewayctl eval fall --json` over ../shared/data/video (GMDCSA24 clips and OpenCV's street
// clip): the figures issue 18 sets as targets (recall and precision at least 0.9, the street
// clip quiet), with the defaults and leave one subject out at 5, 10 and 15 fps. Skips when the
// shared data is absent.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdlib>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace {

std::filesystem::path videoDir() {
  // GW_SHARED_DATA points elsewhere when the repository is not next to shared/ (a worktree).
  const char* override_dir = std::getenv("GW_SHARED_DATA");
  return (override_dir != nullptr ? std::filesystem::path(override_dir)
                                  : gw::testing::sharedDataDir()) /
         "video";
}

// Runs `gatewayctl eval fall --json` with `extra` arguments; the parsed report.
nlohmann::json evalFall(const std::vector<std::string>& extra) {
  const auto video = videoDir();
  gw::testing::TempDir dir;
  std::vector<std::string> argv = {(gw::testing::binaryDir() / "bin/gatewayctl").string(),
                                   "eval",
                                   "fall",
                                   "--clips",
                                   video.string(),
                                   "--labels",
                                   (video / "labels.csv").string(),
                                   "--json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  gw::testing::ChildProcess eval({argv, {}, dir / "out.json", dir / "err.txt"});
  const auto status = eval.wait(std::chrono::minutes(10));
  EXPECT_TRUE(status.has_value()) << "eval did not finish";
  if (!status) return {};
  EXPECT_EQ(gw::testing::ChildProcess::exitCode(*status), 0) << eval.readStderr();
  return nlohmann::json::parse(eval.readStdout());
}

TEST(FallEvalSharedData, LeavingEachSubjectOutMeetsTheTargetsAtThreeFrameRates) {
  if (!std::filesystem::exists(videoDir() / "labels.csv")) GTEST_SKIP() << "no " << videoDir();
  for (const char* fps : {"5", "10", "15"}) {
    const auto j = evalFall({"--loso", "--fps", fps});
    ASSERT_TRUE(j.is_object()) << fps;
    EXPECT_EQ(j.at("mode"), "leave_one_subject_out");
    const auto& held_out = j.at("held_out");
    EXPECT_GE(held_out.at("recall").get<double>(), 0.9) << fps << " fps " << j.dump(2);
    EXPECT_GE(held_out.at("precision").get<double>(), 0.9) << fps << " fps " << j.dump(2);
    EXPECT_EQ(j.at("folds").size(), 4u) << "GMDCSA24 here has four subjects";
    for (const auto& fold : j.at("folds")) {
      for (const auto& clip : fold.at("other_clips")) {
        EXPECT_TRUE(clip.at("detections_s").empty())
            << fps << " fps, settings of fold " << fold.at("subject") << ": " << clip.dump();
      }
    }
  }
}

TEST(FallEvalSharedData, MeetsTheTargetsAndTheStreetStaysQuiet) {
  if (!std::filesystem::exists(videoDir() / "labels.csv")) GTEST_SKIP() << "no " << videoDir();
  const auto j = evalFall({});
  ASSERT_TRUE(j.is_object());
  EXPECT_GE(j.at("recall").get<double>(), 0.9) << j.dump(2);
  EXPECT_GE(j.at("precision").get<double>(), 0.9) << j.dump(2);
  EXPECT_GE(j.at("f1").get<double>(), 0.9);
  ASSERT_TRUE(j.at("false_alarms_per_hour").is_number());
  bool street_seen = false;
  int clips = 0;
  for (const auto& clip : j.at("clips")) {
    ++clips;
    if (clip.at("file") == "opencv_vtest.avi") {
      street_seen = true;
      EXPECT_TRUE(clip.at("detections_s").empty()) << "a fall alarm on the street clip";
    }
  }
  EXPECT_TRUE(street_seen);
  EXPECT_EQ(clips, 11);
}

}  // namespace
