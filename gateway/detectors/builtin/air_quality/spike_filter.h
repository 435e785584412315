#pragma once
// A spike filter that cannot throw away a sustained change. Each reading is compared with the
// median of the last five readings of the same sensor and quantity, the suspect ones INCLUDED, so
// the reference follows the data: a single reading far from it (more than `max_jump`) is held as
// suspect, and so are the next ones while the median still sits at the old level. When a reading
// agrees with its reference again, every held reading is judged against the new median: those
// that now agree (a real step, a fireworks plateau: from its third reading on the median is the
// new level) are accepted, in time order, the others are spikes. A change therefore counts as
// real once it has lasted three readings in a row; one or two wild readings are spikes.
//
// (The old filter compared with the median of ACCEPTED readings only, which never caught up with
// a real rise: a three-hour PM10 episode was reported as 72 spikes. Issue 22.)
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace gw::detectors {

struct Sample {
  int64_t unix_ms = 0;
  double raw = 0;       // as measured: what the filter judges
  double adjusted = 0;  // what goes into the means (e.g. humidity-corrected)
  bool uncorrected = false;
};

class SpikeFilter {
 public:
  explicit SpikeFilter(double max_jump) : max_jump_(max_jump) {}

  struct Decided {
    std::vector<Sample> accepted;  // in time order
    struct Spike {
      Sample sample;
      double reference;  // the median it was judged against
    };
    std::vector<Spike> spikes;
  };
  Decided add(const Sample& sample);
  // Judges, against the current median, the held readings taken before `unix_ms`: a quantity that
  // stops reporting must not hold its last readings (and the hours they are in) for ever.
  Decided expire(int64_t unix_ms);

  // The time of the oldest reading still held as suspect.
  std::optional<int64_t> oldestHeld() const;

  // A recent reading taken within `tolerance_ms` of `unix_ms`, with the median it met on arrival
  // (for the cross-check of one PM fraction with the other).
  struct Seen {
    double raw;
    double reference;
  };
  std::optional<Seen> seenAt(int64_t unix_ms, int64_t tolerance_ms) const;

 private:
  static constexpr size_t kWindow = 5;
  double median() const;
  void judgeHeld(size_t count, Decided& out);

  double max_jump_;
  std::deque<double> window_;  // the last kWindow raw values, suspects included
  std::deque<Sample> held_;    // suspects not yet judged
  struct Recent {
    int64_t unix_ms;
    Seen seen;
  };
  std::deque<Recent> recent_;  // the last readings, with their reference on arrival
};

}  // namespace gw::detectors
