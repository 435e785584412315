#pragma once
// Work that Paho's threads and timers hand to the pipeline executor can still be queued there
// when its owner is destroyed (a test tears a source down while the executor runs on; gatewayd's
// shutdown order is not every caller's). Wrapped by a Lifeline, such work runs only while its
// owner lives: end() waits for a running piece to finish and turns every later one into a no-op.
#include <memory>
#include <mutex>
#include <utility>

namespace gw::sources {

class Lifeline {
 public:
  Lifeline() : state_(std::make_shared<State>()) {}

  // A callable that runs `f` only while the owner has not called end(). Copies share the state.
  template <typename F>
  auto guard(F f) const {
    return [state = state_, f = std::move(f)](auto&&... args) mutable {
      std::lock_guard lock(state->mutex);
      if (state->alive) f(std::forward<decltype(args)>(args)...);
    };
  }

  // First thing in the owner's destructor; never from inside guarded work (it would wait on
  // itself).
  void end() {
    std::lock_guard lock(state_->mutex);
    state_->alive = false;
  }

 private:
  struct State {
    std::mutex mutex;
    bool alive = true;
  };
  std::shared_ptr<State> state_;
};

}  // namespace gw::sources
