#pragma once
// A spdlog sink wrapper that keeps a repeating warning or error from flooding the journal: a bad
// sensor sending garbage ten times a second must not rotate away the one line that matters.
// Messages at warn and above are grouped by their text with digits blanked ("Seal failed
// actor=x" and "... after 3 ms" vs "4 ms" are one group); each group may log `burst` lines per
// `window`, then is suppressed, and the next line of that group after the window says how many
// were suppressed. Info and below pass untouched (they are not the flood we fear).
#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

namespace gw {

class RateLimitedSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  RateLimitedSink(
      spdlog::sink_ptr inner, size_t burst, std::chrono::seconds window,
      Clock clock = [] { return std::chrono::steady_clock::now(); });

  uint64_t suppressed() const { return suppressed_total_; }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override { inner_->flush(); }
  void set_pattern_(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  struct Group {
    std::chrono::steady_clock::time_point window_start;
    size_t logged = 0;
    uint64_t suppressed = 0;
  };

  spdlog::sink_ptr inner_;
  size_t burst_;
  std::chrono::seconds window_;
  Clock clock_;
  std::map<std::string, Group> groups_;
  uint64_t suppressed_total_ = 0;
};

}  // namespace gw
