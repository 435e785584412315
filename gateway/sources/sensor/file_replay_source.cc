#include "gateway/sources/sensor/file_replay_source.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include <algorithm>
#include <chrono>

#include "gateway/sources/sensor/formats/record_parser_factory.h"

namespace gw::sources {

namespace {

// Reads one line ending in \n, \r\n or a lone \r (Rijkswaterstaat's DDL export uses CR only).
bool readLine(std::istream& in, std::string* line) {
  line->clear();
  int c;
  while ((c = in.get()) != std::char_traits<char>::eof()) {
    if (c == '\n') return true;
    if (c == '\r') {
      if (in.peek() == '\n') in.get();
      return true;
    }
    line->push_back(static_cast<char>(c));
  }
  return !line->empty();
}

// While the pipeline is full, offer the pending reading again after this long.
constexpr auto kBackpressureRetry = std::chrono::milliseconds(5);
// Log the first few bad rows of a source, then one in this many, so a broken file cannot flood.
constexpr uint64_t kLogFirst = 5, kLogEvery = 1000;
}  // namespace

FileReplaySource::FileReplaySource(const gateway::v1::Source& config,
                                   const boost::asio::any_io_executor& executor,
                                   pipeline::ReadingSink& sink, Counters& counters,
                                   int64_t start_unix_ms)
    : id_(config.id()),
      replay_(config.sensor().replay()),
      start_unix_ms_(start_unix_ms),
      timer_(executor),
      sink_(sink),
      counters_(counters),
      accepted_(counters.get(counterKey("readings_accepted_total", {{"source", config.id()}}))),
      screen_(config.sensor().limits().reorder_tolerance_seconds() > 0
                  ? int64_t{config.sensor().limits().reorder_tolerance_seconds()} * 1000
                  : kDefaultReorderToleranceMs) {
  if (config.has_location()) location_override_ = config.location();
  auto parser = makeRecordParser(config.sensor(), config.id());
  if (parser.ok()) {
    parser_ = std::move(parser).value();
  } else {
    parser_status_ = parser.status();
  }
}

void FileReplaySource::start() {
  boost::asio::post(timer_.get_executor(), [this] {
    if (!openFile()) {
      finished_ = true;
      return;
    }
    scheduleNext();
  });
}

void FileReplaySource::stop() {
  boost::asio::post(timer_.get_executor(), [this] {
    stopped_ = true;
    timer_.cancel();
  });
}

bool FileReplaySource::openFile() {
  if (!parser_) {
    spdlog::error("Source cannot replay source={} error=\"{}\"", id_, parser_status_.message());
    countDrop("unsupported_format", parser_status_.message());
    return false;
  }
  file_.close();
  file_.clear();
  file_.open(replay_.path());
  line_no_ = 0;
  if (!file_) {
    spdlog::error("Source cannot open replay file source={} path={}", id_, replay_.path());
    countDrop("unreadable", replay_.path());
    return false;
  }
  std::string header;
  if (!readLine(file_, &header)) {
    spdlog::error("Source replay file is empty source={} path={}", id_, replay_.path());
    return false;
  }
  ++line_no_;
  if (Status s = parser_->parseHeader(header); !s.ok()) {
    spdlog::error("Source replay file rejected source={} path={}:1 error=\"{}\"", id_,
                  replay_.path(), s.message());
    countDrop("malformed_header", s.message());
    return false;
  }
  return true;
}

void FileReplaySource::countDrop(const std::string& reason, const std::string& detail,
                                 size_t line) {
  counters_.add(counterKey("readings_dropped_total", {{"source", id_}, {"reason", reason}}));
  ++logged_drops_;
  if (logged_drops_ <= kLogFirst || logged_drops_ % kLogEvery == 0) {
    spdlog::warn("Reading dropped source={} at={}:{} reason={} detail=\"{}\" (dropped so far: {})",
                 id_, replay_.path(), line == 0 ? line_no_ : line, reason, detail, logged_drops_);
  }
}

void FileReplaySource::pass(gateway::v1::Reading reading) {
  if (auto refusal = screen_.check(reading)) {
    countDrop(refusal->reason, refusal->detail);
    return;
  }
  // Taken now: a replay keeps every reading the pipeline pushes back on and offers it again.
  screen_.accepted(reading);
  pending_.push_back(std::move(reading));
}

void FileReplaySource::screen(gateway::v1::Reading reading) {
  const std::string series = ReadingScreen::seriesKey(reading);
  if (auto held = held_.find(series); held != held_.end()) {
    Held h = std::move(held->second);
    held_.erase(held);
    if (reading.observed_unix_ms() < h.reading.observed_unix_ms() && !screen_.check(reading)) {
      // The series goes on from before the held reading: the held one carried a wrong time.
      countDrop("out_of_order",
                readingText(h.reading) + " is ahead of the rows around it (the next is at " +
                    utcText(reading.observed_unix_ms()) + ")",
                h.line);
    } else {
      pass(std::move(h.reading));
    }
  }
  if (!screen_.check(reading) && screen_.jumpsAhead(reading)) {
    held_[series] = Held{std::move(reading), line_no_};
    return;
  }
  pass(std::move(reading));
}

bool FileReplaySource::readNextRow() {
  std::string line;
  while (readLine(file_, &line)) {
    ++line_no_;
    if (line.empty()) continue;
    auto row = parser_->parseRow(line);
    if (!row.ok()) {
      countDrop("malformed", row.status().message());
      continue;
    }
    for (const auto& rejected : row->rejected)
      countDrop(rejected.reason, rejected.column + ": " + rejected.detail);
    if (row->readings.empty()) continue;
    // Before replay.start: not part of this replay (not bad input, so not counted as dropped).
    if (row->readings.front().observed_unix_ms() < start_unix_ms_) continue;
    if (next_pass_after_ms_) {
      loop_offset_ms_ = *next_pass_after_ms_ + 1000 - row->readings.front().observed_unix_ms();
      next_pass_after_ms_.reset();
    }
    for (auto& reading : row->readings) {
      reading.set_observed_unix_ms(reading.observed_unix_ms() + loop_offset_ms_);
      if (location_override_) *reading.mutable_location() = *location_override_;
      screen(std::move(reading));
    }
    if (pending_.empty()) continue;  // all dropped or held
    pending_time_ms_ = pending_.front().observed_unix_ms();
    last_time_ms_ = pending_time_ms_;
    return true;
  }
  // The end of the file: what was held has no next reading to be judged by, so it goes.
  for (auto& [series, held] : held_) pass(std::move(held.reading));
  held_.clear();
  if (pending_.empty()) return false;
  pending_time_ms_ = pending_.front().observed_unix_ms();
  last_time_ms_ = std::max(last_time_ms_, pending_.back().observed_unix_ms());
  return true;
}

void FileReplaySource::scheduleNext() {
  if (stopped_) return;
  if (pending_.empty() && !readNextRow()) {
    if (!replay_.loop()) {
      spdlog::info("Source replay finished source={} lines={}", id_, line_no_);
      finished_ = true;
      return;
    }
    // Loop: the next pass is shifted (in readNextRow, before the screen sees it) so that its
    // first reading comes 1 s after the last one of this pass.
    next_pass_after_ms_ = last_time_ms_;
    if (!openFile() || !readNextRow()) {
      finished_ = true;
      return;
    }
  }
  std::chrono::milliseconds delay(0);
  if (replay_.speed() > 0 && previous_time_ms_ >= 0 && pending_time_ms_ > previous_time_ms_) {
    delay = std::chrono::milliseconds(static_cast<int64_t>(
        static_cast<double>(pending_time_ms_ - previous_time_ms_) / replay_.speed()));
  }
  timer_.expires_after(delay);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    deliverPending();
  });
}

void FileReplaySource::deliverPending() {
  while (!pending_.empty()) {
    Status s = sink_.accept(pending_.front());
    if (s.code() == StatusCode::kResourceExhausted) {
      // Backpressure: keep the reading and offer it again shortly; nothing is lost.
      timer_.expires_after(kBackpressureRetry);
      timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopped_) return;
        deliverPending();
      });
      return;
    }
    if (s.ok()) {
      accepted_.fetch_add(1, std::memory_order_relaxed);
    } else {
      countDrop("rejected", s.message());
    }
    pending_.pop_front();
  }
  previous_time_ms_ = pending_time_ms_;
  scheduleNext();
}

}  // namespace gw::sources
