#include "gateway/ops/prometheus_text.h"

#include <cstdio>
#include <map>
#include <set>
#include <vector>

namespace gw::ops {
namespace {

constexpr const char* kPrefix = "lantaarn_";

// Splits `name{labels}` into its name and the inside of the braces.
std::pair<std::string, std::string> splitKey(const std::string& key) {
  const auto brace = key.find('{');
  if (brace == std::string::npos || key.back() != '}') return {key, ""};
  return {key.substr(0, brace), key.substr(brace + 1, key.size() - brace - 2)};
}

std::string number(double v) {
  char buf[64];
  // Counters are integers: print them exactly; other values need no more than 9 digits.
  if (v == static_cast<double>(static_cast<int64_t>(v)) && v < 1e15 && v > -1e15) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  } else {
    std::snprintf(buf, sizeof buf, "%.9g", v);
  }
  return buf;
}

// Label values in Prometheus escape backslash, quote and newline.
std::string labelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

class Writer {
 public:
  void family(const std::string& name, const char* type, const char* help) {
    if (!declared_.insert(name).second) return;
    out_ += "# HELP " + std::string(kPrefix) + name + " " + help + "\n";
    out_ += "# TYPE " + std::string(kPrefix) + name + " " + type + "\n";
  }
  void sample(const std::string& name, const std::string& labels, double value) {
    out_ += kPrefix + name;
    if (!labels.empty()) out_ += "{" + labels + "}";
    out_ += " " + number(value) + "\n";
  }
  std::string take() { return std::move(out_); }

 private:
  std::set<std::string> declared_;
  std::string out_;
};

std::string label(const char* key, const std::string& value) {
  return std::string(key) + "=\"" + labelValue(value) + "\"";
}

}  // namespace

std::string renderPrometheus(const OpsInputs& in) {
  Writer w;
  w.family("build_info", "gauge", "The running gatewayd version.");
  w.sample("build_info", label("version", in.version), 1);
  w.family("uptime_seconds", "gauge", "Seconds since gatewayd started.");
  w.sample("uptime_seconds", "", in.uptime_seconds);
  w.family("pipeline_responsive", "gauge",
           "1 when the pipeline thread answered this scrape in time, 0 when it did not.");
  w.sample("pipeline_responsive", "", in.status ? 1 : 0);

  // The registry's counters, grouped into families by name: the format wants each family's
  // samples together, and key order alone would put `a_b` between `a` and `a{x}`.
  std::map<std::string, std::vector<std::pair<std::string, uint64_t>>> families;
  for (const auto& [key, value] : in.counters) {
    auto [name, labels] = splitKey(key);
    families[name].emplace_back(labels, value);
  }
  for (const auto& [name, samples] : families) {
    w.family(name, "counter", "Lantaarn event counter (see gateway/ops/README.md).");
    for (const auto& [labels, value] : samples) w.sample(name, labels, static_cast<double>(value));
  }

  for (const auto& [key, snap] : in.histograms) {
    auto [name, labels] = splitKey(key);
    w.family(name, "histogram", "Latency in seconds.");
    const std::string sep = labels.empty() ? "" : ",";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < Histogram::kBounds.size(); ++i) {
      cumulative += snap.buckets[i];
      w.sample(name + "_bucket", labels + sep + label("le", number(Histogram::kBounds[i])),
               static_cast<double>(cumulative));
    }
    cumulative += snap.buckets.back();
    w.sample(name + "_bucket", labels + sep + label("le", "+Inf"), static_cast<double>(cumulative));
    w.sample(name + "_sum", labels, snap.sum_seconds);
    w.sample(name + "_count", labels, static_cast<double>(snap.count));
  }

  w.family("source_rate_per_second", "gauge",
           "Readings (sensors) or frames (cameras) per second over the last 10 s.");
  w.family("stalled", "gauge", "1 when a source or frame detector made no progress for too long.");
  for (size_t i = 0; i < in.watches.size() && i < in.progress.size(); ++i) {
    const Watch& watch = in.watches[i];
    const bool source = watch.kind == Watch::Kind::kSource;
    if (source) {
      w.sample("source_rate_per_second", label("source", watch.id), in.progress[i].rate_per_second);
    }
    w.sample("stalled", label(source ? "source" : "detector", watch.id),
             in.progress[i].stalled ? 1 : 0);
  }

  if (in.status) {
    const GatewayStatus& s = *in.status;
    w.family("broker_connected", "gauge", "1 while connected to the MQTT broker.");
    w.sample("broker_connected", "", s.broker_connected ? 1 : 0);
    w.family("policy_version", "gauge", "The running policy's version, 1 at start, +1 per reload.");
    w.sample("policy_version", "", static_cast<double>(s.policy_version));
    w.family("outbox_accepting", "gauge", "1 while the outbox has room for new messages.");
    w.sample("outbox_accepting", "", s.outbox_accepting ? 1 : 0);
    w.family("outbox_in_flight", "gauge", "Messages published and awaiting the broker's PUBACK.");
    w.sample("outbox_in_flight", "", static_cast<double>(s.outbox_in_flight));
    w.family("outbox_messages", "gauge", "Messages held in the outbox (unsent and in flight).");
    w.family("outbox_bytes", "gauge", "Sealed payload bytes held in the outbox.");
    w.family("outbox_oldest_age_seconds", "gauge",
             "Age of the oldest undelivered message (recovered ones: since the restart).");
    for (const auto& actor : s.actors) {
      ActorBacklog b;
      for (const auto& held : s.backlog) {
        if (held.actor == actor) b = held;
      }
      w.sample("outbox_messages", label("actor", actor), static_cast<double>(b.messages));
      w.sample("outbox_bytes", label("actor", actor), static_cast<double>(b.bytes));
      w.sample("outbox_oldest_age_seconds", label("actor", actor), b.oldest_age_seconds);
    }
  }
  return w.take();
}

}  // namespace gw::ops
