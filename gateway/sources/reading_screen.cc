#include "gateway/sources/reading_screen.h"

namespace gw::sources {

std::string readingText(const gateway::v1::Reading& reading) {
  std::string text;
  if (!reading.sensor_ref().empty()) text = "sensor '" + reading.sensor_ref() + "' ";
  return text + reading.quantity() + " at " + utcText(reading.observed_unix_ms());
}

std::string ReadingScreen::seriesKey(const gateway::v1::Reading& reading) {
  // The NUL cannot occur in either part, so two different pairs never share a key.
  std::string key = reading.sensor_ref();
  key += '\0';
  key += reading.quantity();
  return key;
}

std::optional<ScreenRefusal> ReadingScreen::check(const gateway::v1::Reading& reading) const {
  const auto it = series_.find(seriesKey(reading));
  if (it == series_.end()) return std::nullopt;
  const Series& s = it->second;
  const int64_t t = reading.observed_unix_ms();
  // The text only for a refusal: an accepted reading need not pay for formatting its time.
  if (s.recent_ms.count(t) != 0) {
    return ScreenRefusal{"duplicate",
                         readingText(reading) + ": a reading for this time was already accepted"};
  }
  if (t < s.newest_ms - tolerance_ms_) {
    return ScreenRefusal{"out_of_order", readingText(reading) + " is " +
                                             std::to_string((s.newest_ms - t) / 1000) +
                                             " s older than the newest accepted (" +
                                             utcText(s.newest_ms) + "), beyond the tolerance of " +
                                             std::to_string(tolerance_ms_ / 1000) + " s"};
  }
  return std::nullopt;
}

bool ReadingScreen::jumpsAhead(const gateway::v1::Reading& reading) const {
  const auto it = series_.find(seriesKey(reading));
  if (it == series_.end() || it->second.last_step_ms == 0) return false;
  const int64_t ahead = reading.observed_unix_ms() - it->second.newest_ms;
  return ahead > 2 * it->second.last_step_ms && ahead > tolerance_ms_;
}

void ReadingScreen::accepted(const gateway::v1::Reading& reading) {
  const std::string key = seriesKey(reading);
  const int64_t t = reading.observed_unix_ms();
  auto it = series_.find(key);
  if (it == series_.end()) {
    if (series_.size() >= max_series_ && !lru_.empty()) {
      series_.erase(lru_.back());
      lru_.pop_back();
    }
    lru_.push_front(key);
    it = series_.emplace(key, Series{t, 0, {}, lru_.begin()}).first;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.age);
  }
  Series& s = it->second;
  if (t > s.newest_ms) {
    s.last_step_ms = t - s.newest_ms;
    s.newest_ms = t;
  }
  s.recent_ms.insert(t);
  // Older times can no longer be duplicates the out-of-order check would not catch.
  s.recent_ms.erase(s.recent_ms.begin(), s.recent_ms.lower_bound(s.newest_ms - tolerance_ms_));
}

}  // namespace gw::sources
