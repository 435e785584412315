#include "gateway/ops/systemd_notify.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

namespace gw::ops {

void notifySystemd(const std::string& state) {
  // 0: not under systemd; <0: the socket failed, which must not stop the gateway.
  const int rc = sd_notify(0, state.c_str());
  if (rc < 0) spdlog::warn("sd_notify failed state={} error={}", state, -rc);
}

SystemdWatchdog::SystemdWatchdog(const boost::asio::any_io_executor& pipeline) : timer_(pipeline) {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    interval_ = std::chrono::microseconds(usec / 2);
  }
}

void SystemdWatchdog::start() {
  if (!enabled()) return;
  spdlog::info("systemd watchdog enabled interval_ms={}", interval_.count() / 1000);
  arm();
}

void SystemdWatchdog::stop() {
  stopped_ = true;
  timer_.cancel();
}

void SystemdWatchdog::arm() {
  notifySystemd("WATCHDOG=1");
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopped_) arm();
  });
}

}  // namespace gw::ops
