// The detector host's time budget, through the real host (PluginDetector) and frame worker: a
// test detector table advances a fake clock inside each call by as much as the test says the
// call "takes", so overruns are exact and nothing sleeps. The state machine's every transition is
// in overrun_guard_test.cc; these check what the host makes of it: calls made or skipped, the
// counters, the health events, the latency figures, the host's parameters, and the frame slot.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <map>
#include <mutex>
#include <thread>

#include "gateway/detectors/frame_worker.h"
#include "gateway/detectors/host/plugin_detector.h"

namespace gw::detectors {
namespace {

using namespace std::chrono_literals;
using State = OverrunGuard::State;

// The fake steady clock. The test moves it between calls; the test detector moves it during one.
std::atomic<int64_t> fake_now_ns{int64_t{1} << 40};
std::atomic<int64_t> call_cost_ms{0};  // what each call of the test detector takes

std::chrono::steady_clock::time_point fakeNow() {
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(fake_now_ns.load()));
}
void advance(std::chrono::milliseconds d) {
  fake_now_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

std::mutex calls_mutex;
std::vector<std::string> calls;       // what the test detector was called with, in order
std::vector<std::string> param_keys;  // what its create() was given

std::vector<std::string> callsMade() {
  std::lock_guard lock(calls_mutex);
  return calls;
}

void called(const std::string& what) {
  {
    std::lock_guard lock(calls_mutex);
    calls.push_back(what);
  }
  advance(std::chrono::milliseconds(call_cost_ms.load()));
}

void emitSeen(gw_emit_fn emit, void* ctx, const char* source_id, double value) {
  gw_event_out e{};
  e.struct_size = sizeof e;
  e.kind = "seen";
  e.severity = GW_SEVERITY_INFO;
  e.source_id = source_id;
  e.value = value;
  emit(ctx, &e);
}

// The test detector, as a C ABI table like any built-in's.
gw_status timedCreate(const gw_param* params, size_t count, gw_detector** out, char*, size_t) {
  std::lock_guard lock(calls_mutex);
  param_keys.clear();
  for (size_t i = 0; i < count; ++i) param_keys.emplace_back(params[i].key);
  static int instance = 0;
  *out = reinterpret_cast<gw_detector*>(&instance);
  return GW_OK;
}
gw_status timedOnReading(gw_detector*, const gw_reading_view* r, gw_emit_fn emit, void* ctx) {
  called("reading " + std::to_string(static_cast<int>(r->value)));
  emitSeen(emit, ctx, r->source_id, r->value);
  return GW_OK;
}
gw_status timedOnFrame(gw_detector*, const gw_frame_view* f, gw_emit_fn emit, void* ctx) {
  called("frame " + std::to_string(f->captured_unix_ms));
  emitSeen(emit, ctx, f->source_id, static_cast<double>(f->captured_unix_ms));
  return GW_OK;
}
void timedDestroy(gw_detector*) {}
const gw_detector_api* timedInit(uint16_t, uint16_t, const gw_host_api*) {
  static const gw_detector_api api = {sizeof(gw_detector_api),
                                      GW_DETECTOR_ABI_MAJOR,
                                      GW_DETECTOR_API_MINOR,
                                      "timed",
                                      "1.0",
                                      &timedCreate,
                                      &timedOnReading,
                                      &timedOnFrame,
                                      &timedDestroy};
  return &api;
}

class Recorder : public pipeline::EventSink {
 public:
  void emit(const gateway::v1::Event& e) override { events.push_back(e); }
  std::vector<gateway::v1::Event> health() const {
    std::vector<gateway::v1::Event> out;
    for (const auto& e : events) {
      if (e.detector_id() == "health") out.push_back(e);
    }
    return out;
  }
  std::vector<gateway::v1::Event> events;
};

gateway::v1::Reading reading(int value) {
  gateway::v1::Reading r;
  r.set_source_id("pm-1");
  r.set_quantity("pm10");
  r.set_value(value);
  return r;
}

pipeline::FramePtr frame(int n) {
  auto f = std::make_shared<pipeline::Frame>();
  f->camera_id = "cam-1";
  f->sequence = static_cast<uint64_t>(n);
  f->captured_unix_ms = n;  // the test detector reports it, so a test can tell frames apart
  f->image = cv::Mat(4, 4, CV_8UC3, cv::Scalar(0, 0, 0));
  return f;
}

class DetectorHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    call_cost_ms = 0;
    std::lock_guard lock(calls_mutex);
    calls.clear();
  }

