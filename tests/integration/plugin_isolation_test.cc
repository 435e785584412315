// Detector plugins in their own confined process (isolation: process), through the real host
// (PluginDetector over IsolatedBackend) and the real child (lantaarn-detector-host): a good
// plugin gives the same events as in gatewayd, for readings of a real sensor day and frames of a
// real video; each misbehaving plugin of tests/plugin_abi/plugins/misbehaving_plugins.c ends only
// its child, with the right detector_crashed reason and counter, and what it tried did not
// happen; a crash loop is a crashed event per restart, then disabled, then a trial.
// The guards keep time on a fake clock, so backoffs and cool-downs take no real time; the child's
// reply timeout is real.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "gateway/core/files.h"
#include "gateway/detectors/factory.h"
#include "gateway/detectors/host/plugin_detector.h"
#include "gateway/sources/sensor/sensor_community_csv.h"
#include "tests/support/pipeline_fakes.h"
#include "tests/support/sensor_rows.h"
#include "tests/support/temp_dir.h"

namespace gw::detectors {
namespace {

using namespace std::chrono_literals;
using gateway::v1::Event;

std::atomic<int64_t> fake_now_ns{int64_t{1} << 40};
std::chrono::steady_clock::time_point fakeNow() {
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(fake_now_ns.load()));
}
void advance(std::chrono::milliseconds d) {
  fake_now_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

std::string pluginPath(const std::string& name) {
  return std::string(GW_PLUGIN_DIR) + "/libgw_" + name + "_plugin.so";
}

bool sanitized() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return true;
#else
  return false;
#endif
}

std::vector<gateway::v1::Reading> realPm10Day() {
  auto text =
      readFile(gw::testing::testData("air/sensor_community/2019-02-13_sds011_sensor_5331.csv"));
  EXPECT_TRUE(text.ok());
  sources::SensorCommunityCsvParser parser("pm");
  std::vector<gateway::v1::Reading> pm10;
  for (auto& r : gw::testing::parseRows(parser, *text)) {
    if (r.quantity() == "pm10") pm10.push_back(std::move(r));
  }
  return pm10;
}

std::vector<const Event*> ofKind(const std::vector<Event>& events, const std::string& kind) {
  std::vector<const Event*> out;
  for (const auto& e : events) {
    if (e.kind() == kind) out.push_back(&e);
  }
  return out;
}

class PluginIsolationTest : public ::testing::Test {
 protected:
  HostContext host() {
    HostContext context;
    context.counters = &counters_;
    context.latency = &latency_;
    context.roundtrip = &roundtrip_;
    context.clock = &fakeNow;
    context.detector_host = GW_DETECTOR_HOST;
    return context;
  }

  gateway::v1::Detector config(const std::string& plugin,
                               const std::map<std::string, std::string>& params = {}) {
    gateway::v1::Detector c;
    c.set_id("suspect");
    c.add_sources("pm");
    c.set_isolation(gateway::v1::ISOLATION_PROCESS);
    c.mutable_plugin()->set_path(pluginPath(plugin));
    for (const auto& [k, v] : params) {
      auto* p = c.mutable_plugin()->add_params();
      p->set_key(k);
      p->set_value(v);
    }
    return c;
  }

  std::unique_ptr<PluginDetector> make(const gateway::v1::Detector& c) {
    auto made = createDetector(c, host());
    EXPECT_TRUE(made.ok()) << made.status().message();
    if (!made.ok()) return nullptr;
    return std::unique_ptr<PluginDetector>(dynamic_cast<PluginDetector*>(made->release()));
  }

  gateway::v1::Reading reading(double value) {
    gateway::v1::Reading r;
    r.set_source_id("pm");
    r.set_quantity("pm10");
    r.set_unit("ug/m3");
    r.set_value(value);
    r.set_observed_unix_ms(1550000000000 + static_cast<int64_t>(value));
    return r;
  }

  uint64_t counter(const std::string& key) { return counters_.get(key).load(); }

