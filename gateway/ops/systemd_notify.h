#pragma once
// sd_notify(3) through libsystemd: READY=1 once the pipeline runs, RELOADING=1/READY=1 around a
// policy reload, STOPPING=1 at shutdown, and WATCHDOG=1 from a timer on the pipeline thread, so a
// pipeline that stops turning its event loop is restarted by systemd (WatchdogSec= in the unit).
// Outside systemd (no NOTIFY_SOCKET) every call does nothing.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <string>

namespace gw::ops {

void notifySystemd(const std::string& state);

class SystemdWatchdog {
 public:
  explicit SystemdWatchdog(const boost::asio::any_io_executor& pipeline);
  // Starts pinging at half of WatchdogSec= if the unit asked for a watchdog.
  void start();
  void stop();
  bool enabled() const { return interval_.count() > 0; }

 private:
  void arm();

  boost::asio::steady_timer timer_;
  std::chrono::microseconds interval_{0};
  bool stopped_ = false;
};

}  // namespace gw::ops