  HostContext host() {
    HostContext context;
    context.counters = &counters_;
    context.latency = &latency_;
    context.clock = &fakeNow;
    return context;
  }

  Result<std::unique_ptr<PluginDetector>> tryMake(
      const std::map<std::string, std::string>& params) {
    google::protobuf::RepeatedPtrField<gateway::v1::PluginParam> list;
    for (const auto& [key, value] : params) {
      auto* p = list.Add();
      p->set_key(key);
      p->set_value(value);
    }
    return PluginDetector::builtin("timed-1", &timedInit, list, host());
  }

  std::unique_ptr<PluginDetector> make(const std::map<std::string, std::string>& params = {}) {
    auto made = tryMake(params);
    EXPECT_TRUE(made.ok()) << made.status().toString();
    return made.ok() ? std::move(made).value() : nullptr;
  }

  uint64_t counter(const std::string& name,
                   std::initializer_list<std::pair<const char*, std::string>> more = {}) const {
    if (more.size() == 0) return counters_.value(counterKey(name, {{"detector", "timed-1"}}));
    const auto& [key, value] = *more.begin();
    return counters_.value(counterKey(name, {{"detector", "timed-1"}, {key, value}}));
  }
  uint64_t skipped(const std::string& reason) const {
    return counter("detector_skipped_total", {{"reason", reason}});
  }

  Counters counters_;
  Histogram latency_;
};

TEST_F(DetectorHostTest, AFrameOverrunSkipsFramesForTheBackoffCountsThemAndThenCallsAgain) {
  auto d = make();
  Recorder rec;
  call_cost_ms = 300;  // over the default 200 ms budget
  d->onFrame(*frame(1), rec);
  call_cost_ms = 10;
  d->onFrame(*frame(2), rec);  // at once: backing off
  EXPECT_EQ(d->state(), State::kBackingOff);
  advance(999ms);
  d->onFrame(*frame(3), rec);
  advance(1ms);
  d->onFrame(*frame(4), rec);  // the backoff (1 s from the end of frame 1's call) is over

  EXPECT_EQ(callsMade(), (std::vector<std::string>{"frame 1", "frame 4"}));
  EXPECT_EQ(skipped("backoff"), 2u);
  EXPECT_EQ(skipped("disabled"), 0u);
  EXPECT_EQ(counter("detector_overruns_total"), 1u);
  EXPECT_EQ(counter("detector_disabled_total"), 0u);
  EXPECT_TRUE(rec.health().empty()) << "one overrun is no health event";
  EXPECT_EQ(rec.events.size(), 2u) << "frame 1's event is delivered although its call overran";
  EXPECT_EQ(latency_.snapshot().count, 2u) << "a skipped call is no call: not timed";
  EXPECT_EQ(d->overruns(), 1u);
  EXPECT_EQ(d->skipped(), 2u);
  EXPECT_FALSE(d->disabled());
  EXPECT_EQ(d->state(), State::kRunning);
}

