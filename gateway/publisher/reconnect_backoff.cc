#include "gateway/publisher/reconnect_backoff.h"

#include <algorithm>

namespace gw::publisher {

ReconnectBackoff::ReconnectBackoff(std::chrono::milliseconds min, std::chrono::milliseconds max,
                                   uint64_t seed)
    : min_(std::max(min, std::chrono::milliseconds(1))),
      max_(std::max(max, min_)),
      base_(min_),
      random_(seed) {}

std::chrono::milliseconds ReconnectBackoff::next() {
  const int64_t high = base_.count();
  std::uniform_int_distribution<int64_t> pick(std::max<int64_t>(1, high / 2), high);
  const std::chrono::milliseconds delay(pick(random_));
  base_ = std::min(base_ * 2, max_);
  return delay;
}

}  // namespace gw::publisher
