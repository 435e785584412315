#include "gateway/core/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <chrono>
#include <cstdlib>
#include <ctime>

#include "gateway/core/log_rate_limit.h"

namespace gw {
namespace {

void appendJsonString(std::string_view text, spdlog::memory_buf_t& out) {
  static const char* kHex = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out.append(std::string_view("\\\""));
        break;
      case '\\':
        out.append(std::string_view("\\\\"));
        break;
      case '\n':
        out.append(std::string_view("\\n"));
        break;
      case '\r':
        out.append(std::string_view("\\r"));
        break;
      case '\t':
        out.append(std::string_view("\\t"));
        break;
      default:
        if (u < 0x20) {
          const char esc[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 15]};
          out.append(esc, esc + sizeof esc);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char stamp[32];
    const size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    char millis[8];
    std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms % 1000));
    dest.append(std::string_view("{\"time\":\""));
    dest.append(std::string_view(stamp, n));
    dest.append(std::string_view(millis));
    dest.append(std::string_view("\",\"level\":"));
    const auto level = spdlog::level::to_string_view(msg.level);
    appendJsonString(std::string_view(level.data(), level.size()), dest);
    dest.append(std::string_view(",\"msg\":"));
    appendJsonString(std::string_view(msg.payload.data(), msg.payload.size()), dest);
    dest.append(std::string_view("}\n"));
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// `%*`: the sd-daemon(3) priority prefix, so journald files each line at its level.
class SyslogPriorityFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr char kPriority[] = {'7', '7', '6', '4', '3', '2', '6'};
    const char text[] = {'<', kPriority[static_cast<int>(msg.level)], '>'};
    dest.append(text, text + sizeof text);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriorityFlag>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> makeJsonLogFormatter() {
  return std::make_unique<JsonFormatter>();
}

Status initLogging(const LogOptions& options) {
  auto parsed = spdlog::level::from_str(options.level);
  // from_str maps unknown names to `off`; only accept `off` when asked for explicitly.
  if (parsed == spdlog::level::off && options.level != "off") {
    return invalidArgument("unknown log level '" + options.level +
                           "' (expected trace, debug, info, warn, error, critical or off)");
  }
  if (options.format != "text" && options.format != "json") {
    return invalidArgument("unknown log format '" + options.format + "' (expected text or json)");
  }
  const bool journald = options.journald.value_or(std::getenv("JOURNAL_STREAM") != nullptr);
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  // Ten lines per minute per repeating message is enough to see what happens.
  auto sink = std::make_shared<RateLimitedSink>(console, 10, std::chrono::seconds(60));
  if (options.format == "json") {
    sink->set_formatter(makeJsonLogFormatter());
  } else if (journald) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%l %v");
    sink->set_formatter(std::move(formatter));
  } else {
    sink->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v");
  }
  auto logger = std::make_shared<spdlog::logger>("lantaarn", sink);
  logger->set_level(parsed);
  // Errors reach the journal at once even if the process dies right after.
  logger->flush_on(spdlog::level::warn);
  spdlog::drop("lantaarn");
  spdlog::register_logger(logger);
  spdlog::set_default_logger(logger);
  return okStatus();
}

Status initLogging(const std::string& level) {
  LogOptions options;
  options.level = level;
  return initLogging(options);
}

}  // namespace gw