  Counters counters_;
  Histogram latency_, roundtrip_;
  gw::testing::TempDir dir_;
};

TEST_F(PluginIsolationTest, AGoodPluginGivesTheSameEventsInItsOwnProcessAsInGatewayd) {
  auto in_process_config = config("example", {{"above", "50"}});
  in_process_config.set_isolation(gateway::v1::ISOLATION_NONE);
  auto in_process = make(in_process_config);
  auto isolated = make(config("example", {{"above", "50"}}));
  ASSERT_TRUE(in_process && isolated);
  EXPECT_EQ(in_process->backend().confinement(), "in process");
  EXPECT_NE(isolated->backend().confinement().find("seccomp"), std::string::npos)
      << isolated->backend().confinement();

  gw::testing::RecordingEventSink a, b;
  const auto day = realPm10Day();
  ASSERT_GT(day.size(), 500u);
  for (const auto& r : day) {
    in_process->onReading(r, a);
    isolated->onReading(r, b);
  }
  ASSERT_FALSE(a.events.empty());
  ASSERT_EQ(a.events.size(), b.events.size());
  for (size_t i = 0; i < a.events.size(); ++i) {
    EXPECT_EQ(a.events[i].SerializeAsString(), b.events[i].SerializeAsString()) << i;
  }
  // Independent count: every PM10 value above 50 is one event.
  EXPECT_EQ(static_cast<size_t>(std::count_if(day.begin(), day.end(),
                                              [](const auto& r) { return r.value() > 50; })),
            b.events.size());
  EXPECT_EQ(roundtrip_.snapshot().count, day.size());
  EXPECT_EQ(isolated->faults(), 0u);
}

TEST_F(PluginIsolationTest, FramesOfARealVideoReachTheChildThroughSharedMemoryUnchanged) {
  auto in_process_config = config("frame", {{"every", "1"}});
  in_process_config.set_isolation(gateway::v1::ISOLATION_NONE);
  auto in_process = make(in_process_config);
  auto isolated = make(config("frame", {{"every", "1"}}));
  ASSERT_TRUE(in_process && isolated);
  ASSERT_TRUE(isolated->wantsFrames());

  cv::VideoCapture capture(gw::testing::testData("video/s3_Fall_20.mp4").string(), cv::CAP_FFMPEG);
  ASSERT_TRUE(capture.isOpened());
  gw::testing::RecordingEventSink a, b;
  cv::Mat raw;
  int frames = 0;
  while (frames < 30 && capture.read(raw)) {
    pipeline::Frame frame;
    frame.camera_id = "cam";
    frame.captured_unix_ms = 1000 + frames;
    frame.stream_position_ms = int64_t{frames} * 40;
    // 640x360 as the camera source hands frames over; every other frame a ROI view whose rows
    // are not contiguous, as a crop is.
    cv::Mat resized;
    cv::resize(raw, resized, cv::Size(frames % 2 ? 700 : 640, 360));
    frame.image = frames % 2 ? resized(cv::Rect(30, 0, 640, 360)) : resized;
    in_process->onFrame(frame, a);
    isolated->onFrame(frame, b);
    ++frames;
  }
  ASSERT_EQ(frames, 30);
  ASSERT_EQ(a.events.size(), 30u);
  ASSERT_EQ(b.events.size(), 30u);
  for (size_t i = 0; i < a.events.size(); ++i) {
    EXPECT_EQ(b.events[i].summary(), "640x360");
    EXPECT_DOUBLE_EQ(a.events[i].value(), b.events[i].value()) << i;
  }
}

// One misbehaviour: the kind of the plugin, the reason its child's end must be reported with.
struct Misdeed {
  const char* kind;
  const char* reason;
};

class MisbehavingPluginTest : public PluginIsolationTest,
                              public ::testing::WithParamInterface<Misdeed> {};

TEST_P(MisbehavingPluginTest, EndsOnlyItsChildWithTheRightReasonAndIsRestarted) {
  const Misdeed misdeed = GetParam();
  if (std::string(misdeed.kind) == "alloc_new" && sanitized()) {
    GTEST_SKIP() << "RLIMIT_AS cannot be combined with the sanitizers' shadow memory; the "
                    "memory limit is tested in the plain build";
  }
  // What the plugins try to reach: a key file and a state dir of "the gateway" (this test), a
  // listening TCP port.
  std::filesystem::create_directories(dir_.path() / "state");
  const auto key = dir_.path() / "keys" / "gateway.key";
  std::filesystem::create_directories(key.parent_path());
  std::ofstream(key) << "SECRET-KEY-BYTES";
  std::filesystem::permissions(key, std::filesystem::perms::owner_read);
  const auto state_file = dir_.path() / "state" / "plugin-was-here";
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);

