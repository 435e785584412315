// The eval's event matching and sums on hand-written cases, and its labels reader.
#include <gtest/gtest.h>

#include <fstream>

#include "gateway/ctl/fall_eval.h"
#include "gateway/ctl/fall_loso.h"
#include "tests/support/temp_dir.h"

namespace {

using gw::ctl::ClipLabel;
using gw::ctl::ClipScore;

ClipScore fallClip(double onset, std::vector<double> detections) {
  ClipScore c;
  c.label = ClipLabel{"f.mp4", true, onset};
  c.duration_s = 10;
  c.detections_s = std::move(detections);
  return c;
}

ClipScore quietClip(double duration, std::vector<double> detections) {
  ClipScore c;
  c.label = ClipLabel{"q.mp4", false, std::nullopt};
  c.duration_s = duration;
  c.detections_s = std::move(detections);
  return c;
}

TEST(FallEvalMatching, WindowEdgesAreInclusive) {
  for (double t : {1.0, 2.0, 7.0}) {  // onset 2: the window is [1, 7]
    auto c = fallClip(2.0, {t});
    gw::ctl::scoreClip(c);
    EXPECT_EQ(c.hits, 1) << t;
    EXPECT_EQ(c.false_alarms, 0) << t;
    EXPECT_EQ(c.missed, 0) << t;
  }
}

TEST(FallEvalMatching, JustOutsideTheWindowIsAFalseAlarmAndAMiss) {
  for (double t : {0.99, 7.01}) {
    auto c = fallClip(2.0, {t});
    gw::ctl::scoreClip(c);
    EXPECT_EQ(c.hits, 0) << t;
    EXPECT_EQ(c.false_alarms, 1) << t;
    EXPECT_EQ(c.missed, 1) << t;
  }
}

TEST(FallEvalMatching, ASecondAlarmForTheSameFallIsFalse) {
  auto c = fallClip(2.0, {2.5, 3.0});
  gw::ctl::scoreClip(c);
  EXPECT_EQ(c.hits, 1);
  EXPECT_EQ(c.false_alarms, 1);
}

TEST(FallEvalSummary, PrecisionRecallF1AndRatePerHour) {
  // 3 falls: one hit, one hit plus an early false alarm, one missed. Two no-fall clips of
  // 15 min each with one false alarm between them.
  std::vector<ClipScore> clips = {fallClip(2, {3}), fallClip(4, {0.5, 4.5}), fallClip(1, {}),
                                  quietClip(900, {100}), quietClip(900, {})};
  const auto s = gw::ctl::summarise(std::move(clips));
  EXPECT_EQ(s.falls, 3);
  EXPECT_EQ(s.hits, 2);
  EXPECT_EQ(s.false_alarms, 2);
  EXPECT_EQ(s.missed, 1);
  EXPECT_DOUBLE_EQ(s.precision, 2.0 / 4.0);
  EXPECT_DOUBLE_EQ(s.recall, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.f1, 2 * 0.5 * (2.0 / 3.0) / (0.5 + 2.0 / 3.0));
  EXPECT_DOUBLE_EQ(s.false_alarms_per_hour, 1.0 / 0.5);  // one in half an hour
}

TEST(FallEvalSummary, NoAlarmsAtAll) {
  const auto s = gw::ctl::summarise({fallClip(2, {}), quietClip(60, {})});
  EXPECT_DOUBLE_EQ(s.precision, 1.0);
  EXPECT_DOUBLE_EQ(s.recall, 0.0);
  EXPECT_DOUBLE_EQ(s.f1, 0.0);
  EXPECT_DOUBLE_EQ(s.false_alarms_per_hour, 0.0);
}

TEST(FallEvalLabels, ReadsTheSharedLayoutWithQuotedCommas) {
  gw::testing::TempDir dir;
  {
    std::ofstream out(dir / "labels.csv");
    out << "file,dataset,label,fall_start_s,fall_end_s,fall_start_frame,fps,annotation\n"
        << "a/fall.mp4,X,fall,2.3,6,35,15.061,Walking then falling || Falling (FW)[2.3 to 6]\n"
        << "street.avi,Y,no_fall,,,,10.000,\"street, 5-8 pedestrians, no fall\"\n";
  }
  auto labels = gw::ctl::readClipLabels((dir / "labels.csv").string());
  ASSERT_TRUE(labels.ok()) << labels.status().message();
  ASSERT_EQ(labels->size(), 2u);
  EXPECT_EQ((*labels)[0].file, "a/fall.mp4");
  EXPECT_TRUE((*labels)[0].fall);
  EXPECT_DOUBLE_EQ(*(*labels)[0].onset_s, 2.3);
  EXPECT_EQ((*labels)[1].file, "street.avi");
  EXPECT_FALSE((*labels)[1].fall);
  EXPECT_FALSE((*labels)[1].onset_s.has_value());
}

TEST(FallEvalLabels, AFallWithoutOnsetIsAnErrorNamingTheLine) {
  gw::testing::TempDir dir;
  {
    std::ofstream out(dir / "labels.csv");
    out << "file,label,fall_start_s\nok.mp4,no_fall,\nbad.mp4,fall,soon\n";
  }
  auto labels = gw::ctl::readClipLabels((dir / "labels.csv").string());
  ASSERT_FALSE(labels.ok());
  EXPECT_NE(labels.status().message().find("labels.csv:3"), std::string::npos)
      << labels.status().message();
}

}  // namespace

TEST(FallLosoSubjects, TheSubjectStartsAPathSegment) {
  auto subject = [](std::string file) {
    return gw::ctl::subjectOf(ClipLabel{std::move(file), false, std::nullopt});
  };
  EXPECT_EQ(subject("GMDCSA24/s3_Fall_20.mp4"), "s3");
  EXPECT_EQ(subject("s12_ADL_4.mp4"), "s12");
  EXPECT_EQ(subject("clips/as3_Fall_20.mp4"), "");  // not at a segment's start
  EXPECT_EQ(subject("s_Fall_1.mp4"), "");           // no digits
  EXPECT_EQ(subject("s3_Walk_1.mp4"), "");          // neither Fall nor ADL
  EXPECT_EQ(subject("street.mp4"), "");
  ClipLabel named{"s3_Fall_20.mp4", true, 1.0};
  named.subject = "alice";
  EXPECT_EQ(gw::ctl::subjectOf(named), "alice");  // a labelled subject wins
}
