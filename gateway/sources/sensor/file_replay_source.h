#pragma once
// Replays a recorded sensor file (any line-oriented format of formats/) through the pipeline, in
// real time, faster (speed N), or as fast as the pipeline accepts (speed 0). The gaps between the
// recorded timestamps set the pace, so a replay behaves like the sensor did. Runs entirely on the
// pipeline executor.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <fstream>
#include <map>
#include <optional>

#include "gateway/core/counters.h"
#include "gateway/pipeline/stage.h"
#include "gateway/sources/reading_screen.h"
#include "gateway/sources/reading_source.h"
#include "gateway/sources/sensor/formats/record_parser.h"
#include "gateway/v1/policy.pb.h"

namespace gw::sources {

class FileReplaySource : public ReadingSource {
 public:
  // `start_unix_ms` > 0: records observed before it are skipped, on every pass (replay.start).
  FileReplaySource(const gateway::v1::Source& config, const boost::asio::any_io_executor& executor,
                   pipeline::ReadingSink& sink, Counters& counters, int64_t start_unix_ms = 0);

  const std::string& id() const override { return id_; }
  void start() override;
  void stop() override;
  bool finished() const override { return finished_; }

 private:
  bool openFile();
  void scheduleNext();
  void deliverPending();
  // Reads rows until one yields readings; false at end of file.
  bool readNextRow();
  // `line`: the file line the value came from; 0: the current one.
  void countDrop(const std::string& reason, const std::string& detail, size_t line = 0);
  // The screen (duplicates, out of order) for one reading of the current row; what passes is
  // queued, a reading that jumps ahead is held until the next one of its series.
  void screen(gateway::v1::Reading reading);
  void pass(gateway::v1::Reading reading);

  std::string id_;
  gateway::v1::FileReplay replay_;
  std::optional<gateway::v1::Location> location_override_;
  int64_t start_unix_ms_;
  boost::asio::steady_timer timer_;
  pipeline::ReadingSink& sink_;
  Counters& counters_;
  std::atomic<uint64_t>& accepted_;

  std::ifstream file_;
  RecordParserPtr parser_;  // null when the format cannot be replayed (reported at start)
  Status parser_status_;
  size_t line_no_ = 0;
  std::deque<gateway::v1::Reading> pending_;
  int64_t pending_time_ms_ = 0;
  int64_t previous_time_ms_ = -1;
  int64_t loop_offset_ms_ = 0;  // added to timestamps on each loop so time keeps moving forward
  std::optional<int64_t> next_pass_after_ms_;  // set at a loop: the last time of the pass before
  int64_t last_time_ms_ = 0;
  uint64_t logged_drops_ = 0;
  ReadingScreen screen_;  // duplicates and out-of-order rows, per sensor and quantity
  struct Held {
    gateway::v1::Reading reading;
    size_t line;
  };
  std::map<std::string, Held> held_;  // per series: a reading that jumped ahead
  bool stopped_ = false;
  bool finished_ = false;
};

}  // namespace gw::sources
