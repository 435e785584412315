#include "tests/bench/load/sensor_feeder.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "tests/bench/load/load_policy.h"
#include "tests/bench/load/mqtt_feeder.h"

namespace gw::load {

int64_t wallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

int connectTo(const std::string& transport, int port, std::string* error) {
  const bool udp = transport == "udp";
  const int fd = ::socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    *error = "cannot connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return -1;
  }
  if (!udp) {
    const int one = 1;  // a sensor sends each line now, not when Nagle lets it
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

bool writeAll(int fd, const std::string& data, std::string* error) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = std::string("send failed: ") + std::strerror(errno);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// UDP: several lines per datagram, well under the listener's message limit.
constexpr size_t kDatagramBytes = 1200;
// Unpaced TCP: lines per write per sensor.
constexpr int kUnpacedChunk = 64;

}  // namespace

FeedPlan socketPlan(std::string transport, std::vector<int> ports, std::string quantity,
                    double whole_value, double alt_value, double rate, int64_t count) {
  FeedPlan plan;
  plan.transport = std::move(transport);
  plan.ports = std::move(ports);
  plan.quantity = std::move(quantity);
  plan.whole_value = whole_value;
  plan.alt_value = alt_value;
  plan.rate = rate;
  plan.count = count;
  return plan;
}

SensorFeeder::SensorFeeder(FeedPlan plan) : plan_(std::move(plan)), sent_(sensors()) {}

size_t SensorFeeder::sensors() const {
  return plan_.transport == "mqtt" ? plan_.topics.size() : plan_.ports.size();
}

std::string SensorFeeder::quantityOf(size_t sensor) const {
  return sensor < plan_.quantities.size() ? plan_.quantities[sensor] : plan_.quantity;
}

SensorFeeder::~SensorFeeder() { stopAndJoin(); }

void SensorFeeder::start() {
  thread_ = std::thread([this] { run(); });
}

void SensorFeeder::stopAndJoin() {
  stop_ = true;
  join();
}

void SensorFeeder::join() {
  if (thread_.joinable()) thread_.join();
}

std::vector<int64_t> SensorFeeder::sentPerSensor() const {
  std::vector<int64_t> out;
  for (const auto& n : sent_) out.push_back(n.load());
  return out;
}

// How many readings should be out by now: as the rate paces them, or flat out the next chunk
// per sensor; never beyond the plan's count. At most `total` means: not yet.
int64_t SensorFeeder::dueBy(std::chrono::steady_clock::time_point start, int64_t total,
                            size_t sensors) const {
  int64_t due;
  if (plan_.rate > 0) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    due = static_cast<int64_t>(elapsed * plan_.rate) + 1;
  } else {
    due = total + kUnpacedChunk * static_cast<int64_t>(sensors);
  }
  return plan_.count > 0 ? std::min(due, plan_.count) : due;
}

void SensorFeeder::run() {
  if (plan_.transport == "mqtt") {
    runMqtt();
    return;
  }
  const size_t sensors = plan_.ports.size();
  std::vector<int> fds;
  for (int port : plan_.ports) {
    const int fd = connectTo(plan_.transport, port, &error_);
    if (fd < 0) break;
    fds.push_back(fd);
  }
  const bool udp = plan_.transport == "udp";
  std::vector<std::string> buffers(sensors);
  std::vector<int64_t> next_sequence(sensors, 0);  // numbered when buffered
  std::vector<int64_t> pending(sensors, 0);        // buffered, not yet written
  // Writes what is buffered for sensor s; a reading counts as sent once it is written.
  auto flush = [&](size_t s) {
    if (buffers[s].empty() || !error_.empty()) return;
    if (writeAll(fds[s], buffers[s], &error_)) sent_[s] += pending[s];
    buffers[s].clear();
    pending[s] = 0;
  };
  int64_t total = 0;
  const auto start = std::chrono::steady_clock::now();
  while (error_.empty() && fds.size() == sensors && !stop_ &&
         (plan_.count == 0 || total < plan_.count)) {
    const int64_t due = dueBy(start, total, sensors);
    if (due <= total) {
      std::this_thread::sleep_for(std::chrono::microseconds(1000));
      continue;
    }
    const int64_t now_us = wallMicros();
    if (first_send_us_ == 0) first_send_us_ = now_us;
    for (; total < due; ++total) {
      const size_t s = static_cast<size_t>(total) % sensors;
      const int64_t seq = next_sequence[s]++;
      const bool alternate = plan_.alt_value >= 0 && seq % 2 == 1;
      buffers[s] += readingLine(quantityOf(s), static_cast<uint64_t>(seq),
                                stampFor(now_us, alternate ? plan_.alt_value : plan_.whole_value));
      ++pending[s];
      if (udp && buffers[s].size() >= kDatagramBytes) flush(s);
    }
    for (size_t s = 0; s < sensors; ++s) flush(s);
    last_send_us_ = now_us;
  }
  for (int fd : fds) ::close(fd);
}

// The same pacing, one PUBLISH per reading. Each reading is stamped just before it is published
// (after the wait for room in the window), so the latency is that of the path from the sensor's
// publish on, not of the feeder's own queue.
void SensorFeeder::runMqtt() {
  const size_t sensors = plan_.topics.size();
  MqttFeed feed(MqttFeedConfig{plan_.broker_url, "lantaarn-load-feeder", plan_.window, plan_.mqtt5,
                               plan_.no_delay});
  if (error_ = feed.connect(); !error_.empty()) return;
  std::vector<int64_t> next_sequence(sensors, 0);
  int64_t total = 0;
  const auto start = std::chrono::steady_clock::now();
  while (error_.empty() && !stop_ && (plan_.count == 0 || total < plan_.count)) {
    const int64_t due = dueBy(start, total, sensors);
    if (due <= total) {
      std::this_thread::sleep_for(std::chrono::microseconds(1000));
      continue;
    }
    for (; total < due && error_.empty(); ++total) {
      const size_t s = static_cast<size_t>(total) % sensors;
      const int64_t seq = next_sequence[s]++;
      const bool alternate = plan_.alt_value >= 0 && seq % 2 == 1;
      const int64_t now_us = wallMicros();
      if (first_send_us_ == 0) first_send_us_ = now_us;
      std::string line =
          readingLine(quantityOf(s), static_cast<uint64_t>(seq),
                      stampFor(now_us, alternate ? plan_.alt_value : plan_.whole_value));
      line.pop_back();  // one reading per message: no line end
      if (!feed.publish(plan_.topics[s], std::move(line))) {
        error_ = feed.error();
        break;
      }
      ++sent_[s];
      last_send_us_ = now_us;
    }
  }
  feed.finish();
  acked_ = feed.acked();
  failed_ = feed.failed();
  if (error_.empty()) error_ = feed.error();
}

}  // namespace gw::load
