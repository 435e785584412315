#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "gateway/core/listen_address.h"
#include "gateway/core/log_rate_limit.h"
#include "gateway/core/logging.h"

namespace gw {
namespace {

struct Captured {
  std::ostringstream out;
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now();
  std::shared_ptr<RateLimitedSink> sink;
  std::shared_ptr<spdlog::logger> logger;

  explicit Captured(size_t burst) {
    auto inner = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
    sink = std::make_shared<RateLimitedSink>(inner, burst, std::chrono::seconds(60),
                                             [this] { return now; });
    sink->set_pattern("%l %v");
    logger = std::make_shared<spdlog::logger>("test", sink);
    logger->set_level(spdlog::level::trace);
  }
  size_t lines() const {
    const std::string s = out.str();
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
  }
};

TEST(RateLimitedSinkTest, RepeatedErrorsAreCutAfterTheBurstAndSummarisedLater) {
  Captured c(3);
  for (int i = 0; i < 50; ++i) c.logger->error("Seal failed actor=police after {} ms", i);
  EXPECT_EQ(c.lines(), 3u);
  EXPECT_EQ(c.sink->suppressed(), 47u);
  c.logger->error("Outbox full actor=fire");  // another message is its own group
  EXPECT_EQ(c.lines(), 4u);
  c.now += std::chrono::seconds(61);
  c.logger->error("Seal failed actor=police after 99 ms");
  EXPECT_NE(c.out.str().find("Suppressed 47 repeats"), std::string::npos) << c.out.str();
  EXPECT_NE(c.out.str().find("after 99 ms"), std::string::npos);
}

TEST(RateLimitedSinkTest, InfoLinesAreNeverLimited) {
  Captured c(1);
  for (int i = 0; i < 20; ++i) c.logger->info("Policy reloaded version={}", i);
  EXPECT_EQ(c.lines(), 20u);
}

TEST(JsonLogFormatterTest, EachLineIsOneJsonObjectWithEscapedMessage) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  sink->set_formatter(makeJsonLogFormatter());
  spdlog::logger logger("json", sink);
  logger.warn("Source cannot listen error=\"{}\"\tnext", "in use\n");
  const std::string line = out.str();
  ASSERT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["level"], "warning");
  EXPECT_EQ(parsed["msg"], "Source cannot listen error=\"in use\n\"\tnext");
  EXPECT_EQ(parsed["time"].get<std::string>().size(), 24u);  // 2026-12-01T08:00:01.584Z
}

TEST(LoggingTest, UnknownFormatOrLevelIsRefused) {
  LogOptions bad_format;
  bad_format.format = "xml";
  EXPECT_FALSE(initLogging(bad_format).ok());
  LogOptions bad_level;
  bad_level.level = "loud";
  EXPECT_FALSE(initLogging(bad_level).ok());
}

TEST(ListenAddressTest, ParsesIpv4AndBracketedIpv6AndRejectsNamesAndBadPorts) {
  auto v4 = parseListenAddress("127.0.0.1:9273");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 9273);
  auto v6 = parseListenAddress("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  for (const char* bad :
       {"localhost:9273", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:-1"}) {
    EXPECT_FALSE(parseListenAddress(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace gw