TEST_F(DetectorHostTest, ReadingsAreNeverSkippedOnAnOverrunOnlyWhenRepeatedOverrunsDisable) {
  auto d = make({{"overrun_limit", "3"}});
  Recorder rec;
  call_cost_ms = 300;
  d->onReading(reading(1), rec);
  d->onReading(reading(2), rec);  // at once, as a busy source would send it: still called
  EXPECT_TRUE(rec.health().empty());
  EXPECT_EQ(skipped("backoff"), 0u);
  d->onReading(reading(3), rec);  // the third overrun within 60 s
  call_cost_ms = 10;
  d->onReading(reading(4), rec);  // disabled: skipped

  EXPECT_EQ(callsMade(), (std::vector<std::string>{"reading 1", "reading 2", "reading 3"}));
  EXPECT_EQ(skipped("backoff"), 0u);
  EXPECT_EQ(skipped("disabled"), 1u);
  ASSERT_EQ(rec.health().size(), 1u);
  EXPECT_EQ(rec.health()[0].kind(), "detector_disabled");
  EXPECT_EQ(rec.health()[0].source_id(), "pm-1");
  EXPECT_EQ(rec.health()[0].summary(),
            "detector timed-1 (timed) disabled for 30 s: 3 calls within 60 s took longer than its "
            "200 ms budget, the last 300 ms; it is tried again after that");
}

TEST_F(DetectorHostTest, RepeatedOverrunsDisableWithAHealthEventAndATrialWithinBudgetEnables) {
  auto d = make({{"budget_ms", "100"},
                 {"overrun_limit", "2"},
                 {"overrun_window_s", "10"},
                 {"cooldown_s", "5"}});
  Recorder rec;
  call_cost_ms = 150;
  d->onFrame(*frame(1), rec);
  advance(1s);
  d->onFrame(*frame(2), rec);  // the second overrun within 10 s

  ASSERT_EQ(rec.health().size(), 1u);
  const auto disabled = rec.health()[0];
  EXPECT_EQ(disabled.kind(), "detector_disabled");
  EXPECT_EQ(disabled.severity(), gateway::v1::SEVERITY_WARNING);
  EXPECT_EQ(disabled.source_id(), "cam-1");
  EXPECT_EQ(disabled.value(), 150);
  EXPECT_EQ(disabled.threshold(), 100);
  EXPECT_GT(disabled.observed_unix_ms(), 0);
  EXPECT_EQ(disabled.summary(),
            "detector timed-1 (timed) disabled for 5 s: 2 calls within 10 s took longer than its "
            "100 ms budget, the last 150 ms; it is tried again after that");
  EXPECT_EQ(counter("detector_disabled_total"), 1u);
  EXPECT_EQ(counter("detector_enabled_total"), 0u);
  EXPECT_TRUE(d->disabled());
  EXPECT_EQ(d->state(), State::kDisabled);

  call_cost_ms = 10;
  advance(4999ms);
  d->onFrame(*frame(3), rec);
  d->onReading(reading(3), rec);  // disabled means readings too
  EXPECT_EQ(skipped("disabled"), 2u);
  advance(1ms);
  d->onFrame(*frame(4), rec);  // the trial

  ASSERT_EQ(rec.health().size(), 2u);
  const auto enabled = rec.health()[1];
  EXPECT_EQ(enabled.kind(), "detector_enabled");
  EXPECT_EQ(enabled.severity(), gateway::v1::SEVERITY_INFO);
  EXPECT_EQ(enabled.source_id(), "cam-1");
  EXPECT_EQ(enabled.value(), 10);
  EXPECT_EQ(enabled.threshold(), 100);
  EXPECT_EQ(enabled.summary(),
            "detector timed-1 (timed) enabled again: a call took 10 ms, within its 100 ms "
            "budget; on probation for 10 s");
  EXPECT_EQ(counter("detector_enabled_total"), 1u);
  EXPECT_FALSE(d->disabled());
  EXPECT_EQ(d->state(), State::kProbation);
  EXPECT_EQ(callsMade(), (std::vector<std::string>{"frame 1", "frame 2", "frame 4"}));
  EXPECT_EQ(rec.events.back().kind(), "detector_enabled");
  EXPECT_EQ(rec.events[rec.events.size() - 2].kind(), "seen") << "the trial's own event";
}

