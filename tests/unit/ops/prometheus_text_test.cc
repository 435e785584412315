#include "gateway/ops/prometheus_text.h"

#include <gtest/gtest.h>

#include <cctype>
#include <set>
#include <sstream>

#include "gateway/core/counters.h"
#include "gateway/ops/metered_outbox.h"
#include "gateway/outbox/memory_outbox.h"

namespace gw::ops {
namespace {

// `lantaarn_<name>[{k="v",...}] <number>`, checked by hand (GCC 12's <regex> trips
// -Wmaybe-uninitialized under the sanitizer builds).
bool wellFormedSample(const std::string& line) {
  if (line.rfind("lantaarn_", 0) != 0) return false;
  size_t i = 9;
  while (i < line.size() && (std::islower(static_cast<unsigned char>(line[i])) || line[i] == '_'))
    ++i;
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (true) {
      const size_t key_start = i;
      while (i < line.size() &&
             (std::islower(static_cast<unsigned char>(line[i])) || line[i] == '_'))
        ++i;
      if (i == key_start || line.compare(i, 2, "=\"") != 0) return false;
      i = line.find('"', i + 2);
      if (i == std::string::npos) return false;
      ++i;
      if (i < line.size() && line[i] == ',') {
        ++i;
        continue;
      }
      if (i >= line.size() || line[i] != '}') return false;
      ++i;
      break;
    }
  }
  if (i >= line.size() || line[i] != ' ') return false;
  const std::string value = line.substr(i + 1);
  return !value.empty() && value.find_first_not_of("-0123456789.e+") == std::string::npos;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(PrometheusTextTest, EverySampleLineIsWellFormedAndEachFamilyIsContiguous) {
  Counters counters;
  counters.add("policy_reloads_total", 2);
  counters.add("outbox_evicted_total");  // an unlabelled `a` next to labelled `a{...}` below
  counters.add(counterKey("outbox_evicted_total", {{"actor", "police"}, {"reason", "full"}}), 3);
  counters.add(counterKey("outbox_evicted_totally", {{"actor", "x"}}));
  Histograms histograms;
  histograms.get(counterKey("detector_latency_seconds", {{"detector", "d"}}))
      .observe(std::chrono::microseconds(300));
  OpsInputs in;
  in.counters = counters.snapshot();
  in.histograms = histograms.snapshot();
  GatewayStatus status;
  status.actors = {"police"};
  status.backlog = {{"police", 4, 400, 1.5}};
  in.status = status;

  std::set<std::string> finished_families;
  std::string current;
  for (const auto& line : lines(renderPrometheus(in))) {
    if (line.rfind("# TYPE ", 0) == 0) {
      const std::string family = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_FALSE(finished_families.count(family)) << "family split: " << family;
      if (!current.empty()) finished_families.insert(current);
      current = family;
      continue;
    }
    if (line.rfind("# ", 0) == 0) continue;
    EXPECT_TRUE(wellFormedSample(line)) << line;
  }
  const std::string text = renderPrometheus(in);
  EXPECT_NE(text.find("lantaarn_outbox_evicted_total 1\n"), std::string::npos);
  EXPECT_NE(text.find("lantaarn_outbox_evicted_total{actor=\"police\",reason=\"full\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("lantaarn_policy_reloads_total 2\n"), std::string::npos);
  EXPECT_NE(text.find("lantaarn_outbox_messages{actor=\"police\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("lantaarn_outbox_oldest_age_seconds{actor=\"police\"} 1.5\n"),
            std::string::npos);
}

TEST(PrometheusTextTest, HistogramBucketsAreCumulativeAndEndInCount) {
  Histograms histograms;
  auto& h = histograms.get(counterKey("detector_latency_seconds", {{"detector", "d"}}));
  h.observe(std::chrono::microseconds(30));   // <= 50 us
  h.observe(std::chrono::microseconds(700));  // <= 1 ms
  h.observe(std::chrono::seconds(10));        // +Inf
  OpsInputs in;
  in.histograms = histograms.snapshot();
  const std::string text = renderPrometheus(in);
  const std::string p = "lantaarn_detector_latency_seconds_bucket{detector=\"d\",le=\"";
  EXPECT_NE(text.find(p + "5e-05\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find(p + "0.0005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find(p + "0.001\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find(p + "2.5\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find(p + "+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lantaarn_detector_latency_seconds_count{detector=\"d\"} 3\n"),
            std::string::npos);
}

TEST(MeteredOutboxTest, CountsBytesSentAndAcknowledgedPerActor) {
  Counters counters;
  MeteredOutbox box(std::make_unique<outbox::MemoryOutbox>(10, counters), counters);
  ASSERT_TRUE(box.append({"police", "t", std::string(100, 'x'), pipeline::Priority::kEvent}).ok());
  ASSERT_TRUE(box.append({"fire", "t", std::string(7, 'y'), pipeline::Priority::kEvent}).ok());
  const auto* first = box.takeNext();
  const uint64_t first_id = first->id;
  const auto* second = box.takeNext();
  box.requeue(second->id);  // a failed publish: sent once, not acknowledged
  box.ack(first_id);
  const auto* again = box.takeNext();
  box.ack(again->id);
  EXPECT_EQ(counters.value(counterKey("bytes_sent_total", {{"actor", "police"}})), 100u);
  EXPECT_EQ(counters.value(counterKey("bytes_acked_total", {{"actor", "police"}})), 100u);
  EXPECT_EQ(counters.value(counterKey("bytes_sent_total", {{"actor", "fire"}})), 14u);
  EXPECT_EQ(counters.value(counterKey("bytes_acked_total", {{"actor", "fire"}})), 7u);
  EXPECT_TRUE(box.empty());
}

TEST(MeteredOutboxTest, ForEachEntrySeesHeldEntriesWithTheirAppendTime) {
  Counters counters;
  const auto before = std::chrono::steady_clock::now();
  MeteredOutbox box(std::make_unique<outbox::MemoryOutbox>(10, counters), counters);
  ASSERT_TRUE(box.append({"police", "t", "abc", pipeline::Priority::kEvent}).ok());
  ASSERT_TRUE(box.append({"fire", "t", "de", pipeline::Priority::kEvent}).ok());
  box.takeNext();  // in flight entries are still held
  std::vector<std::string> seen;
  box.forEachEntry([&](const pipeline::Outbox::Entry& e) {
    seen.push_back(e.message.actor_id);
    EXPECT_GE(e.appended_at, before);
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"police", "fire"}));
}

}  // namespace
}  // namespace gw::ops
