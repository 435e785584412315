#include "gateway/sources/sensor/file_replay_source.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace gw::sources {
namespace {

using gw::testing::TempDir;

// Collects readings; refuses every `refuse_every`-th offer to exercise backpressure.
class CollectingSink : public pipeline::ReadingSink {
 public:
  explicit CollectingSink(int refuse_every = 0) : refuse_every_(refuse_every) {}
  Status accept(const gateway::v1::Reading& reading) override {
    if (refuse_every_ > 0 && ++offers_ % refuse_every_ == 0) return resourceExhausted("full");
    readings.push_back(reading);
    return okStatus();
  }
  std::vector<gateway::v1::Reading> readings;

 private:
  int refuse_every_;
  int offers_ = 0;
};

gateway::v1::Source replayConfig(const std::filesystem::path& path, double speed,
                                 bool loop = false) {
  gateway::v1::Source source;
  source.set_id("replay");
  source.mutable_sensor()->set_format(gateway::v1::SENSOR_FORMAT_SENSOR_COMMUNITY_CSV);
  auto* replay = source.mutable_sensor()->mutable_replay();
  replay->set_path(path.string());
  replay->set_speed(speed);
  replay->set_loop(loop);
  return source;
}

void runUntilFinished(boost::asio::io_context& io, FileReplaySource& source) {
  io.restart();  // an earlier run may have left it stopped for lack of work
  source.start();
  for (int i = 0; i < 100000 && !source.finished(); ++i)
    io.run_one_for(std::chrono::milliseconds(100));
}

TEST(FileReplaySourceTest, DeliversEveryReadingInOrderUnderBackpressure) {
  const auto path = gw::testing::testData("air/sensor_community/2019-02-13_sds011_sensor_5331.csv");
  boost::asio::io_context io;
  Counters counters;
  CollectingSink plain, refusing(3);
  FileReplaySource a(replayConfig(path, 0), io.get_executor(), plain, counters);
  runUntilFinished(io, a);
  Counters counters2;
  FileReplaySource b(replayConfig(path, 0), io.get_executor(), refusing, counters2);
  runUntilFinished(io, b);
  ASSERT_TRUE(a.finished());
  ASSERT_TRUE(b.finished());
  ASSERT_GT(plain.readings.size(), 1000u);
  ASSERT_EQ(refusing.readings.size(), plain.readings.size());
  for (size_t i = 0; i < plain.readings.size(); ++i) {
    EXPECT_EQ(refusing.readings[i].SerializeAsString(), plain.readings[i].SerializeAsString()) << i;
  }
  EXPECT_EQ(counters.value(counterKey("readings_accepted_total", {{"source", "replay"}})),
            plain.readings.size());
}

TEST(FileReplaySourceTest, BadRowsAreCountedByReasonAndSkipped) {
  TempDir dir;
  std::ofstream(dir / "f.csv")
      << "sensor_id;sensor_type;location;lat;lon;timestamp;P1;durP1;ratioP1;P2;durP2;ratioP2\n"
         "1;SDS011;1;57.1;-2.0;2019-02-13T00:00:00;1.0;;;2.0;;\n"
         "garbage\n"
         "1;SDS011;1;57.1;-2.0;2019-02-13T00:00:10;nan;;;5000;;\n"
         "1;SDS011;1;57.1;-2.0;2019-02-13T00:00:20;3.0;;;4.0;;\n";
  boost::asio::io_context io;
  Counters counters;
  CollectingSink sink;
  FileReplaySource source(replayConfig(dir / "f.csv", 0), io.get_executor(), sink, counters);
  runUntilFinished(io, source);
  EXPECT_EQ(sink.readings.size(), 4u);
  auto key = [](const char* reason) {
    return counterKey("readings_dropped_total", {{"source", "replay"}, {"reason", reason}});
  };
  EXPECT_EQ(counters.value(key("malformed")), 1u);
  EXPECT_EQ(counters.value(key("not_finite")), 1u);
  EXPECT_EQ(counters.value(key("out_of_range")), 1u);
}

TEST(FileReplaySourceTest, SpeedSetsThePaceFromRecordedTimestamps) {
  TempDir dir;
  // Three rows 10 s apart, replayed 100x: about 0.2 s in all.
  std::ofstream(dir / "f.csv") << "sensor_id;sensor_type;location;lat;lon;timestamp;P1\n"
                                  "1;X;1;1;1;2019-02-13T00:00:00;1\n"
                                  "1;X;1;1;1;2019-02-13T00:00:10;2\n"
                                  "1;X;1;1;1;2019-02-13T00:00:20;3\n";
  boost::asio::io_context io;
  Counters counters;
  CollectingSink sink;
  FileReplaySource source(replayConfig(dir / "f.csv", 100), io.get_executor(), sink, counters);
  const auto start = std::chrono::steady_clock::now();
  runUntilFinished(io, source);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(sink.readings.size(), 3u);
  // Ordering of delivery is what we assert; the lower bound checks that gaps were honoured at all.
  EXPECT_GE(elapsed, std::chrono::milliseconds(190));
}

TEST(FileReplaySourceTest, LoopKeepsTimestampsMovingForward) {
  TempDir dir;
  std::ofstream(dir / "f.csv") << "sensor_id;sensor_type;location;lat;lon;timestamp;P1\n"
                                  "1;X;1;1;1;2019-02-13T00:00:00;1\n"
                                  "1;X;1;1;1;2019-02-13T00:00:10;2\n";
  boost::asio::io_context io;
  Counters counters;
  CollectingSink sink;
  FileReplaySource source(replayConfig(dir / "f.csv", 0, true), io.get_executor(), sink, counters);
  source.start();
  for (int i = 0; i < 1000 && sink.readings.size() < 6; ++i)
    io.run_one_for(std::chrono::milliseconds(100));
  source.stop();
  io.run_for(std::chrono::milliseconds(50));
  ASSERT_GE(sink.readings.size(), 6u);
  for (size_t i = 1; i < sink.readings.size(); ++i) {
    EXPECT_GT(sink.readings[i].observed_unix_ms(), sink.readings[i - 1].observed_unix_ms()) << i;
  }
  EXPECT_FALSE(source.finished());
}

TEST(FileReplaySourceTest, AStartTimeSkipsWhatCameBeforeItOnEveryPass) {
  TempDir dir;
  std::ofstream(dir / "f.csv") << "sensor_id;sensor_type;location;lat;lon;timestamp;P1\n"
                                  "1;X;1;1;1;2019-02-13T00:00:00;1\n"
                                  "1;X;1;1;1;2019-02-13T00:00:10;2\n"
                                  "1;X;1;1;1;2019-02-13T00:00:20;3\n";
  const int64_t start = 1'550'016'010'000;  // 2019-02-13T00:00:10Z
  boost::asio::io_context io;
  Counters counters;
  CollectingSink once;
  FileReplaySource a(replayConfig(dir / "f.csv", 0), io.get_executor(), once, counters, start);
  runUntilFinished(io, a);
  ASSERT_EQ(once.readings.size(), 2u);
  EXPECT_EQ(once.readings[0].value(), 2);
  EXPECT_EQ(once.readings[0].observed_unix_ms(), start);
  EXPECT_EQ(counters.value(counterKey("readings_dropped_total",
                                      {{"source", "replay"}, {"reason", "malformed"}})),
            0u);

  CollectingSink looped;
  FileReplaySource b(replayConfig(dir / "f.csv", 0, true), io.get_executor(), looped, counters,
                     start);
  io.restart();
  b.start();
  for (int i = 0; i < 1000 && looped.readings.size() < 6; ++i) {
    io.run_one_for(std::chrono::milliseconds(100));
  }
  b.stop();
  io.run_for(std::chrono::milliseconds(50));
  ASSERT_GE(looped.readings.size(), 6u);
  std::vector<double> values;
  for (size_t i = 0; i < 6; ++i) values.push_back(looped.readings[i].value());
  EXPECT_EQ(values, (std::vector<double>{2, 3, 2, 3, 2, 3}));
}

TEST(FileReplaySourceTest, FormatThatCannotBeReplayedIsReportedNotCrashed) {
  boost::asio::io_context io;
  Counters counters;
  CollectingSink sink;
  auto config = replayConfig(
      gw::testing::testData("air/sensor_community/2019-02-13_sds011_sensor_5331.csv"), 0);
  config.mutable_sensor()->set_format(gateway::v1::SENSOR_FORMAT_UNSPECIFIED);
  FileReplaySource source(config, io.get_executor(), sink, counters);
  runUntilFinished(io, source);
  EXPECT_TRUE(source.finished());
  EXPECT_TRUE(sink.readings.empty());
  EXPECT_EQ(counters.value(counterKey("readings_dropped_total",
                                      {{"source", "replay"}, {"reason", "unsupported_format"}})),
            1u);
}

TEST(FileReplaySourceTest, MissingFileFinishesAndIsCounted) {
  boost::asio::io_context io;
  Counters counters;
  CollectingSink sink;
  FileReplaySource source(replayConfig("/nonexistent/file.csv", 0), io.get_executor(), sink,
                          counters);
  runUntilFinished(io, source);
  EXPECT_TRUE(source.finished());
  EXPECT_EQ(counters.value(counterKey("readings_dropped_total",
                                      {{"source", "replay"}, {"reason", "unreadable"}})),
            1u);
}

}  // namespace
}  // namespace gw::sources