TEST_F(DetectorHostTest, ATrialThatOverrunsIsNotAnnouncedAndWaitsTwiceAsLong) {
  auto d = make({{"overrun_limit", "1"}, {"cooldown_s", "5"}});
  Recorder rec;
  call_cost_ms = 300;
  d->onFrame(*frame(1), rec);  // disabled for 5 s
  advance(5s);
  d->onFrame(*frame(2), rec);  // trial over budget: disabled for 10 s, no event
  EXPECT_EQ(rec.health().size(), 1u);
  EXPECT_EQ(counter("detector_disabled_total"), 1u);
  EXPECT_EQ(counter("detector_overruns_total"), 2u);
  EXPECT_TRUE(d->disabled());
  call_cost_ms = 10;
  advance(5s);
  d->onFrame(*frame(3), rec);  // 5 s into the 10: skipped
  advance(5s);
  d->onFrame(*frame(4), rec);  // the next trial, within budget

  EXPECT_EQ(callsMade(), (std::vector<std::string>{"frame 1", "frame 2", "frame 4"}));
  ASSERT_EQ(rec.health().size(), 2u);
  EXPECT_EQ(rec.health()[0].kind(), "detector_disabled");
  EXPECT_EQ(rec.health()[0].summary(),
            "detector timed-1 (timed) disabled for 5 s: a call took 300 ms, its budget is 200 ms; "
            "it is tried again after that");
  EXPECT_EQ(rec.health()[1].kind(), "detector_enabled");
  // The pair says how many instances are out of service: none.
  EXPECT_EQ(counter("detector_disabled_total"), counter("detector_enabled_total"));
}

TEST_F(DetectorHostTest, AnInstanceThatGoesWhileDisabledCountsAsEnabledAgain) {
  {
    auto d = make({{"overrun_limit", "1"}});
    Recorder rec;
    call_cost_ms = 300;
    d->onReading(reading(1), rec);
    ASSERT_TRUE(d->disabled());
    EXPECT_EQ(counter("detector_disabled_total") - counter("detector_enabled_total"), 1u);
  }  // a reload replaces it with a fresh instance
  EXPECT_EQ(counter("detector_enabled_total"), 1u);
  { auto healthy = make(); }
  EXPECT_EQ(counter("detector_enabled_total"), 1u) << "only a disabled one is counted";
}

// Prometheus subtracts series with the same labels and drops one without a partner, so the pair
// must exist before the first disable for `disabled_total - enabled_total > 0` to fire then.
TEST_F(DetectorHostTest, TheOverrunCountersExistAtZeroFromTheStart) {
  auto d = make();
  const auto all = counters_.snapshot();
  for (const char* name :
       {"detector_overruns_total", "detector_disabled_total", "detector_enabled_total"}) {
    const auto it = all.find(counterKey(name, {{"detector", "timed-1"}}));
    ASSERT_NE(it, all.end()) << name;
    EXPECT_EQ(it->second, 0u) << name;
  }
}

TEST_F(DetectorHostTest, TheHostTakesItsParamsAndPassesTheRestToTheDetector) {
  auto d = make({{"budget_ms", "50"},
                 {"overrun_limit", "2"},
                 {"overrun_window_s", "7"},
                 {"cooldown_s", "9"},
                 {"mine", "x"}});
  EXPECT_EQ(param_keys, (std::vector<std::string>{"mine"}));
  EXPECT_EQ(d->limits().budget, 50ms);
  EXPECT_EQ(d->limits().overrun_limit, 2);
  EXPECT_EQ(d->limits().overrun_window, 7s);
  EXPECT_EQ(d->limits().cooldown, 9s);

  auto defaults = make();
  EXPECT_EQ(defaults->limits().budget, 200ms);
  EXPECT_EQ(defaults->limits().overrun_limit, 5);
  EXPECT_EQ(defaults->limits().overrun_window, 60s);
  EXPECT_EQ(defaults->limits().cooldown, 30s);
}

