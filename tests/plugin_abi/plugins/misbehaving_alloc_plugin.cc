// The C++ variant of misbehaving_plugins.c's `alloc`: on call number `after` (default 1) it
// allocates and touches 16 MiB blocks with operator new until the address space runs out. In
// the confined host the new handler reports memory_limit; without one, std::bad_alloc would
// reach the SDK and become GW_ERROR_INTERNAL. Other calls emit one "seen" event.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "lantaarn_detector.hpp"

class AllocNew : public lantaarn::Detector {
 public:
  explicit AllocNew(const lantaarn::Params& params)
      : after_(params.count("after") != 0 ? std::stoi(params.at("after")) : 1) {}

  void onReading(const gw_reading_view& r, lantaarn::Emitter& emit) override {
    call(r.value, emit);
  }
  void onFrame(const gw_frame_view& f, lantaarn::Emitter& emit) override { call(f.width, emit); }

 private:
  void call(double value, lantaarn::Emitter& emit) {
    if (++calls_ == after_) {
      constexpr size_t kBlock = 16u << 20;
      for (;;) {
        blocks_.push_back(std::make_unique<char[]>(kBlock));
        std::memset(blocks_.back().get(), 1, kBlock);
      }
    }
    gw_event_out e{};
    e.kind = "seen";
    e.severity = GW_SEVERITY_INFO;
    e.value = value;
    emit.emit(e);
  }

  int after_;
  int calls_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
};

LANTAARN_DETECTOR_PLUGIN(AllocNew, "misbehave-alloc-new", "1.0.0")