  auto c = config(
      std::string("misbehave_") + misdeed.kind,
      {{"after", "3"},
       {"path", std::string(misdeed.kind) == "read_key" ? key.string() : state_file.string()},
       {"port", std::to_string(ntohs(address.sin_port))}});
  c.set_budget_ms(100);
  // Generous for a busy CI box: touching the 128 MiB up to the limit must not look like a hang.
  c.mutable_sandbox()->set_reply_timeout_ms(1000);
  c.mutable_sandbox()->set_memory_mb(128);
  auto detector = make(c);
  ASSERT_TRUE(detector);

  gw::testing::RecordingEventSink sink;
  for (int i = 1; i <= 3; ++i) detector->onReading(reading(i), sink);
  EXPECT_EQ(ofKind(sink.events, "seen").size(), 2u);
  const auto crashed = ofKind(sink.events, "detector_crashed");
  ASSERT_EQ(crashed.size(), 1u) << misdeed.kind;
  EXPECT_EQ(crashed[0]->reason(), misdeed.reason) << crashed[0]->summary();
  EXPECT_EQ(crashed[0]->detector_id(), "health");
  EXPECT_EQ(crashed[0]->source_id(), "pm");
  EXPECT_EQ(counter(counterKey("detector_crashes_total",
                               {{"detector", "suspect"}, {"reason", misdeed.reason}})),
            1u);
  // What it tried did not happen.
  EXPECT_TRUE(ofKind(sink.events, "escaped").empty());
  for (const auto& e : sink.events) {
    EXPECT_EQ(e.summary().find("SECRET"), std::string::npos) << e.summary();
  }
  EXPECT_FALSE(std::filesystem::exists("/etc/lantaarn-plugin-was-here"));
  EXPECT_FALSE(std::filesystem::exists(state_file));
  EXPECT_LT(::accept(listener, nullptr, nullptr), 0);  // nobody connected
  ::close(listener);

  // While it backs off, calls are skipped; after the backoff a new child answers again.
  detector->onReading(reading(4), sink);
  EXPECT_EQ(counter(counterKey("detector_skipped_total",
                               {{"detector", "suspect"}, {"reason", "restarting"}})),
            1u);
  advance(1001ms);
  const size_t seen_before = ofKind(sink.events, "seen").size();
  detector->onReading(reading(5), sink);
  EXPECT_EQ(ofKind(sink.events, "seen").size(), seen_before + 1);
  EXPECT_EQ(counter(counterKey("detector_restarts_total", {{"detector", "suspect"}})), 1u);
  EXPECT_FALSE(detector->disabled());
}

INSTANTIATE_TEST_SUITE_P(
    Table, MisbehavingPluginTest,
    ::testing::Values(Misdeed{"segfault", "segfault"}, Misdeed{"abort", "abort"},
                      Misdeed{"loop", "hang"}, Misdeed{"alloc_new", "memory_limit"},
                      Misdeed{"forkbomb", "forbidden_syscall"},
                      Misdeed{"write_etc", "forbidden_file"},
                      Misdeed{"write_state", "forbidden_file"},
                      Misdeed{"connect", "forbidden_syscall"},
                      Misdeed{"read_key", "forbidden_file"}, Misdeed{"garbage", "protocol"},
                      Misdeed{"flood", "protocol"}, Misdeed{"exec", "forbidden_syscall"}),
    [](const auto& test_case) { return std::string(test_case.param.kind); });