TEST_F(DetectorHostTest, BadHostParamsAreRefusedNamingTheDetectorAndTheValue) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"budget_ms", "fast", "budget_ms 'fast' is not a whole number from 1 to 86400000"},
      {"budget_ms", "0", "budget_ms '0' is not a whole number from 1 to 86400000"},
      {"overrun_limit", "0", "overrun_limit '0' is not a whole number from 1 to 1000"},
      {"overrun_limit", " 5", "overrun_limit ' 5' is not a whole number from 1 to 1000"},
      {"overrun_window_s", "60s", "overrun_window_s '60s' is not a whole number from 1 to 86400"},
      {"cooldown_s", "-1", "cooldown_s '-1' is not a whole number from 1 to 86400"},
  };
  for (const auto& [key, value, message] : cases) {
    auto made = tryMake({{key, value}});
    ASSERT_FALSE(made.ok()) << key << "=" << value;
    EXPECT_EQ(made.status().message(), "detector 'timed-1': " + message);
  }
}

// A camera for one frame worker: its slot, its counter name, its place.
class FakeCamera : public pipeline::FrameSource {
 public:
  pipeline::LatestFrameSlot& addConsumer(const std::string&) override { return slot; }
  std::string framesCounter() const override { return "frames_kept_total{camera=\"cam-1\""; }
  const gateway::v1::Location& location() const override { return location_; }
  pipeline::LatestFrameSlot slot;

 private:
  gateway::v1::Location location_;
};

TEST_F(DetectorHostTest, AFrameSkippedWhileBackingOffLeavesTheSlotSoTheNextCallGetsTheNewest) {
  FakeCamera camera;
  boost::asio::io_context io;
  std::vector<gateway::v1::Event> delivered;
  auto worker = std::make_unique<FrameWorker>(
      make(), FrameWorker::Camera{"cam-1", camera}, io.get_executor(),
      [&](const gateway::v1::Event& e, const pipeline::CameraEvidencePtr&) {
        delivered.push_back(e);
      },
      counters_,
      [](const pipeline::FramePtr& f, const gateway::v1::Event&) {
        return std::make_shared<const pipeline::CameraEvidence>(
            pipeline::CameraEvidence{f, {}, {}});
      });
  worker->start();
  const std::string taken_key =
      counterKey("detector_frames_total", {{"detector", "timed-1"}, {"camera", "cam-1"}});
  // The worker runs on its own thread: wait, bounded, until it has taken `n` frames.
  auto waitTaken = [&](uint64_t n) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (counters_.value(taken_key) < n && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(1ms);
    }
    ASSERT_EQ(counters_.value(taken_key), n);
  };

  call_cost_ms = 300;
  camera.slot.put(frame(1));  // overruns: frames are skipped for 1 s
  waitTaken(1);
  call_cost_ms = 10;
  camera.slot.put(frame(2));  // during the backoff: taken and skipped
  waitTaken(2);
  advance(1s);                // the backoff is over, with frame 2 the camera's newest
  camera.slot.put(frame(3));  // the next frame is the one the detector gets
  waitTaken(3);

  EXPECT_EQ(callsMade(), (std::vector<std::string>{"frame 1", "frame 3"}))
      << "frame 2 was skipped and is not called late, after the backoff";
  EXPECT_EQ(camera.slot.dropped(), 0u) << "every frame was taken from the slot, none replaced";
  EXPECT_EQ(skipped("backoff"), 1u);
  worker.reset();  // joins: every event it posted is queued
  io.run();
  ASSERT_EQ(delivered.size(), 2u);
  EXPECT_EQ(delivered[0].value(), 1);
  EXPECT_EQ(delivered[1].value(), 3);
}

}  // namespace
}  // namespace gw::detectors