TEST_F(PluginIsolationTest, ACrashLoopIsACrashedEventPerRestartThenDisabledThenATrial) {
  // Crashes on every second call of each child: call 1 answers, call 2 crashes.
  auto c = config("misbehave_segfault", {{"after", "2"}});
  c.mutable_sandbox()->set_restart_limit(3);
  c.mutable_sandbox()->set_cooldown_s(60);
  auto detector = make(c);
  ASSERT_TRUE(detector);
  gw::testing::RecordingEventSink sink;
  std::vector<std::string> health;
  auto feed = [&](int n) {
    for (int i = 0; i < n; ++i) {
      sink.events.clear();
      detector->onReading(reading(i), sink);
      for (const auto& e : sink.events) {
        if (e.detector_id() == "health") health.push_back(e.kind());
      }
    }
  };
  feed(2);  // fault 1: restart in 1 s
  advance(1s);
  feed(2);  // fault 2: restart in 2 s
  advance(2s);
  feed(2);  // fault 3: the limit, disabled for 60 s
  EXPECT_EQ(health, (std::vector<std::string>{"detector_crashed", "detector_crashed",
                                              "detector_disabled"}));
  EXPECT_TRUE(detector->disabled());
  EXPECT_EQ(counter(counterKey("detector_disabled_total", {{"detector", "suspect"}})), 1u);
  EXPECT_EQ(counter(counterKey("detector_crashes_total",
                               {{"detector", "suspect"}, {"reason", "segfault"}})),
            3u);
  feed(5);  // cooling down: skipped, no child is started
  EXPECT_EQ(counter(counterKey("detector_skipped_total",
                               {{"detector", "suspect"}, {"reason", "disabled"}})),
            5u);
  EXPECT_EQ(counter(counterKey("detector_restarts_total", {{"detector", "suspect"}})), 2u);

  advance(60s);
  feed(1);  // the trial: a new child answers, enabled on probation
  EXPECT_EQ(health.back(), "detector_enabled");
  EXPECT_FALSE(detector->disabled());
  feed(1);  // and crashes: on probation that disables it again, for twice as long
  EXPECT_EQ(health.back(), "detector_disabled");
  EXPECT_EQ(counter(counterKey("detector_disabled_total", {{"detector", "suspect"}})), 2u);
  EXPECT_EQ(counter(counterKey("detector_enabled_total", {{"detector", "suspect"}})), 1u);
  advance(119s);
  feed(1);
  EXPECT_EQ(health.back(), "detector_disabled");  // still cooling down: nothing new
  EXPECT_EQ(health.size(), 5u);
}

// A call over its budget that does reply is an overrun (back off, disable only when it keeps
// happening: docs/PLUGINS.md section 4), not a fault: the child is not ended for being slow.
TEST_F(PluginIsolationTest, ASlowCallThatRepliesIsAnOverrunNotAFault) {
  auto c = config("slow", {{"sleep_ms", "120"}});
  c.set_budget_ms(50);  // the reply timeout is then 1000 ms
  HostContext real_time = host();
  real_time.clock = nullptr;
  auto made = createDetector(c, real_time);
  ASSERT_TRUE(made.ok()) << made.status().message();
  auto* detector = dynamic_cast<PluginDetector*>(made->get());
  ASSERT_NE(detector, nullptr);
  gw::testing::RecordingEventSink sink;
  for (int i = 0; i < 2; ++i) detector->onReading(reading(i), sink);
  EXPECT_EQ(detector->overruns(), 2u);
  EXPECT_EQ(detector->faults(), 0u);
  EXPECT_FALSE(detector->disabled());
  EXPECT_TRUE(ofKind(sink.events, "detector_crashed").empty());
  EXPECT_EQ(counter(counterKey("detector_restarts_total", {{"detector", "suspect"}})), 0u);
}

TEST_F(PluginIsolationTest, APluginThatDoesNotLoadIsRefusedWithItsReasonAsInProcess) {
  auto c = config("example");  // without its required parameter `above`
  auto made = createDetector(c, host());
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.status().message().find("parameter 'above' is required"), std::string::npos)
      << made.status().message();
  auto missing = config("example", {{"above", "1"}});
  missing.mutable_plugin()->set_path(dir_.path() / "no-such-plugin.so");
  made = createDetector(missing, host());
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.status().message().find("no-such-plugin.so refused: cannot load: No such file"),
            std::string::npos)
      << made.status().message();
}

TEST_F(PluginIsolationTest, AGrantedReadPathIsReadableAndTheRestIsNot) {
  const auto data = dir_.path() / "model" / "weights.bin";
  std::filesystem::create_directories(data.parent_path());
  std::ofstream(data) << "MODEL";
  auto c = config("misbehave_read_key", {{"after", "1"}, {"path", data.string()}});
  c.mutable_sandbox()->add_read_paths(data.parent_path().string());
  auto detector = make(c);
  ASSERT_TRUE(detector);
  gw::testing::RecordingEventSink sink;
  detector->onReading(reading(1), sink);
  // The plugin reports what it read as "escaped": here that is allowed, and nothing crashed.
  const auto read = ofKind(sink.events, "escaped");
  ASSERT_EQ(read.size(), 1u);
  EXPECT_NE(read[0]->summary().find("MODEL"), std::string::npos);
  EXPECT_EQ(detector->faults(), 0u);
}

}  // namespace
}  // namespace gw::detectors
